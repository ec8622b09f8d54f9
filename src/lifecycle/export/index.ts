/**
 * Key export (JSONL of Tink keysets or wrapped keys, to a directory or S3) and out-of-band
 * decryption with exported keys. See docs/key-export.md.
 *
 * @packageDocumentation
 */
export {
  keyLinkOf,
  parseKeyLink,
  parseKeyLine,
  isPlaintextLine,
  isSecretKmsProp,
  tinkKeyIdOf,
  type ExportedKeyLine,
  type ExportedKeyBase,
  type WrappedKeyLine,
  type PlaintextKeyLine,
  type KeyExportMode,
  type DekCoordinates,
} from './key-line';
export type { ExportSink, SinkEntry, S3SinkOptions } from './sink';
export { DirectorySink } from './directory-sink';
export { S3Sink, parseS3Url } from './s3-sink';
export { exportFileName, isExportFileName, CHECKPOINT_DIR } from './checkpoint';
export {
  exportKeys,
  openExportSink,
  assertPlaintextExportAllowed,
  ALLOW_PLAINTEXT_EXPORT_ENV,
  WRITE_TEST_FILE,
  type ExportKeysOptions,
  type ExportKeysResult,
  type KeyExportProgress,
} from './export-keys';
export { runKeyExporter, type RunKeyExporterOptions } from './key-exporter';
export {
  ExportedKeyRegistry,
  parseExportedKeys,
  readExportedKeys,
  EXPORTED_PLAINTEXT_KMS_TYPE,
} from './exported-key-registry';
export {
  createOfflineDeserializer,
  FixedSchemaSource,
  decodeRecordLine,
  recordToJson,
  type OfflineDeserializerOptions,
} from './offline-decrypt';
