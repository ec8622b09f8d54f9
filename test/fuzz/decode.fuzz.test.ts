/**
 * Fuzz in the suite: 21,000 mutated records per run through `AvroDeserializer` (GCM, SIV,
 * rotation, payload encryption, arrays, maps, nested and recursive records), oracle in
 * harness.ts. Long runs: `npm run fuzz -- --count 1000000`.
 */
import { describe, expect, it } from 'vitest';
import { buildScenarios, documentedCodes, fuzz, MUTATIONS, SLOW_MS } from './harness';

const COUNT = Number(process.env['FUZZ_COUNT'] ?? 21_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

describe('decode fuzzing', () => {
  it('the documented error-code table exists', () => {
    expect(documentedCodes().size).toBeGreaterThan(20);
    expect(documentedCodes().has('DESERIALIZATION_FAILED')).toBe(true);
  });

  it(`${COUNT} mutated inputs: original record or documented CsfleError, no hang, no secret in errors (seed ${SEED})`, async () => {
    const scenarios = await buildScenarios(SEED);
    // the corpus itself round-trips
    for (const s of scenarios) for (const r of s.records) expect(await s.deserializer.deserialize(s.topic, r.bytes)).toBeDefined();
    const report = await fuzz(scenarios, COUNT, SEED);
    expect(report.inputs).toBe(COUNT);
    expect(report.incidents).toEqual([]);
    expect(report.maxCpuMs).toBeLessThan(SLOW_MS);
    // the mutations really exercise both outcomes and many error paths
    expect(report.sameAsOriginal).toBeGreaterThan(0);
    expect(Object.keys(report.errors)).toEqual(expect.arrayContaining(['DESERIALIZATION_FAILED', 'DECRYPTION_FAILED', 'SCHEMA_NOT_FOUND', 'INVALID_FRAMING', 'DEK_NOT_FOUND']));
    expect(MUTATIONS.length * scenarios.length).toBeLessThan(COUNT);
  }, 240_000);
});
