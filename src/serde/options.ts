/**
 * Configuration of {@link AvroSerializer} and {@link AvroDeserializer}.
 *
 * @packageDocumentation
 */
import type { LoggerOption } from '../observe/logger';
import type { TelemetryOptions } from '../observe/telemetry';
import type { KeyRingLogger, KeyRingPolicy } from '../dek/key-ring';
import type { DekRegistry } from '../dek/model';
import type { KmsConfig } from '../kms/driver';
import type { KmsOptions } from '../kms/options';
import type { RuleOverride } from '../rules/actions';
import type { Metadata, RuleSet } from '../rules/model';
import type { RegistryHttpOptions } from '../dek/http-options';
import type { SchemaSource, SchemaInfo } from './schema-source';

export type { RegistryHttpOptions } from '../dek/http-options';

/** How to pick the subject of a topic. */
export type SubjectNameStrategy =
  | 'topic'
  | 'record'
  | 'topic-record'
  | ((topic: string, isKey: boolean, recordFullName: string | undefined) => string);

/**
 * Told which DEK version a record used: `READ` once per field (or payload) a deserializer
 * decrypts, `WRITE` once per record and ENCRYPT rule a serializer runs. Called synchronously on
 * the record path with no allocation; without DEK rotation (`encrypt.dek.expiry.days` 0) the
 * version is 1. Topic re-encryption uses it to count records per source and target DEK version.
 */
export type DekUseListener = (direction: 'READ' | 'WRITE', dekVersion: number, kekName: string) => void;

/**
 * Key ring (DEK cache) tuning: `capacity`, `maxKeyAgeMs`, `maxEncryptionsPerDek`, `failureTtlMs`,
 * `latestTtlMs`, `retryAfterMs` (see {@link KeyRingPolicy} for each default). The serde also
 * remembers schema ids / GUIDs that could not be fetched for `failureTtlMs`, and logs an
 * `onFailure: NONE` failure at most once per (rule, subject, error code) and `failureTtlMs`.
 */
export interface KeyRingOptions extends KeyRingPolicy {}

/** Options shared by serializer and deserializer. */
export interface SerdeOptions extends TelemetryOptions {
  /**
   * Schema source: an {@link SchemaSource} (e.g. `InMemorySchemaRegistry`), an
   * `@kafkajs/confluent-schema-registry` `SchemaRegistry` instance, or HTTP settings.
   */
  schemaRegistry: SchemaSource | KafkajsSchemaRegistryLike | RegistryHttpOptions;
  /** DEK registry: an instance (e.g. `InMemoryDekRegistry`) or HTTP settings. */
  dekRegistry: DekRegistry | RegistryHttpOptions;
  /** Per-kmsType driver configuration, e.g. `{ 'local-kms': { secret } }`. */
  kms?: KmsOptions;
  /**
   * A rule set supplied locally, for registries that cannot store rule sets (Karapace,
   * Redpanda) or to pin rules client-side. Used when the registered schema has none.
   */
  ruleSet?: RuleSet;
  /** Metadata supplied locally (tags, properties), merged under the registered schema's. */
  metadata?: Metadata;
  /** Local overrides to disable rules or change their actions/params. */
  ruleOverrides?: RuleOverride[];
  /** Subject name strategy (default `topic`). */
  subjectNameStrategy?: SubjectNameStrategy;
  /** True for a key serde (`<topic>-key`). Default false. */
  isKey?: boolean;
  keyRing?: KeyRingOptions;
  /**
   * Receives warnings (`warn`) and key events (`info`: DEK created or rotated; `debug`: DEK
   * unwrapped): pino, winston, console, a kafkajs `logCreator`, or any `{ warn(message, context) }`.
   * Never values or secrets. See docs/observability.md.
   */
  logger?: LoggerOption;
  /** Told the DEK version of each field encrypted or decrypted (see {@link DekUseListener}). */
  onDekUse?: DekUseListener;
}

/** Options of {@link AvroSerializer}. */
export interface SerializerOptions extends SerdeOptions {
  /**
   * The writer schema (Avro JSON text, object, or full {@link SchemaInfo} with metadata and
   * rule set). When given, it is registered (or looked up) under the subject on first use.
   * When absent, the subject's latest registered schema is used.
   */
  schema?: string | object | SchemaInfo;
  /** Register `schema` if it is not yet registered (default true). */
  autoRegister?: boolean;
}

/** Options of {@link AvroDeserializer}. */
export interface DeserializerOptions extends SerdeOptions {}

/**
 * An `@kafkajs/confluent-schema-registry` `SchemaRegistry` instance, described by a few of its
 * public methods so these declarations never import that package's types (it is an optional
 * peer). The adapter uses the instance's REST resources (`api`) at run time.
 */
export interface KafkajsSchemaRegistryLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register(...args: any[]): Promise<{ id: number }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  encode(...args: any[]): Promise<Buffer>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  decode(...args: any[]): Promise<any>;
}
