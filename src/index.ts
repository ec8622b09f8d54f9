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
export { KeyRing, type KeyRingConfig, type KeyRingLogger, type WriteKey, type WriteKeyRequest } from './dek/key-ring';
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
export { JsonSerializer, JsonDeserializer, type JsonSerializerOptions, type JsonDeserializerOptions } from './serde/json-serde';
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
export * from './lifecycle/export';
export {
  tinkKeysetOf,
  readTinkKeyset,
  TINK_AES_GCM_TYPE_URL,
  TINK_AES_SIV_TYPE_URL,
  type TinkJsonKeyset,
  type TinkJsonKey,
} from './crypto/tink-keyset';
