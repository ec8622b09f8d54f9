/**
 * `kafka-csfle keys export` and `kafka-csfle decrypt` against real AxonOps, moto S3 and the Kafka
 * broker: wrapped and plaintext exports, refusals, records read back from stdin and from a topic,
 * and two interval exporters (separate processes) on one sink exporting each key exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_PLAINTEXT_EXPORT_ENV, parseExportedKeys, readExportedKeys, S3Sink } from '../../src/index';
import { jsonLines, registryCli } from '../helpers/run-cli';
import { requireEnv } from '../registry/helpers';
import { expectedKeyLinks, produce, SECRET, type Produced } from '../lifecycle/export-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

let p: Produced;
beforeAll(async () => {
  p = await produce(requireEnv('SCHEMA_REGISTRY_URL'));
}, 60_000);

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'csfle-cli-export-'));

const cli = registryCli(() => p.url);

const allRecords = () => Object.values(p.subjects).flatMap((s) => s.records.map((r) => ({ s, r })));

describe('kafka-csfle keys export', () => {
  it('exports wrapped keys to a directory, then nothing new on the next run', async () => {
    const dir = tmp();
    const first = await cli(['keys', 'export', '--kek', p.kek, '--out', dir]);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.out) as { exported: number; keyLinks: string[]; mode: string };
    expect(summary.mode).toBe('wrapped');
    expect(summary.keyLinks.sort()).toEqual(expectedKeyLinks(p));
    const again = await cli(['keys', 'export', '--kek', p.kek, '--out', dir, '--once']);
    expect(JSON.parse(again.out)).toMatchObject({ exported: 0, alreadyExported: 4 });
  });

  it('refuses --plaintext without the environment variable (exit 1, EXPORT_REFUSED), warns with it', async () => {
    const dir = tmp();
    const refused = await cli(['keys', 'export', '--kek', p.kek, '--out', dir, '--plaintext']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.err).error.code).toBe('EXPORT_REFUSED');
    const ok = await cli(['keys', 'export', '--kek', p.kek, '--out', dir, '--plaintext', '--kms-config', `secret=${SECRET}`], {
      env: { [ALLOW_PLAINTEXT_EXPORT_ENV]: '1' },
    });
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/warning: exporting PLAINTEXT DEKs/);
    expect(ok.err).not.toContain(SECRET);
    const lines = await readExportedKeys([dir]);
    expect(lines.every((l) => 'tinkKey' in l)).toBe(true);
  });

  it('refuses an unwritable sink (exit 1, SINK_UNWRITABLE)', async () => {
    const file = path.join(tmp(), 'file');
    writeFileSync(file, 'x');
    const r = await cli(['keys', 'export', '--kek', p.kek, '--out', path.join(file, 'sub')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.err).error.code).toBe('SINK_UNWRITABLE');
  });
});

describe('kafka-csfle decrypt', () => {
  let wrappedDir: string;
  let plaintextDir: string;
  beforeAll(async () => {
    wrappedDir = tmp();
    plaintextDir = tmp();
    expect((await cli(['keys', 'export', '--kek', p.kek, '--out', wrappedDir])).code).toBe(0);
    const env = { [ALLOW_PLAINTEXT_EXPORT_ENV]: '1', LOCAL_SECRET: SECRET };
    process.env.LOCAL_SECRET = SECRET; // the local-kms driver reads it from the process environment
    try {
      expect((await cli(['keys', 'export', '--kek', p.kek, '--out', plaintextDir, '--plaintext'], { env })).code).toBe(0);
    } finally {
      delete process.env.LOCAL_SECRET;
    }
  });

  it('reads base64 and hex records from stdin with plaintext keys (no KMS, schema from the registry)', async () => {
    for (const s of Object.values(p.subjects)) {
      const input = s.records.map((r, i) => (i % 2 ? r.bytes.toString('hex') : r.bytes.toString('base64')));
      const r = await cli(['decrypt', '--keys', plaintextDir, '--schema-registry', p.url, '--subject', s.subject], { stdin: input });
      expect(r.err).toBe('');
      expect(jsonLines(r.out)).toEqual(s.records.map((x) => x.value));
    }
  });

  it('reads records with wrapped keys and the KMS only, schema from a file', async () => {
    const s = p.subjects.rot;
    const schemaFile = path.join(tmp(), 'schema.json');
    writeFileSync(schemaFile, JSON.stringify(s.info));
    const input = s.records.map((r) => r.bytes.toString('base64'));
    const r = await cli(
      ['decrypt', '--keys', wrappedDir, '--schema', schemaFile, '--subject', s.subject, '--kms-config', `secret=${SECRET}`],
      { stdin: input },
    );
    expect(r.code).toBe(0);
    expect(jsonLines(r.out)).toEqual(s.records.map((x) => x.value));
    // Without the KMS secret the wrapped keys are useless: exit 1, no plaintext printed.
    const denied = await cli(['decrypt', '--keys', wrappedDir, '--schema', schemaFile, '--subject', s.subject, '--kms-config', 'secret=wrong'], {
      stdin: input,
    });
    expect(denied.code).toBe(1);
    expect(denied.out).toBe('');
    for (const x of s.records) expect(denied.err).not.toContain(x.value.ssn);
  });

  it('reads a topic from the broker', async () => {
    const brokers = [requireEnv('KAFKA_BROKERS', 'kafka')];
    const kafka = new Kafka({ brokers, clientId: 'export-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topic = p.subjects.gcm.topic;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: p.subjects.gcm.records.map((r, i) => ({ partition: i % 2, value: r.bytes })) });
    await producer.disconnect();
    const r = await cli(['decrypt', '--keys', plaintextDir, '--schema-registry', p.url, '--topic', topic, '--brokers', brokers[0]!]);
    expect(r.code).toBe(0);
    const got = jsonLines(r.out) as { partition: number; value: unknown }[];
    expect(got.map((g) => g.value).sort((a, b) => (a as { id: number }).id - (b as { id: number }).id)).toEqual(
      p.subjects.gcm.records.map((x) => x.value),
    );
  }, 60_000);
});

describe('interval mode in separate processes', () => {
  function exporter(args: string[], env: Record<string, string>) {
    // One node process (no tsx wrapper in between), so SIGTERM reaches the exporter itself.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, out, err })),
    );
    /** Resolves once the exporter has reported `n` passes. */
    const passes = async (n: number): Promise<void> => {
      for (let i = 0; i < 400 && jsonLines(out).length < n; i++) await new Promise((r) => setTimeout(r, 100));
      if (jsonLines(out).length < n) throw new Error(`exporter made fewer than ${n} passes: ${err}`);
    };
    return { child, done, passes };
  }

  it('two concurrent --interval exporters on one S3 sink write each key exactly once; a restart resumes', async () => {
    const endpoint = requireEnv('MOTO_ENDPOINT', 'moto');
    const creds = { accessKeyId: 'AKIAMOTOTEST00000001', secretAccessKey: 'moto-test-secret-not-real' };
    const bucket = `csfle-cli-${Date.now().toString(36)}`;
    await new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );
    const env = {
      SCHEMA_REGISTRY_URL: p.url,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    const out = `s3://${bucket}/escrow`;
    const args = ['keys', 'export', '--kek', p.kek, '--out', out, '--s3-endpoint', endpoint, '--s3-path-style'];
    const a = exporter([...args, '--interval', '200ms'], env);
    const b = exporter([...args, '--interval', '200ms'], env);
    // Let both run several passes, then stop them as an operator would.
    await Promise.all([a.passes(3), b.passes(3)]);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.err).toBe(0);
    expect(rb.code, rb.err).toBe(0);
    const passes = [...jsonLines(ra.out), ...jsonLines(rb.out)] as { keyLinks: string[] }[];
    expect(passes.length).toBeGreaterThanOrEqual(6);
    expect(passes.flatMap((x) => x.keyLinks).sort()).toEqual(expectedKeyLinks(p));

    // Every key is in exactly one file of the sink.
    const sink = new S3Sink(out, { endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds });
    const files = (await sink.list('')).filter((e) => e.name.endsWith('.jsonl'));
    const inSink = (await Promise.all(files.map(async (f) => parseExportedKeys((await sink.read(f.name))!)))).flat();
    expect(inSink.map((l) => l.keyLink).sort()).toEqual(expectedKeyLinks(p));

    // A restarted exporter has nothing left to do.
    const restart = exporter([...args, '--once'], env);
    const r = await restart.done;
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ exported: 0, alreadyExported: 4 });
  }, 60_000);
});
