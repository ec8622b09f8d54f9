/**
 * kafka-csfle — client-side field-level encryption for Kafka, byte-compatible with Confluent.
 *
 * @packageDocumentation
 */
export * from './errors';
export * from './kms/driver';
export { registerKmsDriver, unregisterKmsDriver, getKmsDriver, registeredKmsTypes, newKmsClient } from './kms/registry';
export * from './dek/model';
export * from './rules/model';
export * from './serde/schema-source';
export * from './serde/options';
