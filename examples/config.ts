/**
 * Settings shared by the examples, read from environment variables. Every variable has a
 * default that matches `npm run dev:up` on its default ports, so the examples run as they are.
 * See docs/examples.md for the table.
 */
import type { KmsConfig } from '../src/index';

function env(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

/** The secret of the example's local KMS. Never ship a default secret in a real app. */
export const EXAMPLE_LOCAL_SECRET = 'kafka-csfle-example-secret';

export const config = {
  /** Comma-separated bootstrap servers. */
  brokers: env('KAFKA_BROKERS', 'localhost:9092').split(',').map((b) => b.trim()),
  /** Confluent-compatible schema registry. */
  schemaRegistryUrl: env('SCHEMA_REGISTRY_URL', 'http://localhost:8081'),
  /** DEK registry (`/dek-registry/v1`); Confluent and AxonOps serve it beside the schemas. */
  dekRegistryUrl: env('DEK_REGISTRY_URL', env('SCHEMA_REGISTRY_URL', 'http://localhost:8081')),
  topic: env('TOPIC', 'customers'),
  /** Consumer group; by default a new one per run, so every run reads the topic from the start. */
  groupId: env('GROUP_ID', `kafka-csfle-example-${process.pid}-${Date.now()}`),
  /** Encryption rule params: which KEK, held by which KMS. */
  kekName: env('KEK_NAME', 'customers-kek'),
  kmsType: env('KMS_TYPE', 'local-kms'),
  kmsKeyId: env('KMS_KEY_ID', 'customers-key'),
  /** Consumers stop after this many records (0 = until idle), or after IDLE_TIMEOUT_MS without one. */
  expect: Number(env('EXPECT', '0')),
  idleTimeoutMs: Number(env('IDLE_TIMEOUT_MS', '5000')),
};

/**
 * KMS driver settings, keyed by KMS type. local-kms needs its secret (LOCAL_SECRET). Cloud KMSs
 * (aws-kms, azure-kms, gcp-kms, hcvault) take their driver config as JSON in KMS_CONFIG (e.g.
 * `{"region":"us-west-2"}`); credentials come from their SDK's default chain.
 */
export function kmsConfig(): Record<string, KmsConfig> {
  const extra = JSON.parse(env('KMS_CONFIG', '{}')) as Record<string, unknown>;
  if (config.kmsType !== 'local-kms') return { [config.kmsType]: extra };
  const secret = process.env['LOCAL_SECRET'];
  if (!secret) {
    console.warn('LOCAL_SECRET is not set: using the example secret (never do this in production).');
  }
  return { 'local-kms': { ...extra, secret: secret || EXAMPLE_LOCAL_SECRET } };
}
