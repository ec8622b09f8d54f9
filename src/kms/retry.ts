/**
 * Shared plumbing of the cloud KMS drivers: reading driver config values, a deadline-bounded
 * retry loop with exponential backoff and full jitter, and typed {@link KmsError} construction.
 *
 * Config keys (all optional, strings or numbers):
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `kms.timeout.ms` | 10000 | budget of one wrap/unwrap on one key, retries included |
 * | `kms.max.retries` | 3 | extra attempts after a retryable failure (throttling, 5xx, network) |
 * | `kms.retry.backoff.ms` | 100 | first backoff; doubles per retry (full jitter) |
 * | `kms.retry.backoff.max.ms` | 2000 | cap of one backoff |
 *
 * @packageDocumentation
 */
import { KmsError, type CsfleErrorCode, type CsfleErrorContext } from '../errors';
import type { KmsConfig } from './driver';

/** How a driver bounds and retries one KMS operation. */
export interface RetryPolicy {
  /** Total budget of the operation (all attempts and backoffs), in milliseconds. */
  readonly timeoutMs: number;
  /** Extra attempts after a retryable failure. */
  readonly maxRetries: number;
  /** First backoff, in milliseconds; doubles per retry. */
  readonly baseDelayMs: number;
  /** Cap of one backoff, in milliseconds. */
  readonly maxDelayMs: number;
}

/** Defaults used when the config sets nothing. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  timeoutMs: 10_000,
  maxRetries: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
});

/** Config key names of the retry policy. */
export const RETRY_CONFIG_KEYS = Object.freeze({
  timeoutMs: 'kms.timeout.ms',
  maxRetries: 'kms.max.retries',
  baseDelayMs: 'kms.retry.backoff.ms',
  maxDelayMs: 'kms.retry.backoff.max.ms',
});

/** A config value as a trimmed non-empty string, else `undefined`. */
export function configString(config: KmsConfig, key: string): string | undefined {
  const v = config[key];
  if (typeof v === 'string') {
    const t = v.trim();
    return t.length > 0 ? t : undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A config value read as a boolean (`true`/`false`, any case); `fallback` when unset. */
export function configBoolean(config: KmsConfig, key: string, fallback = false): boolean {
  const v = config[key];
  if (typeof v === 'boolean') return v;
  const s = configString(config, key);
  if (s === undefined) return fallback;
  return s.toLowerCase() === 'true';
}

/** A non-negative number from the config; throws `KMS_CONFIG_INVALID` for a malformed value. */
export function configNumber(config: KmsConfig, key: string, fallback: number, kmsType?: string): number {
  const v = config[key];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n < 0) {
    throw new KmsError('KMS_CONFIG_INVALID', `Config '${key}' must be a non-negative number`, { kmsType });
  }
  return n;
}

/** Reads the {@link RetryPolicy} from a driver config. */
export function retryPolicyFromConfig(config: KmsConfig, kmsType?: string): RetryPolicy {
  const d = DEFAULT_RETRY_POLICY;
  const k = RETRY_CONFIG_KEYS;
  const timeoutMs = configNumber(config, k.timeoutMs, d.timeoutMs, kmsType);
  return {
    timeoutMs: timeoutMs === 0 ? d.timeoutMs : timeoutMs,
    maxRetries: Math.floor(configNumber(config, k.maxRetries, d.maxRetries, kmsType)),
    baseDelayMs: configNumber(config, k.baseDelayMs, d.baseDelayMs, kmsType),
    maxDelayMs: configNumber(config, k.maxDelayMs, d.maxDelayMs, kmsType),
  };
}

/** Context of one KMS call, used in error messages (identifiers only, never secrets). */
export interface KmsCallContext {
  readonly kmsType: string;
  readonly kmsKeyId: string;
  /** `wrap` or `unwrap`. */
  readonly operation: string;
}

/** Builds a {@link KmsError}; transient codes are marked retryable. */
export function kmsError(
  code: CsfleErrorCode,
  message: string,
  ctx: KmsCallContext,
  extra: Pick<CsfleErrorContext, 'status' | 'upstreamCode'> = {},
): KmsError {
  const retryable = code === 'KMS_UNAVAILABLE' || code === 'KMS_TIMEOUT' || code === 'KMS_THROTTLED';
  return new KmsError(code, `${ctx.operation}: ${message}`, {
    kmsType: ctx.kmsType,
    kmsKeyId: ctx.kmsKeyId,
    retryable,
    ...dropUndefined(extra),
  });
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** True when `err` (or one of its causes) is a connection-level failure. */
export function isNetworkError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const o = e as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof o.code === 'string' && NETWORK_CODES.has(o.code)) return true;
    if (typeof o.errno === 'string' && NETWORK_CODES.has(o.errno)) return true;
    if (o.name === 'TimeoutError') return true;
    if (typeof o.message === 'string' && /socket hang up|ECONNREFUSED|ECONNRESET|fetch failed/.test(o.message)) {
      return true;
    }
    e = o.cause;
  }
  return false;
}

/** Thrown internally when the deadline of an operation passes. */
class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `op` until it succeeds, fails with a non-retryable error, exhausts `maxRetries`, or the
 * total `timeoutMs` budget passes. Each attempt receives an `AbortSignal` that fires at the
 * deadline (the attempt is also abandoned at the deadline if it ignores the signal). Errors are
 * turned into {@link KmsError}s by `classify`; a deadline becomes `KMS_TIMEOUT`, unless the last
 * attempt already failed with a typed transient error (e.g. `KMS_UNAVAILABLE`), which is kept.
 */
export async function callWithRetry<T>(
  policy: RetryPolicy,
  ctx: KmsCallContext,
  op: (signal: AbortSignal, attempt: number) => Promise<T>,
  classify: (err: unknown) => KmsError,
): Promise<T> {
  const deadline = Date.now() + policy.timeoutMs;
  let last: KmsError | undefined;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw last ?? timeoutError(policy, ctx);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new DeadlineExceeded());
        reject(new DeadlineExceeded());
      }, remaining);
    });
    try {
      const pending = op(controller.signal, attempt);
      pending.catch(() => undefined); // an abandoned attempt must not raise an unhandled rejection
      return await Promise.race([pending, expired]);
    } catch (err) {
      if (err instanceof DeadlineExceeded || controller.signal.aborted) {
        // Keep a more precise transient error from an earlier attempt (e.g. endpoint unreachable).
        throw last && last.code !== 'KMS_THROTTLED' ? last : timeoutError(policy, ctx);
      }
      let typed = err instanceof KmsError ? err : classify(err);
      // "unreachable" seen earlier says more than a later timeout of the same endpoint
      if (typed.code === 'KMS_TIMEOUT' && last?.code === 'KMS_UNAVAILABLE') typed = last;
      if (!typed.retryable || attempt >= policy.maxRetries) throw typed;
      last = typed;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      const delay = Math.random() * cap;
      if (Date.now() + delay >= deadline) throw typed;
      await sleep(delay);
    } finally {
      clearTimeout(timer);
    }
  }
}

function timeoutError(policy: RetryPolicy, ctx: KmsCallContext): KmsError {
  return kmsError('KMS_TIMEOUT', `KMS did not answer within ${policy.timeoutMs} ms`, ctx);
}
