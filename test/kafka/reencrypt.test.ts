/**
 * Topic re-encryption against the project's KRaft broker and AxonOps: the copy (keys, headers,
 * timestamps, partitions, tombstones, DEK versions), bad records, verification.
 */
import { describe, expect, it } from 'vitest';
import { CsfleError, reencryptTopic, verifyReencryption, type ReencryptProgress } from '../../src/index';
import {
  corruptValue,
  produceRaw,
  deserializers,
  dekVersionsOf,
  env,
  header,
  produce,
  readAll,
  records,
  rotatedSource,
  Scenario,
  type SourceRecord,
} from './fixtures';

const PARTITIONS = 3;

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
    const source = await rotatedSource(s, PARTITIONS, 300);
    const progress: ReencryptProgress[] = [];
    const report = await reencryptTopic({
      ...s.job(),
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
    const again = await reencryptTopic(s.job());
    expect(again.copied).toBe(0);
    expect((await readAll(s.e, s.target)).length).toBe(600);
  });

  it('stops at a record that cannot be decrypted, naming topic, partition and offset; what came before is committed', async () => {
    const s = new Scenario(env());
    await s.createTopics(PARTITIONS);
    await s.register();
    await produce(s, records(0, 30, PARTITIONS));
    await produceRaw(s, [{ partition: 1, key: null, value: await corruptValue(s, 999), headers: { seq: '999' } }]);
    await produce(s, records(30, 30, PARTITIONS));
    const err = await reencryptTopic(s.job()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CsfleError);
    const e = err as CsfleError;
    expect(e.code).toBe('REENCRYPT_FAILED');
    expect(e.context).toMatchObject({ topic: s.source, partition: 1, offset: '10' });
    expect(e.message).toContain(`topic=${s.source}, `);
    expect(e.message).toContain('partition=1, offset=10');
    expect((e.cause as CsfleError).code).toBe('DECRYPTION_FAILED');
    expect(e.message).not.toMatch(/Secret|ssn-0/);
    // Partition 1 holds exactly the ten records before the bad one.
    const p1 = (await readAll(s.e, s.target)).filter((r) => r.partition === 1);
    expect(p1.map((r) => Number(header(r.message.headers, 'seq')))).toEqual(records(0, 30, PARTITIONS).filter((r) => r.partition === 1).map((r) => r.seq));

    // A restart stops at the same record.
    const again = await reencryptTopic(s.job()).catch((x: unknown) => x as CsfleError);
    expect((again as CsfleError).context).toMatchObject({ partition: 1, offset: '10' });
  });
});
