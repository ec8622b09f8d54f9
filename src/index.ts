/**
 * kafka-csfle — client-side field-level encryption for Kafka, byte-compatible with Confluent.
 *
 * @packageDocumentation
 */
import './kms/builtins';

export * from './errors';
export * from './kms/driver';
export type { KmsOptions, BuiltInKmsConfigs } from './kms/options';
export { TLS_OPTION_KEYS, type TlsOptions } from './net/tls';
export { KMS_DRIVER_PACKAGES, kmsInstallLine, type SdkKmsType } from './kms/sdk';
export { registerKmsDriver, unregisterKmsDriver, getKmsDriver, registeredKmsTypes, newKmsClient, isClientOnlyKmsConfigKey } from './kms/registry';
export { localKmsDriver, deriveLocalKek, LOCAL_KMS_TYPE, type LocalKmsConfig } from './kms/local/driver';
export { awsKmsDriver, AWS_KMS_TYPE, AWS_DISABLE_DYNAMIC_MRK, parseKmsArn, localReplicaArn, type AwsKmsDriverOptions, type KmsArn } from './kms/aws';
export { azureKmsDriver, AZURE_KMS_TYPE, AZURE_WRAP_ALGORITHM, AZURE_KEY_VERSION_SAVE, parseAzureKeyUrl, splitAzureVersionPrefix, type AzureKmsDriverOptions, type AzureKeyUrl } from './kms/azure';
export { gcpKmsDriver, GCP_KMS_TYPE, parseGcpKeyName, type GcpKmsDriverOptions } from './kms/gcp';
export { hcVaultDriver, HCVAULT_KMS_TYPE, parseVaultKeyUrl, type HcVaultDriverOptions, type VaultKeyUrl } from './kms/hcvault';
export { DEFAULT_RETRY_POLICY, RETRY_CONFIG_KEYS, type RetryPolicy } from './kms/retry';
export * from './dek/model';
export { InMemoryDekRegistry, type InMemoryDekRegistryOptions } from './dek/in-memory-registry';
export { DekRegistryClient } from './dek/rest-client';
export { REGISTRY_HTTP_DEFAULTS } from './dek/http-options';
export { KeyRing, type KeyRingConfig, type KeyRingLogger, type KeyRingPolicy, type WriteKey, type WriteKeyRequest } from './dek/key-ring';
export { DEFAULT_MAX_KEY_AGE_MS, DEFAULT_MAX_GCM_ENCRYPTIONS } from './dek/key-ring-config';
export type { KeyRingStats, SerdeStats, DekUsageStats } from './observe/stats';
export * from './rules/model';
export { type RuleOverride, type RuleAction } from './rules/actions';
export { compileTagPattern } from './avro/tags';
export * from './serde/schema-source';
export * from './serde/options';
export { InMemorySchemaRegistry } from './serde/in-memory-schema-registry';
export { HttpSchemaSource } from './serde/http-schema-source';
export { KafkajsSchemaSource, type KafkajsSchemaSourceOptions } from './serde/kafkajs-schema-source';
export { AvroSerializer } from './serde/avro-serializer';
export { AvroDeserializer } from './serde/avro-deserializer';
export { AnyFormatDeserializer, type AnyFormatDeserializerOptions } from './serde/any-format-deserializer';
export { JsonSerializer, JsonDeserializer, type JsonSerializerOptions, type JsonDeserializerOptions } from './serde/json-serde';
export { ProtobufSerializer, ProtobufDeserializer, type ProtobufSerializerOptions, type ProtobufDeserializerOptions } from './serde/protobuf-serde';
export { CONFLUENT_META_PROTO, CONFLUENT_META_PROTO_TEXT } from './protobuf/builtins';
export {
  frame,
  parseFrame,
  parseSchemaIdFrame,
  parseSchemaIdHeader,
  MAGIC_BYTE,
  MAGIC_BYTE_V1,
  VALUE_SCHEMA_ID_HEADER,
  KEY_SCHEMA_ID_HEADER,
  type RecordHeaders,
} from './serde/framing';
export { RecordInspector, type RecordInspectorOptions, type RecordInspection, type TaggedFieldInspection, type PayloadInspection, type DekVersionRef, type InspectTarget, type ValueState } from './serde/record-inspector';
export type { FieldEncryptionStatus, RecordWithStatus, EncryptionState } from './serde/read-status';
export { ciphertextShape, cipherOverhead, type CiphertextShape } from './rules/ciphertext-shape';
export { toCsfleLogger, loggerKind, SILENT_LOGGER, KAFKAJS_LOG_LEVEL, type CsfleLogger, type LoggerOption, type LoggerKind, type LogContext, type MessageFirstLogger, type KafkajsLogCreator } from './observe/logger';
export { type AuditEvent, type AuditEventType, type AuditListener } from './observe/audit';
export { jsonLinesAuditWriter, type JsonLinesAuditWriter } from './observe/audit-writer';
export { COUNTERS, HISTOGRAMS, METRIC_ATTRIBUTES, type CounterSpec } from './observe/metrics';
export { METER_NAME, type MeterLike, type MeterProviderLike, type MeterProviderOption, type ObservableResultLike } from './observe/otel';
export { type TelemetryOptions } from './observe/telemetry';
export { OVERFLOW_ATTRIBUTES, DEFAULT_CARDINALITY_LIMIT, type Attributes } from './observe/counters';
export { auditTopic, DEFAULT_AUDIT_GROUP, type TopicAuditOptions, type TopicAuditProgress } from './kafka/topic-audit';
export { GCM_NIST_BUDGET, type TopicAuditReport, type SubjectAudit, type ClearFieldFinding, type DekVersionUse, type SchemaWithoutRules, type UnreadableRecord } from './kafka/audit-report';
export * from './lifecycle/export';
export {
  tinkKeysetOf,
  readTinkKeyset,
  TINK_AES_GCM_TYPE_URL,
  TINK_AES_SIV_TYPE_URL,
  type TinkJsonKeyset,
  type TinkJsonKey,
} from './crypto/tink-keyset';
export { readTopic, type TopicRecord } from './kafka/topic-reader';
export { rewrapKek, type RewrapKekOptions, type RewrapReport, type RewrapProgress, type RewrapFailure } from './lifecycle/rewrap';
export { shredDeks, type ShredDeksOptions, type ShredReport } from './lifecycle/shred';
export { listDekIds, type DekId, type DekIdFilter } from './lifecycle/dek-listing';
export { Journal, parseJournal, JOURNAL_FORMAT, type JournalHeader, type JournalEntry, type JournalEntryValidator } from './lifecycle/journal';
export { REWRAP_OP, type RewrapIntent, type RewrapDone } from './lifecycle/rewrap-journal';
export { CRASH_AT_ENV } from './lifecycle/test-hooks';
export { reencryptTopic, type ReencryptOptions } from './kafka/reencrypt';
export { DEAD_LETTER_HEADERS } from './kafka/bad-records';
export { type ReencryptProgress, type ReencryptReport } from './kafka/reencrypt-report';
export { verifyReencryption, type VerifyOptions, type VerifyReport, type PartitionVerification } from './kafka/verify';
export { type KafkaConnection, type KafkajsClient } from './kafka/connection';
export { type KeyFormat } from './kafka/connection';
