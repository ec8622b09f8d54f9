/**
 * Plain Google Tink (PyPI `tink`, installed by scripts/services/tink.sh) decrypts the field
 * ciphertexts of records produced by kafka-csfle, using only the lines of a plaintext key export:
 * no kafka-csfle code, no DEK Registry, no KMS on the Python side.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ALLOW_PLAINTEXT_EXPORT_ENV, exportKeys, readExportedKeys } from '../../src/index';
import { requireEnv } from '../registry/helpers';
import { fieldDekVersion, KMS, PII_FIELDS, produce, rawRecord, type Produced } from './export-fixtures';

let p: Produced;
let python: string;
beforeAll(async () => {
  python = requireEnv('TINK_PYTHON', 'tink');
  p = await produce(requireEnv('SCHEMA_REGISTRY_URL'));
}, 60_000);

function runPython(args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`python failed: ${stderr || err.message}`)) : resolve(stdout),
    );
    child.stdin!.end(stdin);
  });
}

it('Python Tink decrypts GCM, SIV and rotated (v1 + v2) field ciphertexts with exported plaintext keys', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'csfle-tink-'));
  await exportKeys({
    dekRegistry: { url: p.url },
    kekName: p.kek,
    sink: dir,
    mode: 'plaintext',
    kms: KMS,
    env: { [ALLOW_PLAINTEXT_EXPORT_ENV]: '1' },
  });
  const keysFile = path.join(dir, 'all-keys.jsonl');
  const lines = await readExportedKeys([dir]);
  writeFileSync(keysFile, lines.map((l) => JSON.stringify(l)).join('\n'));

  const items: unknown[] = [];
  const expected: unknown[] = [];
  const versions: number[] = [];
  for (const s of Object.values(p.subjects)) {
    for (const r of s.records) {
      const raw = rawRecord(s, r.bytes);
      // The fields really are ciphertext in the record.
      for (const f of PII_FIELDS) expect(raw[f]).not.toBe(r.value[f]);
      if (s.rotating) versions.push(fieldDekVersion(raw.ssn as string));
      items.push({
        keyLink: `${p.kek}/${s.subject}/${s.algorithm}/${s.rotating ? 'prefix' : '1'}`,
        record: raw,
        fields: PII_FIELDS,
      });
      expected.push(r.value);
    }
  }
  expect(versions).toEqual([1, 2, 2]); // both DEK versions of the rotated subject are exercised
  const out = JSON.parse(await runPython([path.join(__dirname, 'python', 'tink_decrypt.py'), keysFile], JSON.stringify(items)));
  expect(out).toEqual(expected);
}, 90_000);
