/**
 * Configuration of the KeyRing and its defaults, in one place.
 *
 * @packageDocumentation
 */
import { CsfleError } from '../errors';
import type { KmsConfig } from '../kms/driver';
import type { KmsOptions } from '../kms/options';
import type { LoggerOption } from '../observe/logger';
import type { Telemetry } from '../observe/telemetry';
import type { DekAlgorithm, DekRegistry } from './model';

/** Receives warnings (never secrets). */
export interface KeyRingLogger {
  warn(message: string, context?: Record<string, unknown>): void;
}

/** The policy knobs of a key ring (also the serde's `keyRing` option). */
export interface KeyRingPolicy {
  /** How long a "latest DEK" answer is trusted (default 5 minutes). Versioned DEKs never expire. */
  latestTtlMs?: number;
  /**
   * Max unwrapped DEKs held, producer and consumer side together (default 10 000). At the bound
   * the least recently used key is evicted and its bytes wiped.
   */
  capacity?: number;
  /**
   * How long a failure is remembered before the registry or KMS is asked again (default 30 s):
   * an unknown DEK version (forged version prefixes), a DEK that unwraps to an invalid key, a KMS
   * refusal (access denied, key disabled or deleted), a missing KEK, a soft-deleted key on
   * produce. A stream of poison records then costs one call per DEK and period, not one per
   * record. Transient failures (registry or KMS unavailable) are not remembered. `0` disables.
   */
  failureTtlMs?: number;
  /**
   * After a failed refresh of the latest DEK (registry down, rotation refused), how long the DEK
   * in hand keeps being used before the next attempt (default 30 s).
   */
  retryAfterMs?: number;
  /**
   * Max encryptions with one DEK version by this process. Default 2^32 for AES-GCM (NIST SP
   * 800-38D bound for random 96-bit IVs), none for AES256_SIV. A number given here applies to
   * every algorithm. When reached, a rule with `encrypt.dek.expiry.days` > 0 rotates to a new DEK
   * version; otherwise encryption fails closed with `DEK_USAGE_LIMIT`. The count is per process:
   * with N producers sharing a DEK, give each 1/N of the budget.
   */
  maxEncryptionsPerDek?: number;
  /**
   * How long unwrapped key material is kept in memory, on both sides (default 15 minutes). A key
   * in use is unwrapped again in the background from 80 % of this age (one registry read and one
   * KMS call per DEK; records keep using the old key meanwhile); at this age the old key is wiped
   * whatever happened, so a DEK deleted from the registry (shredded) is gone from every running
   * process within `maxKeyAgeMs`. Unused keys are just wiped. `Infinity` disables.
   */
  maxKeyAgeMs?: number;
  /** Clock (ms since epoch) for expiry, key age and TTLs; default `Date.now`. For tests. */
  now?: () => number;
}

/** Options of {@link KeyRing}. */
export interface KeyRingConfig extends KeyRingPolicy {
  registry: DekRegistry;
  /** Per-kmsType driver config. */
  kms?: KmsOptions;
  /** Warnings and key events (pino, winston, console, kafkajs logCreator...); ignored when `telemetry` is given. */
  logger?: LoggerOption;
  /** Where metrics, audit events and logs go (the serde passes its own; default: from `logger`). */
  telemetry?: Telemetry;
}

/** Default `maxKeyAgeMs`: 15 minutes. */
export const DEFAULT_MAX_KEY_AGE_MS = 15 * 60_000;
/** Default `maxEncryptionsPerDek` for AES-GCM DEKs: 2^32. */
export const DEFAULT_MAX_GCM_ENCRYPTIONS = 2 ** 32;
/** A key-age refresh starts at this fraction of `maxKeyAgeMs`. */
export const KEY_REFRESH_FRACTION = 0.8;

/** The resolved policy, every default applied. */
export interface ResolvedPolicy {
  latestTtlMs: number;
  capacity: number;
  failureTtlMs: number;
  retryAfterMs: number;
  maxKeyAgeMs: number;
  /** Housekeeping period of key age (wipes happen at most this late; they are scheduled this early). */
  sweepMs: number;
  maxEncryptions(algorithm: DekAlgorithm): number;
  now: () => number;
}

/** Applies defaults and validates the policy (`INVALID_REQUEST` on a bad value). */
export function resolvePolicy(p: KeyRingPolicy): ResolvedPolicy {
  const latestTtlMs = nonNegative(p.latestTtlMs, 5 * 60_000, 'latestTtlMs');
  const capacity = nonNegative(p.capacity, 10_000, 'capacity');
  if (capacity < 1 || !Number.isInteger(capacity)) throw invalid('capacity', 'a positive integer');
  const failureTtlMs = nonNegative(p.failureTtlMs, 30_000, 'failureTtlMs');
  const retryAfterMs = nonNegative(p.retryAfterMs, 30_000, 'retryAfterMs');
  const maxKeyAgeMs = nonNegative(p.maxKeyAgeMs, DEFAULT_MAX_KEY_AGE_MS, 'maxKeyAgeMs');
  if (maxKeyAgeMs === 0) throw invalid('maxKeyAgeMs', 'a positive number of ms (Infinity disables the limit)');
  const explicitMax = p.maxEncryptionsPerDek === undefined ? undefined : nonNegative(p.maxEncryptionsPerDek, 0, 'maxEncryptionsPerDek');
  const sweepMs = Number.isFinite(maxKeyAgeMs) ? Math.max(1, Math.min(1000, Math.floor(maxKeyAgeMs / 20))) : Infinity;
  return {
    latestTtlMs,
    capacity,
    failureTtlMs,
    retryAfterMs,
    maxKeyAgeMs,
    sweepMs,
    maxEncryptions: (algorithm) => explicitMax ?? (algorithm === 'AES256_SIV' ? Infinity : DEFAULT_MAX_GCM_ENCRYPTIONS),
    now: p.now ?? Date.now,
  };
}

function nonNegative(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw invalid(name, 'a number ≥ 0');
  return v;
}

function invalid(name: string, what: string): CsfleError {
  return new CsfleError('INVALID_REQUEST', `keyRing.${name} must be ${what}`);
}
