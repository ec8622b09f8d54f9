/**
 * Bad input to the key export formats: key links, export lines, Tink keysets and record lines
 * are rejected with typed errors that never echo key material.
 */
import { describe, expect, it } from 'vitest';
import {
  CsfleError,
  decodeRecordLine,
  ExportedKeyRegistry,
  keyLinkOf,
  parseExportedKeys,
  parseKeyLine,
  parseKeyLink,
  readTinkKeyset,
  tinkKeysetOf,
} from '../../src/index';

const KEY = Buffer.concat([Buffer.from([0x1a, 0x20]), Buffer.alloc(32, 7)]);
const line = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    keyLink: 'k/orders/v/1/AES256_GCM/3',
    kekName: 'k',
    subject: 'orders/v/1',
    algorithm: 'AES256_GCM',
    version: 3,
    createdAt: null,
    tinkKey: tinkKeysetOf('AES256_GCM', KEY, 42),
    ...over,
  });

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CsfleError);
    return (e as CsfleError).code;
  }
  return undefined;
}

describe('key links', () => {
  it('round-trip, with a subject containing slashes', () => {
    const c = { kekName: 'k', subject: 'a/b/c', algorithm: 'AES256_SIV' as const, version: 12 };
    expect(parseKeyLink(keyLinkOf(c))).toEqual(c);
  });

  it.each(['k/s/AES256_GCM', 'k/s/AES999/1', 'k/s/AES256_GCM/0', 'k/s/AES256_GCM/x'])('rejects %s', (l) => {
    expect(code(() => parseKeyLink(l))).toBe('INVALID_REQUEST');
  });
});

describe('export lines', () => {
  it('parses a valid plaintext line; JSONL skips blank lines', () => {
    expect(parseKeyLine(line()).keyLink).toBe('k/orders/v/1/AES256_GCM/3');
    expect(parseExportedKeys(`${line()}\n\n${line()}\n`)).toHaveLength(2);
  });

  it.each([
    ['not JSON', '{'],
    ['keyLink disagreeing with the fields', line({ version: 4 })],
    ['a keyset of another algorithm', line({ tinkKey: tinkKeysetOf('AES128_GCM', Buffer.concat([Buffer.from([0x1a, 0x10]), Buffer.alloc(16)]), 1) })],
    ['a wrapped line without kmsKeyId', line({ tinkKey: undefined, kmsType: 'aws-kms', encryptedKeyMaterial: 'AAAA' })],
  ])('rejects %s, naming the line and never the key', (_name, text) => {
    let err: unknown;
    try {
      parseExportedKeys(`${line()}\n${text}`, 'keys.jsonl');
    } catch (e) {
      err = e;
    }
    expect((err as CsfleError).code).toBe('INVALID_REQUEST');
    expect((err as CsfleError).message).toContain('keys.jsonl:2');
    expect((err as CsfleError).message).not.toContain(KEY.toString('base64'));
  });
});

describe('Tink keysets', () => {
  const ks = () => JSON.parse(JSON.stringify(tinkKeysetOf('AES256_GCM', KEY, 42)));

  it('reads back its key', () => {
    const { algorithm, keyProto } = readTinkKeyset(ks());
    expect(algorithm).toBe('AES256_GCM');
    expect(keyProto.equals(KEY)).toBe(true);
  });

  it.each([
    ['two keys', (k: any) => k.key.push(k.key[0])],
    ['a disabled key', (k: any) => (k.key[0].status = 'DISABLED')],
    ['a TINK output prefix', (k: any) => (k.key[0].outputPrefixType = 'TINK')],
    ['a primary id naming no key', (k: any) => (k.primaryKeyId = 7)],
    ['an unknown key type', (k: any) => (k.key[0].keyData.typeUrl = 'type.googleapis.com/google.crypto.tink.HmacKey')],
    ['a truncated key', (k: any) => (k.key[0].keyData.value = KEY.subarray(0, 20).toString('base64'))],
  ])('rejects %s (INVALID_KEY)', (_n, mutate) => {
    const k = ks();
    mutate(k);
    expect(code(() => readTinkKeyset(k))).toBe('INVALID_KEY');
  });

  it('rejects an out-of-range key id', () => {
    expect(code(() => tinkKeysetOf('AES256_GCM', KEY, 2 ** 31))).toBe('INVALID_KEY');
  });
});

describe('record lines', () => {
  const rec = Buffer.from([0, 0, 0, 0, 5, 2, 4, 6]);
  it('auto-detects hex and base64 (standard and URL-safe)', () => {
    expect(decodeRecordLine(rec.toString('hex'))).toEqual(rec);
    expect(decodeRecordLine(` ${rec.toString('base64')} `)).toEqual(rec);
    expect(decodeRecordLine(rec.toString('base64url'))).toEqual(rec);
  });
  it.each(['0x00zz', '!!!', '0a1'])('rejects %s (INVALID_FRAMING)', (l) => {
    expect(code(() => decodeRecordLine(l))).toBe('INVALID_FRAMING');
  });
});

describe('ExportedKeyRegistry', () => {
  it('serves versions and latest, hides soft-deleted keys unless asked, and is read-only', async () => {
    const lines = parseExportedKeys(
      [line(), line({ keyLink: 'k/orders/v/1/AES256_GCM/5', version: 5, deleted: true })].join('\n'),
    );
    const r = new ExportedKeyRegistry(lines);
    expect((await r.getDek('k', 'orders/v/1', { version: 3 }))?.keyMaterial).toBe(KEY.toString('base64'));
    expect(await r.getDek('k', 'orders/v/1', { version: 5 })).toBeUndefined();
    expect((await r.getDek('k', 'orders/v/1', { version: 5, deleted: true }))?.deleted).toBe(true);
    expect((await r.getDek('k', 'orders/v/1', { version: 'latest', deleted: true }))?.version).toBe(5);
    expect(await r.getDek('k', 'orders/v/1', { version: 3, algorithm: 'AES256_SIV' })).toBeUndefined();
    await expect(r.registerDek()).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
