/**
 * Key export against real AxonOps (DEKs produced by the serde) to a directory and to moto's S3:
 * line format, wrapped and plaintext modes, decrypting the produced records back with the
 * exported keys only, refusals, and the incremental checkpoint (twice, concurrently, after a
 * crash).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOW_PLAINTEXT_EXPORT_ENV,
  createOfflineDeserializer,
  CsfleError,
  DekRegistryClient,
  DirectorySink,
  exportKeys,
  ExportedKeyRegistry,
  parseExportedKeys,
  readExportedKeys,
  runKeyExporter,
  S3Sink,
  TINK_AES_GCM_TYPE_URL,
  TINK_AES_SIV_TYPE_URL,
  type ExportedKeyLine,
  type ExportKeysOptions,
  type ExportSink,
  type PlaintextKeyLine,
  type WrappedKeyLine,
} from '../../src/index';
import { requireEnv } from '../registry/helpers';
import { addDekVersion, expectedKeyLinks, KMS, produce, type Produced } from './export-fixtures';

const ALLOW = { [ALLOW_PLAINTEXT_EXPORT_ENV]: '1' };
const S3_CREDS = { accessKeyId: 'AKIAMOTOTEST00000001', secretAccessKey: 'moto-test-secret-not-real' };

let p: Produced;
let s3Endpoint: string;
beforeAll(async () => {
  p = await produce(requireEnv('SCHEMA_REGISTRY_URL'));
  s3Endpoint = requireEnv('MOTO_ENDPOINT', 'moto');
}, 60_000);

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'csfle-export-'));
const base = (extra: Partial<ExportKeysOptions> = {}): ExportKeysOptions => ({
  dekRegistry: { url: p.url },
  kekName: p.kek,
  sink: tmp(),
  kms: KMS,
  ...extra,
});

function filesOf(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
}

function linesOfDir(dir: string): ExportedKeyLine[] {
  return filesOf(dir).flatMap((f) => parseExportedKeys(readFileSync(path.join(dir, f), 'utf8'), f));
}

async function bucket(): Promise<string> {
  const name = `csfle-export-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const client = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDS });
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}
const s3Options = () => ({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDS });

/** Decrypts every produced record with only the exported lines; returns what differs. */
async function decryptAll(lines: readonly ExportedKeyLine[], kms = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const s of Object.values(p.subjects)) {
    const deser = createOfflineDeserializer({ keys: lines, schema: s.info, subject: s.subject, kms });
    for (const r of s.records) out.push(await deser.deserialize(s.topic, r.bytes));
  }
  return out;
}
const originals = (): unknown[] => Object.values(p.subjects).flatMap((s) => s.records.map((r) => r.value));

