/**
 * The one error hierarchy of kafka-csfle.
 *
 * Every failure surfaces as a {@link CsfleError} (or a subclass) carrying a stable `code`.
 * Messages name the KEK, subject, DEK version and field path involved — never the plaintext of
 * an encrypted field and never key material.
 *
 * @packageDocumentation
 */

/** Stable machine-readable error codes. */
export type CsfleErrorCode =
  // crypto
  | 'DECRYPTION_FAILED'
  | 'INVALID_CIPHERTEXT'
  | 'INVALID_KEY'
  | 'UNSUPPORTED_ALGORITHM'
  // kms
  | 'KMS_UNKNOWN_TYPE'
  | 'KMS_CONFIG_INVALID'
  | 'KMS_ACCESS_DENIED'
  | 'KMS_KEY_NOT_FOUND'
  | 'KMS_KEY_DISABLED'
  | 'KMS_UNAVAILABLE'
  | 'KMS_TIMEOUT'
  | 'KMS_THROTTLED'
  | 'KMS_ERROR'
  | 'KMS_DRIVER_UNAVAILABLE'
  // dek registry
  | 'KEK_NOT_FOUND'
  | 'DEK_NOT_FOUND'
  | 'KEK_MISMATCH'
  | 'CONFLICT'
  | 'NOT_SOFT_DELETED'
  | 'REFERENCE_EXISTS'
  | 'INVALID_REQUEST'
  | 'REGISTRY_UNAVAILABLE'
  | 'REGISTRY_ERROR'
  | 'UNAUTHORIZED'
  | 'KEK_DELETED'
  | 'DEK_DELETED'
  // key ring policy
  | 'DEK_USAGE_LIMIT'
  | 'KEY_DESTROYED'
  // key lifecycle (rewrap, shred, export, re-encryption)
  | 'REWRAP_FAILED'
  | 'JOURNAL_INVALID'
  | 'EXPORT_REFUSED'
  | 'SINK_UNWRITABLE'
  | 'REENCRYPT_FAILED'
  | 'CONFIRMATION_REQUIRED'
  // schemas, rules, serde
  | 'SCHEMA_NOT_FOUND'
  | 'RULE_SET_DROPPED'
  | 'INVALID_RULE'
  | 'RULE_FAILED'
  | 'INVALID_FRAMING'
  | 'SERIALIZATION_FAILED'
  | 'DESERIALIZATION_FAILED'
  | 'UNSUPPORTED_FIELD_TYPE'
  // optional peer dependencies (@opentelemetry/api, kafkajs) not installed
  | 'OPTIONAL_DEPENDENCY_MISSING';

/** Non-secret context attached to an error: which KEK, subject, DEK version and field. */
export interface CsfleErrorContext {
  kekName?: string;
  subject?: string;
  dekVersion?: number;
  algorithm?: string;
  fieldPath?: string;
  kmsType?: string;
  /** KMS key id (a key identifier, never key material). */
  kmsKeyId?: string;
  schemaId?: number;
  topic?: string;
  ruleName?: string;
  /** HTTP status of an upstream registry/KMS response, when there was one. */
  status?: number;
  /** Upstream error code (e.g. Confluent `error_code` 40470), when there was one. */
  upstreamCode?: number | string;
  /** Schema GUID, when the record was framed by GUID. */
  schemaGuid?: string;
  /** Kafka partition of the record involved, when known. */
  partition?: number;
  /** Kafka offset of the record involved, when known. */
  offset?: string;
}

/** Options of the {@link CsfleError} constructor. */
export interface CsfleErrorOptions extends CsfleErrorContext {
  /** True when retrying the same call later may succeed (network, 5xx, throttling, timeouts). */
  retryable?: boolean;
  /** Underlying error. Only attach causes whose message cannot contain secrets. */
  cause?: unknown;
}

/** Base class of every error thrown by kafka-csfle. */
export class CsfleError extends Error {
  /** Stable machine-readable code. */
  readonly code: CsfleErrorCode;
  /** True when the same call may succeed later without any change (transient failure). */
  readonly retryable: boolean;
  /** Non-secret context: KEK, subject, version, field path... */
  readonly context: Readonly<CsfleErrorContext>;
  /** The message without the `[context]` suffix. */
  readonly detail: string;

  constructor(code: CsfleErrorCode, message: string, options: CsfleErrorOptions = {}) {
    const { retryable, cause, ...context } = options;
    super(CsfleError.decorate(message, context), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable ?? false;
    this.context = Object.freeze({ ...context });
    this.detail = message;
  }

  /**
   * The same error (same class, code and `retryable`) with `extra` merged over its context, as
   * callers up the stack learn which topic, subject, rule or KEK was involved. This error becomes
   * the `cause`; `detail` replaces the message text when given.
   */
  withContext(extra: CsfleErrorContext, detail: string = this.detail): CsfleError {
    const Kind = this.constructor as new (code: CsfleErrorCode, message: string, options: CsfleErrorOptions) => CsfleError;
    return new Kind(this.code, detail, { ...this.context, ...extra, retryable: this.retryable, cause: this });
  }

  private static decorate(message: string, ctx: CsfleErrorContext): string {
    const parts: string[] = [];
    if (ctx.topic !== undefined) parts.push(`topic=${ctx.topic}`);
    if (ctx.subject !== undefined) parts.push(`subject=${ctx.subject}`);
    if (ctx.schemaId !== undefined) parts.push(`schemaId=${ctx.schemaId}`);
    if (ctx.schemaGuid !== undefined) parts.push(`schemaGuid=${ctx.schemaGuid}`);
    if (ctx.partition !== undefined) parts.push(`partition=${ctx.partition}`);
    if (ctx.offset !== undefined) parts.push(`offset=${ctx.offset}`);
    if (ctx.ruleName !== undefined) parts.push(`rule=${ctx.ruleName}`);
    if (ctx.kekName !== undefined) parts.push(`kek=${ctx.kekName}`);
    if (ctx.dekVersion !== undefined) parts.push(`dekVersion=${ctx.dekVersion}`);
    if (ctx.algorithm !== undefined) parts.push(`algorithm=${ctx.algorithm}`);
    if (ctx.fieldPath !== undefined) parts.push(`field=${ctx.fieldPath}`);
    if (ctx.kmsType !== undefined) parts.push(`kmsType=${ctx.kmsType}`);
    if (ctx.kmsKeyId !== undefined) parts.push(`kmsKeyId=${ctx.kmsKeyId}`);
    return parts.length === 0 ? message : `${message} [${parts.join(', ')}]`;
  }
}

/** AEAD / key-format failures: tampered ciphertext, wrong key, malformed key proto. */
export class CryptoError extends CsfleError {}
/** KMS driver failures (wrap/unwrap, configuration, access). */
export class KmsError extends CsfleError {}
/** DEK registry failures (REST or in-memory). */
export class DekRegistryError extends CsfleError {}
/** Schema registry / schema source failures. */
export class SchemaRegistryError extends CsfleError {}
/** Invalid rule sets or rule parameters, and rule execution failures. */
export class RuleError extends CsfleError {}
/** Framing and (de)serialization failures. */
export class SerdeError extends CsfleError {}
