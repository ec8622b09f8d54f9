/**
 * KEK rewrap on the in-memory DEK registry with local-kms: every DEK version gets new material,
 * records stay readable, a second run changes nothing, soft-deleted DEKs, dry run, failures that
 * put the old material back, and the journal's validation.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  newKmsClient,
  rewrapKek,
  type DekRegistryAdmin,
  type RewrapProgress,
} from '../../src/index';
import { expectReadable, worldDeks, writeWorld } from './fixtures';
import { csfleRejection as failure } from '../helpers/csfle-rejection';

const SECRET = 'lifecycle-secret';
const kms = { 'local-kms': { secret: SECRET } };

async function setup(kek = 'orders') {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const world = await writeWorld({
    schemaRegistry: () => schemaRegistry,
    dekRegistry,
    dekRegistryForSerde: () => dekRegistry,
    kek,
    kmsType: 'local-kms',
    kmsKeyId: 'mykey',
    kms,
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'rewrap-'));
  return { schemaRegistry, dekRegistry, world, journalPath: path.join(dir, 'rewrap.journal') };
}

describe('rewrapKek (in-memory registry, local-kms)', () => {
  it('rewraps every DEK version; records still decrypt; a second run changes nothing; the journal holds no key bytes', async () => {
    const { schemaRegistry, dekRegistry, world, journalPath } = await setup();
    const before = await worldDeks(dekRegistry, 'orders');
    const progress: RewrapProgress[] = [];
    const report = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath, onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({ kekName: 'orders', total: 3, rewrapped: 3, unchanged: 0, failed: 0, dryRun: false, journalPath });
    const after = await worldDeks(dekRegistry, 'orders');
    after.forEach((d, i) => {
      expect(d.encryptedKeyMaterial).not.toBe(before[i]!.encryptedKeyMaterial);
      expect(d.deleted).toBeUndefined();
    });
    await expectReadable(world, schemaRegistry, dekRegistry);
    expect(progress.at(-1)).toEqual({ phase: 'done', done: 3, total: 3 });

    const again = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath });
    expect(again).toMatchObject({ total: 3, rewrapped: 0, unchanged: 3, failed: 0 });
    expect((await worldDeks(dekRegistry, 'orders')).map((d) => d.encryptedKeyMaterial)).toEqual(after.map((d) => d.encryptedKeyMaterial));

    // old and new wrapped material only: never the unwrapped Tink key proto
    const text = readFileSync(journalPath, 'utf8');
    const client = await newKmsClient('local-kms', 'mykey', kms['local-kms']);
    for (const d of before) {
      expect(text).toContain(d.encryptedKeyMaterial);
      const proto = await client.unwrap(Buffer.from(d.encryptedKeyMaterial!, 'base64'));
      expect(text).not.toContain(proto.toString('base64'));
      expect(text).not.toContain(proto.subarray(proto.length - 32).toString('base64').slice(0, 20));
    }
    expect(existsSync(`${journalPath}.lock`)).toBe(false);
  });

  it('with concurrency: every DEK once, the journal well formed', async () => {
    const { schemaRegistry, dekRegistry, world, journalPath } = await setup();
    const report = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath, concurrency: 3 });
    expect(report).toMatchObject({ total: 3, rewrapped: 3, failed: 0 });
    const lines = readFileSync(journalPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string });
    expect(lines.filter((l) => l.type === 'intent')).toHaveLength(3);
    expect(lines.filter((l) => l.type === 'done')).toHaveLength(3);
    await expectReadable(world, schemaRegistry, dekRegistry);
    expect(JSON.stringify(report)).not.toMatch(/keyMaterial/);
  });

  it('soft-deleted DEKs are skipped by default and rewrapped (staying soft-deleted) with includeDeleted', async () => {
    const { schemaRegistry, dekRegistry, world, journalPath } = await setup();
    await dekRegistry.deleteDek('orders', 'orders-a-value', { algorithm: 'AES256_GCM', version: 1 });
    const before = await worldDeks(dekRegistry, 'orders');
    const first = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath });
    expect(first).toMatchObject({ total: 3, rewrapped: 2, skippedDeleted: 1 });
    expect((await worldDeks(dekRegistry, 'orders'))[0]!.encryptedKeyMaterial).toBe(before[0]!.encryptedKeyMaterial);
    const second = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath, includeDeleted: true });
    expect(second).toMatchObject({ total: 3, rewrapped: 1, unchanged: 2, skippedDeleted: 0 });
    const v1 = (await worldDeks(dekRegistry, 'orders'))[0]!;
    expect(v1.deleted).toBe(true);
    expect(v1.encryptedKeyMaterial).not.toBe(before[0]!.encryptedKeyMaterial);
    await expectReadable(world, schemaRegistry, dekRegistry); // consumers read soft-deleted DEKs
  });

  it('dry run: checks every DEK, changes nothing, writes no journal', async () => {
    const { dekRegistry, journalPath } = await setup();
    const before = await worldDeks(dekRegistry, 'orders');
    const report = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, total: 3, rewrapped: 3, failed: 0 });
    expect(report.journalPath).toBeUndefined();
    expect(existsSync(journalPath)).toBe(false);
    expect(await worldDeks(dekRegistry, 'orders')).toEqual(before);
  });

  it('a failed create puts the old material back and reports it; the next run rewraps it', async () => {
    const { schemaRegistry, dekRegistry, world, journalPath } = await setup();
    const before = await worldDeks(dekRegistry, 'orders');
    let failNext = 1;
    const flaky = new Proxy(dekRegistry, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'registerDek') {
          return async (...args: Parameters<DekRegistryAdmin['registerDek']>) => {
            if (failNext-- > 0) throw new CsfleError('REGISTRY_UNAVAILABLE', 'injected', { retryable: true });
            return target.registerDek(...args);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const report = await rewrapKek({ dekRegistry: flaky, kms, kekName: 'orders', journalPath });
    expect(report).toMatchObject({ rewrapped: 2, restored: 1, failed: 1 });
    expect(report.failures[0]).toMatchObject({ subject: 'orders-a-value', version: 1, code: 'REWRAP_FAILED', pending: false });
    expect((await worldDeks(dekRegistry, 'orders'))[0]!.encryptedKeyMaterial).toBe(before[0]!.encryptedKeyMaterial);
    await expectReadable(world, schemaRegistry, dekRegistry);
    const next = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath });
    expect(next).toMatchObject({ rewrapped: 1, unchanged: 2, failed: 0 });
  });

  it('refuses a soft-deleted KEK, a wrong secret, a missing journal on resume', async () => {
    const { dekRegistry, journalPath } = await setup();
    const wrong = await rewrapKek({ dekRegistry, kms: { 'local-kms': { secret: 'nope' } }, kekName: 'orders', journalPath });
    expect(wrong).toMatchObject({ rewrapped: 0, failed: 3 });
    expect(wrong.failures[0]).toMatchObject({ code: 'KMS_ACCESS_DENIED', pending: false });
    expect((await failure(rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath: `${journalPath}.none`, resume: true }))).code).toBe('JOURNAL_INVALID');
    expect((await failure(rewrapKek({ dekRegistry, kms, kekName: 'nokek', journalPath }))).code).toBe('KEK_NOT_FOUND');
    const empty = new InMemoryDekRegistry();
    await empty.registerKek({ name: 'gone', kmsType: 'local-kms', kmsKeyId: 'k' });
    await empty.deleteKek('gone');
    expect((await failure(rewrapKek({ dekRegistry: empty, kms, kekName: 'gone', journalPath }))).code).toBe('KEK_DELETED');
  });
});

describe('rewrap journal validation', () => {
  const header = (kek = 'orders') => `${JSON.stringify({ journal: 'kafka-csfle', format: 1, op: 'rewrap', createdAt: new Date().toISOString(), kekName: kek })}\n`;
  const intent = { type: 'intent', subject: 'orders-a-value', algorithm: 'AES256_GCM', version: 1, deleted: false, oldWrapped: 'AAAA', newWrapped: 'BBBB', at: 'x' };

  it.each([
    ['a line that is not JSON', `${header()}{oops\n`],
    ['an unknown entry type', `${header()}${JSON.stringify({ ...intent, type: 'weird' })}\n`],
    ['an intent without wrapped material', `${header()}${JSON.stringify({ ...intent, newWrapped: '' })}\n`],
    ['raw key material', `${header()}${JSON.stringify({ ...intent, keyMaterial: 'AAAA' })}\n`],
    ['another operation', `${JSON.stringify({ journal: 'kafka-csfle', format: 1, op: 'export', createdAt: 'x' })}\n`],
    ['another KEK', header('other')],
    ['not a journal', 'hello\n'],
  ])('JOURNAL_INVALID: %s', async (_name, text) => {
    const { dekRegistry, journalPath } = await setup();
    writeFileSync(journalPath, text);
    const before = await worldDeks(dekRegistry, 'orders');
    expect((await failure(rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath, resume: true }))).code).toBe('JOURNAL_INVALID');
    expect(await worldDeks(dekRegistry, 'orders')).toEqual(before);
  });

  it('unfinished intents need resume; a torn last line (interrupted append) is dropped', async () => {
    const { dekRegistry, journalPath } = await setup();
    const dek = (await worldDeks(dekRegistry, 'orders'))[0]!;
    const client = await newKmsClient('local-kms', 'mykey', kms['local-kms']);
    const key = await client.unwrap(Buffer.from(dek.encryptedKeyMaterial!, 'base64'));
    const pending = { ...intent, oldWrapped: dek.encryptedKeyMaterial, newWrapped: (await client.wrap(key)).toString('base64') };
    writeFileSync(journalPath, `${header()}${JSON.stringify(pending)}\n{"type":"done","subj`);
    const refused = await failure(rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath }));
    expect(refused.code).toBe('REWRAP_FAILED');
    expect(refused.message).toContain('--resume');
    const report = await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath, resume: true });
    expect(report).toMatchObject({ resumed: 1, rewrapped: 2, unchanged: 1, failed: 0 });
    expect((await worldDeks(dekRegistry, 'orders'))[0]!.encryptedKeyMaterial).toBe(pending.newWrapped);
    const lines = readFileSync(journalPath, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    for (const l of lines.slice(0, -1)) JSON.parse(l);
  });

  it('a journal locked by a live process is refused; a lock left by a dead one is taken over', async () => {
    const { dekRegistry, journalPath } = await setup();
    writeFileSync(`${journalPath}.lock`, String(process.ppid));
    expect((await failure(rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath }))).message).toContain('in use');
    writeFileSync(`${journalPath}.lock`, '999999999');
    expect(await rewrapKek({ dekRegistry, kms, kekName: 'orders', journalPath })).toMatchObject({ rewrapped: 3 });
  });
});
