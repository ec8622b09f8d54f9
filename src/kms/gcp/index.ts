/**
 * Google Cloud KMS driver (`gcp-kms`).
 *
 * @packageDocumentation
 */
export { gcpKmsDriver, GCP_KMS_TYPE, parseGcpKeyName, type GcpKmsDriverOptions } from './driver';