describe('key export to a directory', () => {
  it('wrapped (default): one line per DEK version with KEK coordinates, no KMS needed', async () => {
    const dir = tmp();
    // No kms config at all: wrapped export must not call the KMS.
    const result = await exportKeys({ dekRegistry: { url: p.url }, kekName: p.kek, sink: dir });
    expect(result.mode).toBe('wrapped');
    expect([...result.exported].sort()).toEqual(expectedKeyLinks(p));
    expect(result.files).toHaveLength(1);
    expect(result.files[0]).toMatch(/^\d{8}T\d{6}\.\d{3}Z-keys-1\.jsonl$/);
    expect(existsSync(path.join(dir, '.kafka-csfle-write-test'))).toBe(true);
    expect(statSync(path.join(dir, result.files[0]!)).mode & 0o777).toBe(0o600);

    const lines = linesOfDir(dir) as WrappedKeyLine[];
    expect(lines.map((l) => l.keyLink).sort()).toEqual(expectedKeyLinks(p));
    const rot2 = lines.find((l) => l.keyLink.endsWith('-rot-value/AES256_GCM/2'))!;
    const registered = await new DekRegistryClient({ url: p.url }).getDek(p.kek, p.subjects.rot.subject, { version: 2 });
    expect(rot2).toEqual({
      keyLink: `${p.kek}/${p.subjects.rot.subject}/AES256_GCM/2`,
      kekName: p.kek,
      subject: p.subjects.rot.subject,
      version: 2,
      algorithm: 'AES256_GCM',
      createdAt: new Date(registered!.ts!).toISOString(),
      kmsType: 'local-kms',
      kmsKeyId: 'export-key',
      kmsProps: {},
      encryptedKeyMaterial: registered!.encryptedKeyMaterial,
    });
    expect(lines.some((l) => 'tinkKey' in l)).toBe(false);

    // Wrapped lines decrypt the records with the KMS only (no DEK registry).
    expect(await decryptAll(lines, KMS)).toEqual(originals());
    // ... and not without it.
    await expect(decryptAll(lines, { 'local-kms': { secret: 'wrong-secret' } })).rejects.toBeInstanceOf(CsfleError);
  });

  it('plaintext: Tink JSON keysets (RAW, ENABLED, SYMMETRIC) that decrypt the records with no KMS', async () => {
    const dir = tmp();
    const warnings: string[] = [];
    const result = await exportKeys(
      base({ sink: dir, mode: 'plaintext', env: ALLOW, logger: { warn: (m) => warnings.push(m) } }),
    );
    expect([...result.exported].sort()).toEqual(expectedKeyLinks(p));
    expect(warnings.join('\n')).toMatch(/PLAINTEXT/);
    const lines = linesOfDir(dir) as PlaintextKeyLine[];
    for (const l of lines) {
      const k = l.tinkKey.key[0];
      expect(l.tinkKey.key).toHaveLength(1);
      expect(l.tinkKey.primaryKeyId).toBe(k.keyId);
      expect(k.status).toBe('ENABLED');
      expect(k.outputPrefixType).toBe('RAW');
      expect(k.keyData.keyMaterialType).toBe('SYMMETRIC');
      expect(k.keyData.typeUrl).toBe(l.algorithm === 'AES256_SIV' ? TINK_AES_SIV_TYPE_URL : TINK_AES_GCM_TYPE_URL);
      expect(Buffer.from(k.keyData.value, 'base64')).toHaveLength(l.algorithm === 'AES256_SIV' ? 66 : 34);
      expect('encryptedKeyMaterial' in l).toBe(false);
    }
    // No KMS config: plaintext lines are self-sufficient.
    expect(await decryptAll(lines)).toEqual(originals());
    // The warning never carries key material.
    for (const l of lines) expect(warnings.join('\n')).not.toContain(l.tinkKey.key[0].keyData.value);
  });

  it('--subject filter and full snapshots', async () => {
    const dir = tmp();
    const only = await exportKeys(base({ sink: dir, subjects: [p.subjects.rot.subject], full: true }));
    expect(only.exported.sort()).toEqual(expectedKeyLinks(p).filter((k) => k.includes('-rot-value/')));
    const again = await exportKeys(base({ sink: dir, subjects: [p.subjects.rot.subject], full: true }));
    expect(again.exported).toHaveLength(2);
    expect(filesOf(dir)).toHaveLength(2); // a full snapshot ignores the checkpoint
    expect(existsSync(path.join(dir, '.kafka-csfle-export', 'claims'))).toBe(false);
  });

  it('includeDeleted exports soft-deleted DEKs, marked deleted', async () => {
    const subject = `${p.kek}-gone-value`;
    const link = `${p.kek}/${subject}/AES256_GCM/1`;
    await addDekVersion(p.url, p.kek, subject, 'AES256_GCM', 1);
    await new DekRegistryClient({ url: p.url }).deleteDek(p.kek, subject, { algorithm: 'AES256_GCM', version: 1 });
    expect((await exportKeys(base({ full: true }))).exported).not.toContain(link);
    const dir = tmp();
    const withDeleted = await exportKeys(base({ sink: dir, full: true, includeDeleted: true }));
    expect(withDeleted.exported).toContain(link);
    for (const l of linesOfDir(dir)) expect(l.deleted).toBe(l.keyLink === link ? true : undefined);
  });

  it('an exported-key registry never shows key material', async () => {
    const dir = tmp();
    await exportKeys(base({ sink: dir, mode: 'plaintext', env: ALLOW, full: true }));
    const lines = linesOfDir(dir) as PlaintextKeyLine[];
    const registry = new ExportedKeyRegistry(lines);
    const shown = `${inspect(registry, { depth: 5 })} ${JSON.stringify(registry)}`;
    expect(shown).toContain(String(lines.length));
    for (const l of lines) expect(shown).not.toContain(l.tinkKey.key[0].keyData.value);
  });

  it('refuses plaintext without the environment variable, and writes nothing', async () => {
    const dir = path.join(tmp(), 'never-created');
    for (const env of [{}, { [ALLOW_PLAINTEXT_EXPORT_ENV]: 'true' }]) {
      const err = await exportKeys(base({ sink: dir, mode: 'plaintext', env })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CsfleError);
      expect((err as CsfleError).code).toBe('EXPORT_REFUSED');
      expect((err as CsfleError).message).toContain(ALLOW_PLAINTEXT_EXPORT_ENV);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses an unwritable directory and mixing modes in one sink', async () => {
    const file = path.join(tmp(), 'a-file');
    writeFileSync(file, 'not a directory');
    const err = await exportKeys(base({ sink: path.join(file, 'keys') })).catch((e: unknown) => e);
    expect((err as CsfleError).code).toBe('SINK_UNWRITABLE');

    const dir = tmp();
    await exportKeys(base({ sink: dir }));
    const mixed = await exportKeys(base({ sink: dir, mode: 'plaintext', env: ALLOW })).catch((e: unknown) => e);
    expect((mixed as CsfleError).code).toBe('EXPORT_REFUSED');
    expect(filesOf(dir)).toHaveLength(1);
  });
});

describe('key export to S3 (moto)', () => {
  it('wrapped and plaintext exports land as single objects that decrypt the records', async () => {
    const b = await bucket();
    for (const mode of ['wrapped', 'plaintext'] as const) {
      const url = `s3://${b}/escrow/${mode}`;
      const result = await exportKeys(base({ sink: url, s3: s3Options(), mode, env: ALLOW }));
      expect([...result.exported].sort()).toEqual(expectedKeyLinks(p));
      const sink = new S3Sink(url, s3Options());
      const names = (await sink.list('')).map((e) => e.name);
      expect(names).toContain('.kafka-csfle-write-test');
      expect(names).toContain(result.files[0]);
      const lines = parseExportedKeys((await sink.read(result.files[0]!))!);
      expect(lines.every((l) => ('tinkKey' in l) === (mode === 'plaintext'))).toBe(true);
      expect(await decryptAll(lines, mode === 'wrapped' ? KMS : {})).toEqual(originals());
      // Incremental again: nothing new.
      const again = await exportKeys(base({ sink: url, s3: s3Options(), mode, env: ALLOW }));
      expect(again.exported).toEqual([]);
      expect(again.alreadyExported).toBe(4);
    }
  });

  it('refuses a bucket it cannot write to', async () => {
    const err = await exportKeys(base({ sink: `s3://no-such-bucket-${Date.now()}/x`, s3: s3Options() })).catch((e: unknown) => e);
    expect((err as CsfleError).code).toBe('SINK_UNWRITABLE');
    expect((err as CsfleError).message).not.toContain(S3_CREDS.secretAccessKey);
  });
});

describe('incremental (interval) mode', () => {
  const count = (lines: ExportedKeyLine[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l.keyLink, (m.get(l.keyLink) ?? 0) + 1);
    return m;
  };

  it('run twice: the second run writes only the key that appeared in between', async () => {
    const dir = tmp();
    const first = await exportKeys(base({ sink: dir }));
    expect(first.exported).toHaveLength(4);
    const second = await exportKeys(base({ sink: dir }));
    expect(second).toMatchObject({ exported: [], files: [], alreadyExported: 4 });
    await addDekVersion(p.url, p.kek, p.subjects.rot.subject, 'AES256_GCM', 3);
    const third = await exportKeys(base({ sink: dir }));
    expect(third.exported).toEqual([`${p.kek}/${p.subjects.rot.subject}/AES256_GCM/3`]);
    const all = count(linesOfDir(dir));
    expect([...all.values()].every((n) => n === 1)).toBe(true);
    expect(all.size).toBe(5);
  });

  it('two concurrent exporters on one sink (directory and S3) write each key exactly once', async () => {
    const b = await bucket();
    for (const sink of [tmp(), `s3://${b}/concurrent`]) {
      const results = await Promise.all(
        [1, 2, 3].map(() => exportKeys(base({ sink, s3: s3Options(), subjects: undefined }))),
      );
      const written = results.flatMap((r) => r.exported);
      expect(written.sort()).toEqual((await exportKeys(base({ sink: tmp(), full: true }))).exported.sort());
      const lines =
        typeof sink === 'string' && !sink.startsWith('s3://')
          ? linesOfDir(sink)
          : await (async () => {
              const s = new S3Sink(sink, s3Options());
              const files = (await s.list('')).filter((e) => e.name.endsWith('.jsonl'));
              return (await Promise.all(files.map(async (f) => parseExportedKeys((await s.read(f.name))!)))).flat();
            })();
      const c = count(lines);
      expect([...c.values()].every((n) => n === 1)).toBe(true);
      expect(c.size).toBe(written.length);
    }
  });

  it('runKeyExporter: passes every interval until stopped', async () => {
    const dir = tmp();
    const ac = new AbortController();
    const passes: number[] = [];
    await runKeyExporter({
      ...base({ sink: dir }),
      intervalMs: 10,
      signal: ac.signal,
      onPass: (r) => {
        passes.push(r.exported.length);
        if (passes.length === 3) ac.abort();
      },
    });
    expect(passes[0]).toBeGreaterThanOrEqual(4);
    expect(passes.slice(1)).toEqual([0, 0]);
  });

  it('a crash after claiming is resumed by the next exporter, each key still once', async () => {
    const dir = tmp();
    const real = new DirectorySink(dir);
    // Crashes (throws) when it would write the export file itself, after the claims.
    const crashing: ExportSink = {
      location: real.location,
      write: (n, d) => real.write(n, d),
      read: (n) => real.read(n),
      list: (pre) => real.list(pre),
      createExclusive: (n, d) => (n.endsWith('.jsonl') ? Promise.reject(new Error('killed')) : real.createExclusive(n, d)),
    };
    await expect(exportKeys(base({ sink: crashing }))).rejects.toThrow('killed');
    expect(filesOf(dir)).toEqual([]);
    const claims = readdirSync(path.join(dir, '.kafka-csfle-export', 'claims'));
    expect(claims.length).toBeGreaterThanOrEqual(4);

    // A restarted exporter leaves a young claim to its owner ...
    const early = await exportKeys(base({ sink: dir }));
    expect(early.exported).toEqual([]);
    expect(early.inProgressElsewhere).toBe(claims.length);
    // ... and finishes it once it is older than the claim timeout.
    const resumed = await exportKeys(base({ sink: dir, claimTimeoutMs: 0 }));
    expect(resumed.recovered).toBe(claims.length);
    const c = count(await readExportedKeys([dir]));
    expect(c.size).toBe(claims.length);
    expect([...c.values()].every((n) => n === 1)).toBe(true);
    expect((await exportKeys(base({ sink: dir, claimTimeoutMs: 0 }))).exported).toEqual([]);
  });
});
