import { describe, expect, it } from 'vitest';
import { addVersionPrefix, readVersionPrefix } from '../../src/crypto/dek-version';
import { hkdfSha256 } from '../../src/crypto/hkdf';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('DEK version prefix', () => {
  it('adds and reads 0x00 ‖ int32 BE', () => {
    const data = Buffer.from('abc');
    const out = addVersionPrefix(1, data);
    expect(out.toString('hex')).toBe('0000000001616263');
    expect(readVersionPrefix(out)).toEqual({ version: 1, body: data });
    expect(readVersionPrefix(addVersionPrefix(0x01020304, Buffer.alloc(0))).version).toBe(0x01020304);
    expect(readVersionPrefix(h('0000000007')).body.length).toBe(0);
  });

  it('rejects short input and a non-zero magic byte', () => {
    expect(() => readVersionPrefix(h('00000001'))).toThrow(expect.objectContaining({ code: 'INVALID_CIPHERTEXT' }));
    expect(() => readVersionPrefix(h('0100000001ff'))).toThrow(expect.objectContaining({ code: 'INVALID_CIPHERTEXT' }));
    expect(() => addVersionPrefix(1.5, Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'INVALID_CIPHERTEXT' }));
  });
});

describe('HKDF-SHA256', () => {
  it('RFC 5869 test case 1', () => {
    const okm = hkdfSha256(
      h('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
      h('000102030405060708090a0b0c'),
      h('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(okm.toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('RFC 5869 test case 3 (no salt, no info)', () => {
    const okm = hkdfSha256(h('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), Buffer.alloc(0), Buffer.alloc(0), 42);
    expect(okm.toString('hex')).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('rejects bad lengths', () => {
    expect(() => hkdfSha256(Buffer.from('x'), Buffer.alloc(0), Buffer.alloc(0), 0)).toThrow();
    expect(() => hkdfSha256(Buffer.from('x'), Buffer.alloc(0), Buffer.alloc(0), 8161)).toThrow();
  });
});
