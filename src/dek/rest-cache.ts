/**
 * A small LRU cache with optional per-entry expiry, and in-flight request coalescing, used by
 * the REST clients (DEK registry, HTTP schema source).
 *
 * @packageDocumentation
 */

interface Entry<V> {
  value: V;
  /** ms epoch after which the entry is stale; undefined = until evicted. */
  expiresAt?: number;
}

/** LRU map with capacity and optional TTL per entry. */
export class LruCache<V> {
  private readonly map = new Map<string, Entry<V>>();

  constructor(private readonly capacity: number) {}

  /** The value, if present and fresh (and marks it most recently used). */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && Date.now() >= e.expiresAt) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Stores a value; `ttlMs` undefined = until evicted; `ttlMs <= 0` = not stored. */
  set(key: string, value: V, ttlMs?: number): void {
    if (this.capacity <= 0 || (ttlMs !== undefined && ttlMs <= 0)) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: ttlMs === undefined ? undefined : Date.now() + ttlMs });
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Deletes every key starting with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}

/** Coalesces concurrent calls with the same key into one promise. */
export class InFlight {
  private readonly pending = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.pending.get(key);
    if (existing) return existing as Promise<T>;
    const p = fn().finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }
}
