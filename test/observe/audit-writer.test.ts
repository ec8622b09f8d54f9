import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonLinesAuditWriter, type AuditEvent } from '../../src/index';

const event = (n: number): AuditEvent => ({ type: 'dek.unwrapped', time: new Date(0).toISOString(), kekName: 'k', subject: 's', dekVersion: n, kmsType: 'local-kms', kmsKeyId: 'key' });

describe('jsonLinesAuditWriter', () => {
  it('appends one JSON object per line to a file (mode 0600), across writers', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-')), 'trail.jsonl');
    const a = jsonLinesAuditWriter(file);
    a.onAudit(event(1));
    a.onAudit(event(2));
    await a.close();
    const b = jsonLinesAuditWriter(file);
    b.onAudit(event(3));
    await b.close();
    expect(b.written).toBe(1);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(lines.map((e) => e.dekVersion)).toEqual([1, 2, 3]);
    expect(lines[0]).toEqual(event(1));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('writes to a stream it leaves open', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const w = jsonLinesAuditWriter(stream);
    w.onAudit(event(7));
    await w.close();
    expect(stream.writable).toBe(true);
    expect(JSON.parse(text.trim())).toEqual(event(7));
  });

  it('an unwritable file fails close(), never the caller of onAudit', async () => {
    const w = jsonLinesAuditWriter('/nonexistent-dir/x/trail.jsonl');
    expect(() => w.onAudit(event(1))).not.toThrow();
    await expect(w.close()).rejects.toThrow();
  });
});
