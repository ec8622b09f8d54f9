import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DekAlgorithm } from '../../src/crypto/algorithm';
import { AesSiv } from '../../src/crypto/aes-siv';
import { newDekCipher } from '../../src/crypto/dek-cipher';
import { decodeTinkKey, generateTinkKey } from '../../src/crypto/tink-key';
import { CryptoError } from '../../src/errors';

const ALGS: DekAlgorithm[] = ['AES128_GCM', 'AES256_GCM', 'AES256_SIV'];
const PLAINTEXT = 'Sensitive-PII 4111-1111-1111-1111';

function catchError(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    return e as CryptoError;
  }
  throw new Error('expected a CryptoError');
}

function expectNoSecrets(err: Error, key: Buffer, plaintext: string): void {
  const text = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}\n${inspect(err, { depth: 5 })}`;
  expect(text).not.toContain(plaintext);
  for (const enc of ['hex', 'base64', 'base64url'] as const) {
    expect(text).not.toContain(key.toString(enc));
    expect(text.toLowerCase()).not.toContain(key.subarray(0, 8).toString('hex'));
  }
}

describe('DekCipher', () => {
  for (const alg of ALGS) {
    describe(alg, () => {
      const proto = generateTinkKey(alg);
      const rawKey = Buffer.from(decodeTinkKey(alg, proto));
      const cipher = newDekCipher(alg, proto);
      const pt = Buffer.from(PLAINTEXT, 'utf8');
      const overhead = alg === 'AES256_SIV' ? 16 : 28;

      it('round-trips with the documented layout', () => {
        expect(cipher.algorithm).toBe(alg);
        for (const p of [Buffer.alloc(0), pt, Buffer.alloc(1000, 1)]) {
          const ct = cipher.encrypt(p);
          expect(ct.length).toBe(p.length + overhead);
          expect(cipher.decrypt(ct).equals(p)).toBe(true);
        }
      });

      it(alg === 'AES256_SIV' ? 'is deterministic with one empty AD component' : 'is randomized', () => {
        const a = cipher.encrypt(pt);
        const b = cipher.encrypt(pt);
        if (alg === 'AES256_SIV') {
          expect(a.equals(b)).toBe(true);
          const siv = new AesSiv(rawKey);
          expect(siv.encrypt(pt, [Buffer.alloc(0)]).equals(a)).toBe(true);
          expect(siv.encrypt(pt, []).equals(a)).toBe(false);
        } else {
          expect(a.equals(b)).toBe(false);
        }
      });

      it('keeps working after the caller wipes the proto', () => {
        const p2 = Buffer.from(proto);
        const c2 = newDekCipher(alg, p2);
        const ct = c2.encrypt(pt);
        p2.fill(0);
        expect(c2.decrypt(ct).equals(pt)).toBe(true);
        expect(cipher.decrypt(c2.encrypt(pt)).equals(pt)).toBe(true);
      });

      it('tampering (any bit) → DECRYPTION_FAILED without leaking secrets', () => {
        const ct = cipher.encrypt(pt);
        for (let bit = 0; bit < ct.length * 8; bit += 3) {
          const bad = Buffer.from(ct);
          bad[bit >> 3]! ^= 1 << (bit & 7);
          const err = catchError(() => cipher.decrypt(bad));
          expect(err.code).toBe('DECRYPTION_FAILED');
          expectNoSecrets(err, rawKey, PLAINTEXT);
        }
      });

      it('wrong key → DECRYPTION_FAILED; truncated → INVALID_CIPHERTEXT', () => {
        const ct = cipher.encrypt(pt);
        const other = newDekCipher(alg, generateTinkKey(alg));
        const wrong = catchError(() => other.decrypt(ct));
        expect(wrong.code).toBe('DECRYPTION_FAILED');
        expectNoSecrets(wrong, rawKey, PLAINTEXT);

        const short = catchError(() => cipher.decrypt(ct.subarray(0, overhead - 1)));
        expect(short.code).toBe('INVALID_CIPHERTEXT');
        expectNoSecrets(short, rawKey, PLAINTEXT);
        const cut = catchError(() => cipher.decrypt(ct.subarray(0, ct.length - 1)));
        expect(cut.code).toBe('DECRYPTION_FAILED');
        expect(catchError(() => cipher.decrypt(Buffer.alloc(0))).code).toBe('INVALID_CIPHERTEXT');
      });

      it('never serializes or prints the key', () => {
        const printed = [
          JSON.stringify(cipher),
          JSON.stringify({ nested: { cipher } }),
          inspect(cipher, { showHidden: true, depth: 10 }),
          inspect({ cipher }, { depth: 10 }),
          String(cipher),
          `${Object.keys(cipher).join(',')}`,
        ].join('\n');
        expect(printed).toContain('REDACTED');
        for (const enc of ['hex', 'base64'] as const) {
          expect(printed).not.toContain(rawKey.toString(enc));
          expect(printed).not.toContain(proto.toString(enc));
        }
        expect(printed).not.toMatch(/[0-9a-f]{32}/i);
        expect(JSON.parse(JSON.stringify(cipher))).toEqual({ algorithm: alg, key: '[REDACTED]' });
      });

      it('destroy() makes further use fail with KEY_DESTROYED', () => {
        const c = newDekCipher(alg, proto);
        const ct = c.encrypt(pt);
        c.destroy();
        c.destroy();
        expect(catchError(() => c.encrypt(pt)).code).toBe('KEY_DESTROYED');
        expect(catchError(() => c.decrypt(ct)).code).toBe('KEY_DESTROYED');
        expect(cipher.decrypt(ct).equals(pt)).toBe(true);
      });
    });
  }

  it('rejects a proto for another algorithm and a malformed proto with INVALID_KEY', () => {
    expect(catchError(() => newDekCipher('AES256_SIV', generateTinkKey('AES256_GCM'))).code).toBe('INVALID_KEY');
    expect(catchError(() => newDekCipher('AES128_GCM', generateTinkKey('AES256_GCM'))).code).toBe('INVALID_KEY');
    expect(catchError(() => newDekCipher('AES256_GCM', Buffer.from('garbage'))).code).toBe('INVALID_KEY');
    expect(catchError(() => newDekCipher('NOPE' as DekAlgorithm, Buffer.alloc(0))).code).toBe('UNSUPPORTED_ALGORITHM');
  });
});
