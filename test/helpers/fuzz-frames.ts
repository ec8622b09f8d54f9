/** Fuzz helper: mutated, truncated and random wire frames fed to a deserializer. */
import { expect } from 'vitest';
import { CsfleError, frame } from '../../src/index';

export interface FuzzFramesOptions {
  /** Seed of the deterministic LCG. */
  seed: number;
  /** Largest random body (exclusive) in the random-frame case. */
  maxBody: number;
  /** Truncations keep the 5-byte header (magic byte and schema id) instead of cutting anywhere. */
  keepHeader?: boolean;
  /** How many inputs (default 3000); one third each mutated, truncated, random. */
  iterations?: number;
}

/**
 * Feeds `deserialize` inputs derived from the good frame `good`; each must resolve or reject
 * with a {@link CsfleError} (asserted here). Returns how many resolved and how many rejected.
 */
export async function fuzzFrames(
  good: Buffer,
  deserialize: (input: Buffer) => Promise<unknown>,
  { seed, maxBody, keepHeader = false, iterations = 3000 }: FuzzFramesOptions,
): Promise<{ values: number; errors: number }> {
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let values = 0;
  let errors = 0;
  for (let i = 0; i < iterations; i++) {
    let input: Buffer;
    if (i % 3 === 0) {
      input = Buffer.from(good);
      for (let k = 0, m = 1 + rnd(4); k < m; k++) input[5 + rnd(input.length - 5)] = rnd(256);
    } else if (i % 3 === 1) {
      input = keepHeader ? good.subarray(0, 5 + rnd(good.length - 5)) : good.subarray(0, rnd(good.length));
    } else {
      const body = Buffer.alloc(rnd(maxBody));
      for (let k = 0; k < body.length; k++) body[k] = rnd(256);
      input = frame(good.readInt32BE(1), body);
    }
    try {
      await deserialize(input);
      values++;
    } catch (err) {
      expect(err).toBeInstanceOf(CsfleError);
      errors++;
    }
  }
  return { values, errors };
}
