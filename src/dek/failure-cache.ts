/**
 * The negative cache of a KeyRing: answers that must not be asked again on every record (an
 * unknown DEK version, a DEK that unwraps to an invalid key, a KMS refusal, a soft-deleted key)
 * are remembered for `failureTtlMs`. Bounded, least recently used first out.
 *
 * @packageDocumentation
 */

interface Entry<V> {
  value: V;
  until: number;
}

/** A bounded map whose entries expire after a TTL (LRU at capacity). */
export class FailureCache<V> {
  readonly #map = new Map<string, Entry<V>>();
  readonly #capacity: number;
  readonly #ttlMs: number;

  constructor(capacity: number, ttlMs: number) {
    this.#capacity = Math.max(1, capacity);
    this.#ttlMs = ttlMs;
  }

  /** The remembered value, if still fresh at `now` (and marks it most recently used). */
  get(key: string, now: number): V | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    this.#map.delete(key);
    if (now >= e.until) return undefined;
    this.#map.set(key, e);
    return e.value;
  }

  /** Remembers `value` until `now + ttlMs` (nothing when the TTL is 0). */
  set(key: string, value: V, now: number): void {
    if (this.#ttlMs <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, { value, until: now + this.#ttlMs });
    if (this.#map.size > this.#capacity) this.#map.delete(this.#map.keys().next().value as string);
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
