/**
 * Warnings a serde logs at most once per key and period — never per record (a failing rule with
 * `onFailure: NONE`, a tag on a field that cannot be encrypted, AES-GCM on a key serde).
 *
 * @packageDocumentation
 */
import type { KeyRingLogger } from '../dek/key-ring';

/** Most distinct warning keys remembered (oldest forgotten first). */
const MAX_KEYS = 1024;

/** Logs each warning key at most once per `periodMs` (`Infinity` = once per serde). */
export class WarnOnce {
  readonly #logger: KeyRingLogger | undefined;
  readonly #periodMs: number;
  /** key → when it may be logged again. */
  readonly #until = new Map<string, number>();

  constructor(logger: KeyRingLogger | undefined, periodMs: number) {
    this.#logger = logger;
    this.#periodMs = periodMs;
  }

  /** True when a warning with this key would be logged now (cheap: one map read). */
  due(key: string, now: number = Date.now()): boolean {
    if (!this.#logger) return false;
    const until = this.#until.get(key);
    return until === undefined || now >= until;
  }

  /** Logs `message` unless `key` was logged less than a period ago. Context never holds values. */
  warn(key: string, message: string, context: Record<string, unknown>, periodMs: number = this.#periodMs): void {
    const now = Date.now();
    if (!this.due(key, now)) return;
    this.#until.delete(key);
    this.#until.set(key, now + periodMs);
    if (this.#until.size > MAX_KEYS) this.#until.delete(this.#until.keys().next().value as string);
    this.#logger!.warn(message, context);
  }
}
