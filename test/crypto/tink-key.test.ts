import { describe, expect, it } from 'vitest';
import type { DekAlgorithm } from '../../src/crypto/algorithm';
import { decodeTinkKey, encodeTinkKey, generateTinkKey, rawKeySize } from '../../src/crypto/tink-key';
import { CryptoError } from '../../src/errors';

const algs: [DekAlgorithm, number, string][] = [
  ['AES128_GCM', 16, '1a10'],
  ['AES256_GCM', 32, '1a20'],
  ['AES256_SIV', 64, '1240'],
];

describe('Tink key protos', () => {
  for (const [alg, size, header] of algs) {
    it(`${alg}: encode/decode/generate`, () => {
      expect(rawKeySize(alg)).toBe(size);
      const raw = Buffer.alloc(size, 0xab);
      const proto = encodeTinkKey(alg, raw);
      expect(proto.length).toBe(size + 2);
      expect(proto.subarray(0, 2).toString('hex')).toBe(header);
      expect(decodeTinkKey(alg, proto).equals(raw)).toBe(true);

      const gen = generateTinkKey(alg);
      expect(gen.length).toBe(size + 2);
      expect(gen.subarray(0, 2).toString('hex')).toBe(header);
      expect(generateTinkKey(alg).equals(gen)).toBe(false);

      expect(() => encodeTinkKey(alg, Buffer.alloc(size - 1))).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    });
  }

  it('accepts an explicit version 0 field and unknown fields, in any order', () => {
    const raw = Buffer.alloc(32, 7);
    // version=0 (08 00), params (12 00: empty AesGcmParams), unknown field 9 varint, fixed32 field 10, key.
    const proto = Buffer.concat([
      Buffer.from('0800', 'hex'),
      Buffer.from('1200', 'hex'),
      Buffer.from('48ac02', 'hex'),
      Buffer.from('5501020304', 'hex'),
      Buffer.from('1a20', 'hex'),
      raw,
    ]);
    expect(decodeTinkKey('AES256_GCM', proto).equals(raw)).toBe(true);
    const siv = Buffer.concat([Buffer.from('1240', 'hex'), Buffer.alloc(64, 1), Buffer.from('0800', 'hex')]);
    expect(decodeTinkKey('AES256_SIV', siv).equals(Buffer.alloc(64, 1))).toBe(true);
  });

  it('rejects malformed protos with INVALID_KEY', () => {
    const bad: [DekAlgorithm, string][] = [
      ['AES256_GCM', ''], // no key
      ['AES256_GCM', '1a10' + '00'.repeat(16)], // wrong size for algorithm
      ['AES128_GCM', '1a20' + '00'.repeat(32)],
      ['AES256_SIV', '1a40' + '00'.repeat(64)], // GCM field number for SIV
      ['AES256_GCM', '1240' + '00'.repeat(64)],
      ['AES256_GCM', '0801' + '1a20' + '00'.repeat(32)], // version 1
      ['AES256_GCM', '1a20' + '00'.repeat(31)], // truncated
      ['AES256_GCM', '1a'], // truncated length
      ['AES256_GCM', 'ff'], // truncated varint
      ['AES256_GCM', '1b' + '1a20' + '00'.repeat(32)], // group wire type
      ['AES256_GCM', '0a20' + '00'.repeat(32)], // version field as bytes
      ['AES256_GCM', '1801' + '1a20' + '00'.repeat(32)], // key field as varint
    ];
    for (const [alg, hex] of bad) {
      let err: unknown;
      try {
        decodeTinkKey(alg, Buffer.from(hex, 'hex'));
      } catch (e) {
        err = e;
      }
      expect(err, `${alg} ${hex}`).toBeInstanceOf(CryptoError);
      expect((err as CryptoError).code).toBe('INVALID_KEY');
    }
  });

  it('unknown algorithm → UNSUPPORTED_ALGORITHM', () => {
    expect(() => rawKeySize('AES512' as DekAlgorithm)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_ALGORITHM' }));
  });
});
