/**
 * Topic re-encryption against the project's KRaft broker and AxonOps: the copy (keys, headers,
 * timestamps, partitions, tombstones, DEK versions), bad records, verification.
 */
import { describe, expect, it } from 'vitest';
import { CsfleError, reencryptTopic, verifyReencryption, type ReencryptProgress } from '../../src/index';
import {
  deserializers,
  dekVersionsOf,
  env,
  header,
  produce,
  readAll,
  records,
  Scenario,
  type SourceRecord,
} from './fixtures';

const PARTITIONS = 3;

/** Source written under DEK v1 then v2, then the DEK rotated to v3. */
async function rotatedSource(s: Scenario, perVersion: number): Promise<SourceRecord[]> {
  await s.createTopics(PARTITIONS);
  await s.register();
  const v1 = records(0, perVersion, PARTITIONS);
  await produce(s, v1);
  expect(await s.rotate()).toBe(2);
  const v2 = records(perVersion, perVersion, PARTITIONS);
  await produce(s, v2);
  expect(await s.rotate()).toBe(3);
  return [...v1, ...v2];
}

/** Checks the target holds each source record exactly once, equal once decrypted, under `version`. */
async function expectCopied(s: Scenario, source: SourceRecord[], version: number): Promise<void> {
  const target = await readAll(s.e, s.target);
  const { value, key } = deserializers(s);
  const seen = new Map<number, number>();
  for (const r of target) {
    const seq = Number(header(r.message.headers, 'seq'));
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    const expected = source[seq]!;
    expect(r.partition).toBe(expected.partition);
    expect(r.message.timestamp).toBe(expected.timestamp);
    expect(await key.deserialize(s.target, r.message.key!)).toBe(expected.key);
    if (expected.value === null) {
      expect(r.message.value).toBeNull();
    } else {
      expect(dekVersionsOf(r.message.value!)).toEqual([version, version]);
      expect({ ...(await value.deserialize(s.target, r.message.value!)) as object }).toEqual(expected.value);
    }
  }
  expect(target.length).toBe(source.length);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
  expect(seen.size).toBe(source.length);
}

describe('reencryptTopic', () => {
  it('copies every record under the latest DEK: keys, headers, timestamps, partitions and tombstones kept', async () => {
    const s = new Scenario(env());
    const source = await rotatedSource(s, 300);
    const progress: ReencryptProgress[] = [];
    const report = await reencryptTopic({
      from: s.source,
      to: s.target,
      group: s.group,
      kafka: { brokers: s.e.brokers },
      serde: s.serde(),
      stopAtEnd: true,
      maxRecordsPerTransaction: 100,
      progressIntervalMs: 100,
      onProgress: (p) => progress.push(p),
    });
    const tombstones = source.filter((r) => r.value === null).length;
    expect(report).toMatchObject({ copied: 600, tombstones, deadLettered: 0, reachedEnd: true });
    expect(report.bySourceDekVersion).toEqual({ '1': 300 - records(0, 300, 1).filter((r) => r.value === null).length, '2': 300 - records(300, 300, 1).filter((r) => r.value === null).length });
    expect(report.byTargetDekVersion).toEqual({ '3': 600 - tombstones });
    expect(report.transactions).toBeGreaterThanOrEqual(6);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.copied).toBe(600);
    expect(progress.at(-1)!.totalLag).toBe(0);
    await expectCopied(s, source, 3);

    const verified = await verifyReencryption({ from: s.source, to: s.target, kafka: { brokers: s.e.brokers }, serde: s.serde() });
    expect(verified).toMatchObject({ match: true, sourceRecords: 600, targetRecords: 600, targetDekVersions: { '3': 600 - tombstones } });
    expect(Object.keys(verified.partitions)).toHaveLength(PARTITIONS);

    // Run again on the same group: nothing left to copy, nothing duplicated.
    const again = await reencryptTopic({ from: s.source, to: s.target, group: s.group, kafka: { brokers: s.e.brokers }, serde: s.serde(), stopAtEnd: true });
    expect(again.copied).toBe(0);
    expect((await readAll(s.e, s.target)).length).toBe(600);
  });
});
