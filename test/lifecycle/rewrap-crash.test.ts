/**
 * KEK rewrap (`kafka-csfle kek rewrap` in a child process) killed with SIGKILL at every step
 * boundary, then resumed (`--resume`), against
 * AxonOps with in-memory storage and with PostgreSQL storage. After each resume every record
 * written before decrypts in a fresh consumer and every DEK holds new material; while a DEK is
 * missing (between delete and create) a fresh reader gets a retryable DEK_NOT_FOUND.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroDeserializer, CRASH_AT_ENV, CsfleError, DekRegistryClient, HttpSchemaSource, rewrapKek } from '../../src/index';
import { runCli } from '../helpers/run-cli';
import { AxonOpsProcess, createPgDatabase, requireEnv, uniq } from '../registry/helpers';
import { expectReadable, worldDeks, writeWorld } from './fixtures';

const SECRET = 'lifecycle-crash-secret';
const kms = { 'local-kms': { secret: SECRET } };
const ROOT = path.resolve(__dirname, '../..');
const STEPS = ['after-journal', 'after-soft-delete', 'after-delete', 'after-create', 'before-verify'] as const;

function runRewrapProcess(url: string, kek: string, journal: string, crashAt: string): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const argv = ['kek', 'rewrap', kek, '--journal', journal, '--kms-config', `secret=${SECRET}`, '--url', url];
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'main.ts'), ...argv], {
      cwd: ROOT,
      env: { ...process.env, [CRASH_AT_ENV]: crashAt },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

const cli = (...argv: string[]) => runCli(argv);

function crashSuite(name: string, registryUrl: () => string): void {
  describe(`rewrap killed and resumed (AxonOps, ${name})`, () => {
    it.each(STEPS)(`killed %s`, async (step) => {
      const url = registryUrl();
      const kek = uniq('rwc');
      const admin = new DekRegistryClient({ url, cacheCapacity: 0 });
      const world = await writeWorld({
        schemaRegistry: () => ({ url }),
        dekRegistry: admin,
        dekRegistryForSerde: () => ({ url }),
        kek,
        kmsType: 'local-kms',
        kmsKeyId: 'mykey',
        kms,
      });
      const before = await worldDeks(admin, kek);
      const journal = path.join(mkdtempSync(path.join(tmpdir(), 'rwc-')), 'rewrap.journal');

      const killed = await runRewrapProcess(url, kek, journal, step);
      expect(killed.signal, killed.out).toBe('SIGKILL');
      const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l['type'] ?? 'header')).toEqual(['header', 'intent']);

      const first = { kek, subject: `${kek}-a-value`, algorithm: 'AES256_GCM' as const, version: 1 };
      const atCrash = await admin.getDek(kek, first.subject, { algorithm: first.algorithm, version: 1, deleted: true });
      if (step === 'after-delete') {
        // the window a reader can hit: the version is gone until the create
        expect(atCrash).toBeUndefined();
        const reader = new AvroDeserializer({ schemaRegistry: { url }, dekRegistry: { url }, kms });
        const err = await reader.deserialize(`${kek}-a`, world.records.get(`${kek}-a`)![0]!).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CsfleError);
        expect(err).toMatchObject({ code: 'DEK_NOT_FOUND', retryable: true });
      } else if (step === 'after-journal') {
        expect(atCrash?.encryptedKeyMaterial).toBe(before[0]!.encryptedKeyMaterial);
      } else if (step !== 'after-soft-delete') {
        expect(atCrash?.encryptedKeyMaterial).toBe(lines[1]!['newWrapped']);
      }

      const without = await cli('kek', 'rewrap', kek, '--journal', journal, '--kms-config', `secret=${SECRET}`, '--url', url);
      expect(without.code).toBe(1);
      expect(JSON.parse(without.err)).toMatchObject({ error: { code: 'REWRAP_FAILED' } });
      const resumed = await cli('kek', 'rewrap', kek, '--journal', journal, '--resume', '--kms-config', `secret=${SECRET}`, '--url', url);
      expect(resumed.code, resumed.err).toBe(0);
      expect(JSON.parse(resumed.out)).toMatchObject({ resumed: 1, restored: 0, failed: 0, total: 3, rewrapped: 2, unchanged: 1 });

      const after = await worldDeks(admin, kek);
      after.forEach((d, i) => {
        expect(d.encryptedKeyMaterial).not.toBe(before[i]!.encryptedKeyMaterial);
        expect(d.deleted).toBeUndefined();
      });
      await expectReadable(world, { url }, { url });
      if (step === 'before-verify') {
        const again = await rewrapKek({ dekRegistry: { url }, kms, kekName: kek, journalPath: journal });
        expect(again).toMatchObject({ rewrapped: 0, unchanged: 3, failed: 0 });
        expect((await worldDeks(admin, kek)).map((d) => d.encryptedKeyMaterial)).toEqual(after.map((d) => d.encryptedKeyMaterial));
      }
    });
  });
}

crashSuite('in-memory storage', () => requireEnv('SCHEMA_REGISTRY_URL'));

let pg: AxonOpsProcess | undefined;
beforeAll(async () => {
  pg = await AxonOpsProcess.create(await createPgDatabase('rewrap'));
  await pg.start();
});
afterAll(async () => {
  await pg?.stop();
});
crashSuite('PostgreSQL storage', () => pg!.url);
