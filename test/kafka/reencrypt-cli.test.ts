/**
 * `kafka-csfle topic reencrypt` against the KRaft broker and AxonOps: dead-lettered records, the
 * JSON report, `--verify`, usage errors.
 */
import { describe, expect, it } from 'vitest';
import { progressText } from '../../src/cli/commands/topic';
import { run } from '../../src/cli/program';
import { AvroDeserializer, DEAD_LETTER_HEADERS, type ReencryptReport, type VerifyReport } from '../../src/index';
import { corruptValue, customer, env, header, produce, produceRaw, readAll, records, Scenario, SECRET, serializeValue } from './fixtures';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, errIsTTY: false });
  return { code, out, err };
}

describe('kafka-csfle topic reencrypt', () => {
  it('dead-letters records that cannot be decrypted, unchanged and counted; --verify then matches', { timeout: 120_000 }, async () => {
    const s = new Scenario(env());
    await s.createTopics(3);
    await s.register();
    const good = records(0, 60, 3);
    await produce(s, good.slice(0, 30));
    const corrupt = await corruptValue(s, 500);
    const notAvro = Buffer.from('plain text, not Confluent-framed');
    await produceRaw(s, [
      { partition: 1, key: Buffer.from('k-500'), value: corrupt, headers: { seq: '500' } },
      { partition: 2, key: null, value: notAvro, headers: { seq: '501' } },
      // A key that is not Avro-framed is copied byte for byte.
      { partition: 0, key: Buffer.from('raw-key-502'), value: await serializeValue(s, 502), headers: { seq: '502' } },
    ]);
    await produce(s, good.slice(30));
    const common = ['--brokers', s.e.brokers.join(','), '--url', s.e.registryUrl, '--kms-config', `secret=${SECRET}`, '--subject-name-strategy', 'record'];

    const copy = await cli('topic', 'reencrypt', '--from', s.source, '--to', s.target, '--group', s.group, '--dead-letter', s.deadLetter, '--stop-at-end', ...common);
    expect(copy.err).toBe('');
    expect(copy.code).toBe(0);
    const report = JSON.parse(copy.out) as ReencryptReport;
    expect(report).toMatchObject({ from: s.source, to: s.target, copied: 61, deadLettered: 2, reachedEnd: true });
    expect(report.bySourceDekVersion).toEqual({ '1': 61 - report.tombstones });

    const dead = await readAll(s.e, s.deadLetter);
    expect(dead).toHaveLength(2);
    const bySeq = new Map(dead.map((r) => [header(r.message.headers, 'seq'), r.message]));
    expect(bySeq.get('500')!.value!.equals(corrupt)).toBe(true);
    expect(bySeq.get('500')!.key!.toString()).toBe('k-500');
    expect(bySeq.get('501')!.value!.equals(notAvro)).toBe(true);
    expect(header(bySeq.get('500')!.headers, DEAD_LETTER_HEADERS.topic)).toBe(s.source);
    expect(header(bySeq.get('500')!.headers, DEAD_LETTER_HEADERS.partition)).toBe('1');
    expect(header(bySeq.get('500')!.headers, DEAD_LETTER_HEADERS.offset)).toBe('10');
    expect(header(bySeq.get('500')!.headers, DEAD_LETTER_HEADERS.error)).toBe('DECRYPTION_FAILED');
    expect(header(bySeq.get('501')!.headers, DEAD_LETTER_HEADERS.error)).toBe('INVALID_FRAMING');
    const target = await readAll(s.e, s.target);
    expect(target.length).toBe(61);
    const rawKeyed = target.find((r) => header(r.message.headers, 'seq') === '502')!;
    expect(rawKeyed.partition).toBe(0);
    expect(rawKeyed.message.key!.toString()).toBe('raw-key-502');
    expect({ ...((await new AvroDeserializer(s.serde()).deserialize(s.target, rawKeyed.message.value!)) as object) }).toEqual(customer(502));

    const verify = await cli('topic', 'reencrypt', '--verify', '--from', s.source, '--to', s.target, ...common);
    expect(verify.code).toBe(0);
    const v = JSON.parse(verify.out) as VerifyReport;
    expect(v).toMatchObject({ match: true, sourceRecords: 61, targetRecords: 61 });
    expect(v.partitions['1']).toMatchObject({ sourceUndecryptable: 1, match: true });

    // --verify fails (exit 1) when the target misses records: compare the source with the dead-letter topic.
    const bad = await cli('topic', 'reencrypt', '--verify', '--from', s.source, '--to', s.deadLetter, ...common);
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.out) as VerifyReport).match).toBe(false);
    expect(bad.err).toContain('REENCRYPT_FAILED');
  });

  it('reports usage errors (exit 2)', async () => {
    expect((await cli('topic', 'reencrypt', '--from', 'a', '--to', 'b', '--brokers', 'x:1', '--url', 'http://x')).code).toBe(2); // no --group
    expect((await cli('topic', 'reencrypt', '--to', 'b', '--group', 'g')).code).toBe(2); // no --from
    const noBrokers = await cli('topic', 'reencrypt', '--from', 'a', '--to', 'b', '--group', 'g', '--url', 'http://x');
    expect(noBrokers.code).toBe(2);
    expect(noBrokers.err).toContain('KAFKA_BROKERS');
    expect((await cli('topic', 'reencrypt', '--from', 'a', '--to', 'b', '--group', 'g', '--key-format', 'json')).code).toBe(2);
  });

  it('shows records/s, lag per partition and ETA on the progress line', () => {
    expect(progressText({ elapsedMs: 3000, copied: 1500, deadLettered: 2, recordsPerSecond: 500, lag: { 0: 300, 1: 200 }, totalLag: 500, etaSeconds: 1 })).toBe(
      'copied 1500 (+2 dead-lettered), 500 records/s, lag 500 [p0=300 p1=200], ETA 1s',
    );
    expect(progressText({ elapsedMs: 500, copied: 0, deadLettered: 0, recordsPerSecond: 0, lag: {}, totalLag: 0, etaSeconds: undefined })).toBe(
      'copied 0, 0 records/s, lag 0, ETA ?',
    );
  });
});
