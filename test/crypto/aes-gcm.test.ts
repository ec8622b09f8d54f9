import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../src/crypto/aes-gcm';
import { CryptoError } from '../../src/errors';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

const P64 = h(
  'd9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72 1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255',
);
const P60 = P64.subarray(0, 60);
const A20 = h('feedfacedeadbeeffeedfacedeadbeef abaddad2');
const IV = h('cafebabefacedbaddecaf888');
const K128 = h('feffe9928665731c6d6a8f9467308308');
const K256 = h('feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308');

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 2, 3, 4, 14, 15, 16.
const vectors = [
  {
    name: 'TC2 (AES-128, one zero block)',
    key: Buffer.alloc(16),
    iv: Buffer.alloc(12),
    pt: Buffer.alloc(16),
    aad: undefined,
    ct: h('0388dace60b6a392f328c2b971b2fe78'),
    tag: h('ab6e47d42cec13bdf53a67b21257bddf'),
  },
  {
    name: 'TC3 (AES-128, 64 bytes)',
    key: K128,
    iv: IV,
    pt: P64,
    aad: undefined,
    ct: h(
      '42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e 21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091473f5985',
    ),
    tag: h('4d5c2af327cd64a62cf35abd2ba6fab4'),
  },
  {
    name: 'TC4 (AES-128, 60 bytes + AAD)',
    key: K128,
    iv: IV,
    pt: P60,
    aad: A20,
    ct: h(
      '42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e 21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091',
    ),
    tag: h('5bc94fbc3221a5db94fae95ae7121a47'),
  },
  {
    name: 'TC14 (AES-256, one zero block)',
    key: Buffer.alloc(32),
    iv: Buffer.alloc(12),
    pt: Buffer.alloc(16),
    aad: undefined,
    ct: h('cea7403d4d606b6e074ec5d3baf39d18'),
    tag: h('d0d1c8a799996bf0265b98b5d48ab919'),
  },
  {
    name: 'TC15 (AES-256, 64 bytes)',
    key: K256,
    iv: IV,
    pt: P64,
    aad: undefined,
    ct: h(
      '522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa 8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad',
    ),
    tag: h('b094dac5d93471bdec1a502270e3cc6c'),
  },
  {
    name: 'TC16 (AES-256, 60 bytes + AAD)',
    key: K256,
    iv: IV,
    pt: P60,
    aad: A20,
    ct: h(
      '522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa 8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662',
    ),
    tag: h('76fc6ece0f4e1768cddf8853bb2d551b'),
  },
];

describe('AES-GCM — McGrew/Viega vectors', () => {
  for (const v of vectors) {
    it(`${v.name}: decrypts IV‖CT‖tag and round-trips`, () => {
      const data = Buffer.concat([v.iv, v.ct, v.tag]);
      expect(aesGcmDecrypt(v.key, data, v.aad).toString('hex')).toBe(v.pt.toString('hex'));
      const out = aesGcmEncrypt(v.key, v.pt, v.aad);
      expect(out.length).toBe(12 + v.pt.length + 16);
      expect(aesGcmDecrypt(v.key, out, v.aad).equals(v.pt)).toBe(true);
      if (v.aad !== undefined) {
        expect(() => aesGcmDecrypt(v.key, data)).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED' }));
      }
    });
  }
});

describe('AES-GCM — behaviour', () => {
  const key = randomBytes(32);
  const pt = Buffer.from('a secret value 1234');

  it('is randomized (fresh IVs) and layout is IV‖CT‖tag', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) ivs.add(aesGcmEncrypt(key, pt).subarray(0, 12).toString('hex'));
    expect(ivs.size).toBe(2000);
    const a = aesGcmEncrypt(key, pt);
    expect(a.length).toBe(12 + pt.length + 16);
  });

  it('round-trips empty and large plaintexts with both key sizes', () => {
    for (const k of [randomBytes(16), randomBytes(32)]) {
      for (const p of [Buffer.alloc(0), randomBytes(1), randomBytes(100_000)]) {
        const out = aesGcmEncrypt(k, p);
        expect(aesGcmDecrypt(k, out).equals(p)).toBe(true);
      }
    }
    expect(aesGcmEncrypt(key, Buffer.alloc(0)).length).toBe(28);
  });

  it('every single-bit flip fails with DECRYPTION_FAILED', () => {
    const out = aesGcmEncrypt(key, pt);
    for (let bit = 0; bit < out.length * 8; bit++) {
      const bad = Buffer.from(out);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => aesGcmDecrypt(key, bad)).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED' }));
    }
  });

  it('wrong key → DECRYPTION_FAILED, truncated → INVALID_CIPHERTEXT, bad key size → INVALID_KEY', () => {
    const out = aesGcmEncrypt(key, pt);
    expect(() => aesGcmDecrypt(randomBytes(32), out)).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED' }));
    expect(() => aesGcmDecrypt(key, out.subarray(0, 27))).toThrow(expect.objectContaining({ code: 'INVALID_CIPHERTEXT' }));
    expect(() => aesGcmDecrypt(key, out.subarray(0, out.length - 1))).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
    for (const n of [0, 15, 24, 31, 33, 64]) {
      expect(() => aesGcmEncrypt(Buffer.alloc(n), pt)).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
      expect(() => aesGcmDecrypt(Buffer.alloc(n), out)).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    }
  });

  it('errors are CryptoError and never contain plaintext or key', () => {
    const out = aesGcmEncrypt(key, pt);
    out[20]! ^= 1;
    let err: unknown;
    try {
      aesGcmDecrypt(key, out);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CryptoError);
    const text = `${(err as Error).message} ${(err as Error).stack} ${JSON.stringify(err)}`;
    for (const secret of [pt.toString('utf8'), key.toString('hex'), key.toString('base64')]) {
      expect(text).not.toContain(secret);
    }
    expect((err as CryptoError).cause).toBeUndefined();
  });
});
