/**
 * The one bounded store of unwrapped DEKs of a KeyRing: every cipher, on the producer and the
 * consumer side, lives here and only here. At `capacity` the least recently used cipher is
 * evicted and wiped.
 *
 * Lookups per record go through the per-(KEK, subject, algorithm) family maps, which are stable
 * (emptied in place, never replaced) so callers may keep them.
 *
 * @packageDocumentation
 */
import type { KeyRingCounters } from '../observe/stats';
import type { DekAlgorithm } from './model';
import type { ManagedCipher, UseClock } from './managed-cipher';

/** Bounded LRU of {@link ManagedCipher}s. */
export class CipherCache {
  readonly #capacity: number;
  readonly #counters: KeyRingCounters;
  /** DEK id → cipher. */
  readonly #byId = new Map<string, ManagedCipher>();
  /** Family id → DEK version → cipher. */
  readonly #families = new Map<string, Map<number, ManagedCipher>>();
  /** Stamps every use of every cipher of this cache (LRU order). */
  readonly uses: UseClock = { tick: 0 };

  constructor(capacity: number, counters: KeyRingCounters) {
    this.#capacity = Math.max(1, capacity);
    this.#counters = counters;
  }

  get size(): number {
    return this.#byId.size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** The live version map of one (KEK, subject, algorithm). */
  family(kekName: string, subject: string, algorithm: DekAlgorithm): Map<number, ManagedCipher> {
    const id = familyId(kekName, subject, algorithm);
    let versions = this.#families.get(id);
    if (!versions) this.#families.set(id, (versions = new Map()));
    return versions;
  }

  get(id: string): ManagedCipher | undefined {
    return this.#byId.get(id);
  }

  /** Every cached cipher (removing the current one while iterating is safe). */
  values(): IterableIterator<ManagedCipher> {
    return this.#byId.values();
  }

  /** Adds a cipher, replacing (and wiping) a previous one of the same DEK and evicting the LRU at capacity. */
  put(cipher: ManagedCipher): void {
    const previous = this.#byId.get(cipher.id);
    if (previous === cipher) return;
    if (previous) {
      this.remove(previous);
    } else if (this.#byId.size >= this.#capacity) {
      const victim = this.#leastRecentlyUsed();
      if (victim) {
        this.remove(victim);
        this.#counters.evictions++;
      }
    }
    this.#byId.set(cipher.id, cipher);
    const { kekName, subject, algorithm, version } = cipher.identity;
    this.family(kekName, subject, algorithm).set(version, cipher);
  }

  /** Drops and wipes one cipher (if it is still the cached one). */
  remove(cipher: ManagedCipher): void {
    if (this.#byId.get(cipher.id) === cipher) {
      this.#byId.delete(cipher.id);
      const { kekName, subject, algorithm, version } = cipher.identity;
      const versions = this.#families.get(familyId(kekName, subject, algorithm));
      if (versions?.get(version) === cipher) versions.delete(version);
    }
    cipher.destroy();
  }

  /** Drops and wipes every cipher; family maps are emptied in place. */
  clear(): void {
    for (const cipher of this.#byId.values()) cipher.destroy();
    this.#byId.clear();
    for (const versions of this.#families.values()) versions.clear();
  }

  /**
   * Linear scan for the smallest use stamp. Runs only when a new key is added at capacity, i.e.
   * next to a registry or KMS call that costs far more; uses stay a single integer store.
   */
  #leastRecentlyUsed(): ManagedCipher | undefined {
    let victim: ManagedCipher | undefined;
    for (const c of this.#byId.values()) if (!victim || c.lastUse < victim.lastUse) victim = c;
    return victim;
  }
}

/** Id of a (KEK, subject, algorithm) family. */
export function familyId(kekName: string, subject: string, algorithm: DekAlgorithm): string {
  return `${kekName}\u0000${subject}\u0000${algorithm}`;
}

/** Id of one DEK version. */
export function dekId(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): string {
  return `${kekName}\u0000${subject}\u0000${algorithm}\u0000${version}`;
}
