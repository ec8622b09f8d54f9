/**
 * Exactly once through crashes and scale-out, against the project's KRaft broker and AxonOps:
 * the job runs as child processes that are SIGKILLed mid-copy and restarted, or run side by
 * side in one consumer group.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { verifyReencryption, type ReencryptOptions, type ReencryptReport } from '../../src/index';
import { deserializers, dekVersionsOf, env, header, kafkaClient, readAll, rotatedSource, Scenario, startJob, type SourceRecord } from './fixtures';

interface Run {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed) and the report when it printed one. */
  exited: Promise<{ code: number | null; report?: ReencryptReport; stderr: string }>;
  /** Records copied according to the last progress line. */
  copied(): number;
  /** True once the process exited. */
  exitedAlready(): boolean;
}

function run(config: Record<string, unknown>): Run {
  const child = startJob(config);
  let stdout = '';
  let stderr = '';
  let copied = 0;
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      stderr += `${line}\n`;
      try {
        const p = JSON.parse(line) as { progress?: { copied: number } };
        if (p.progress) copied = p.progress.copied;
      } catch {
        // not a progress line
      }
    }
  });
  let gone = false;
  const exited = new Promise<{ code: number | null; report?: ReencryptReport; stderr: string }>((resolve) => {
    child.on('exit', (code) => {
      gone = true;
      let report: ReencryptReport | undefined;
      try {
        report = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').at(-1)!) as ReencryptReport) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, ...(report ? { report } : {}), stderr: stderr + partial });
    });
  });
  return { child, exited, copied: () => copied, exitedAlready: () => gone };
}

async function until(cond: () => boolean, what: string, job?: Run, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (job?.exitedAlready()) throw new Error(`the job exited before ${what}: ${(await job.exited).stderr.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Each source record exactly once in the target, decrypted equal, encrypted under `version`. */
async function expectExactlyOnce(s: Scenario, source: SourceRecord[], version: number): Promise<void> {
  const target = await readAll(s.e, s.target);
  const { value, key } = deserializers(s);
  const count = new Array<number>(source.length).fill(0);
  let mismatches = 0;
  for (const r of target) {
    const seq = Number(header(r.message.headers, 'seq'));
    count[seq]!++;
    const expected = source[seq]!;
    if (r.partition !== expected.partition || r.message.timestamp !== expected.timestamp) mismatches++;
    if ((await key.deserialize(s.target, r.message.key!)) !== expected.key) mismatches++;
    if (expected.value === null) {
      if (r.message.value !== null) mismatches++;
      continue;
    }
    if (dekVersionsOf(r.message.value!).some((v) => v !== version)) mismatches++;
    const plain = { ...((await value.deserialize(s.target, r.message.value!)) as object) };
    if (JSON.stringify(plain) !== JSON.stringify(expected.value)) mismatches++;
  }
  expect(mismatches).toBe(0);
  expect(count.filter((n) => n === 0).length).toBe(0); // none lost
  expect(count.filter((n) => n > 1).length).toBe(0); // none duplicated
  expect(target.length).toBe(source.length);
}

/** Source offsets the group has committed, summed over partitions (= records copied so far). */
async function committed(s: Scenario): Promise<number> {
  const admin = kafkaClient(s.e).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: s.group, topics: [s.source] });
    return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

function jobConfig(s: Scenario, extra: Partial<ReencryptOptions> = {}): Record<string, unknown> {
  return { ...s.job({ sessionTimeoutMs: 6000, ...extra }) };
}

describe('reencryptTopic as a process', () => {
  it('copies 20,000 records exactly once through 3 SIGKILLs, all under the rotated DEK', { timeout: 240_000 }, async () => {
    const s = new Scenario(env());
    const src = await rotatedSource(s, 6, 10_000);
    // Small transactions, two partitions at a time: many commits to be killed in the middle of.
    const config = jobConfig(s, { maxRecordsPerTransaction: 250, maxBytesPerPartition: 32 * 1024, concurrency: 2 });
    const kills: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Kill after a random share of what is left (so that each run is killed mid-copy).
      const left = src.length - (await committed(s));
      const threshold = 100 + Math.floor(Math.random() * Math.min(3000, left / 4));
      const job = run(config);
      await until(() => job.copied() >= threshold, `run ${i} copied ${threshold} records`, job);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      job.child.kill('SIGKILL');
      const { code } = await job.exited;
      expect(code).toBeNull();
      kills.push(`${job.copied()} (threshold ${threshold})`);
    }
    const last = run(config);
    const { code, report, stderr } = await last.exited;
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(report).toMatchObject({ reachedEnd: true, deadLettered: 0 });
    // The last run copied what the killed ones had not committed.
    expect(report!.copied).toBeLessThan(src.length);
    expect(Object.keys(report!.byTargetDekVersion)).toEqual(['3']);
    await expectExactlyOnce(s, src, 3);
    const verified = await verifyReencryption({ from: s.source, to: s.target, kafka: { brokers: s.e.brokers }, serde: s.serde() });
    expect(verified.match).toBe(true);
    expect(verified.targetRecords).toBe(src.length);
    expect(Object.keys(verified.targetDekVersions)).toEqual(['3']);
    console.log(`crash test: killed after ${kills.join(', ')} records; last run copied ${report!.copied} in ${report!.elapsedMs} ms`);
  });

  it('two processes in one group split the partitions, both copy, nothing is duplicated', { timeout: 180_000 }, async () => {
    const s = new Scenario(env(), 'topic');
    const src = await rotatedSource(s, 6, 6000);
    const config = jobConfig(s, { maxRecordsPerTransaction: 50, maxBytesPerPartition: 16 * 1024 });
    const a = run(config);
    await until(() => a.copied() > 0, 'the first process copied records', a);
    const b = run(config);
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(ra.report!.copied).toBeGreaterThan(0);
    expect(rb.report!.copied).toBeGreaterThan(0);
    expect(ra.report!.copied + rb.report!.copied).toBe(src.length);
    // Under the topic strategy the new topic has its own subject, so its own DEK history.
    await expectExactlyOnce(s, src, 1);
    console.log(`scale-out: process A copied ${ra.report!.copied} (partitions ${Object.keys(ra.report!.byPartition)}), B ${rb.report!.copied} (partitions ${Object.keys(rb.report!.byPartition)})`);
  });
});
