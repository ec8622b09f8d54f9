import { createCipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AesSiv } from '../../src/crypto/aes-siv';
import { CryptoError } from '../../src/errors';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

// RFC 5297, Appendix A.1 (deterministic, AES-128-SIV, one AD component).
const A1 = {
  key: h('fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0 f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'),
  ad: h('101112131415161718191a1b1c1d1e1f 2021222324252627'),
  pt: h('112233445566778899aabbccddee'),
  out: h('85632d07c6e8f37f950acd320a2ecc93 40c02b9690c4dc04daef7f6afe5c'),
};

// RFC 5297, Appendix A.2 (nonce-based, AES-128-SIV, AD1, AD2, nonce).
const A2 = {
  key: h('7f7e7d7c7b7a79787776757473727170 404142434445464748494a4b4c4d4e4f'),
  ad: [
    h('00112233445566778899aabbccddeeff deaddadadeaddadaffeeddccbbaa9988 7766554433221100'),
    h('102030405060708090a0'),
    h('09f911029d74e35bd84156c5635688c0'),
  ],
  pt: h(
    '7468697320697320736f6d6520706c61 696e7465787420746f20656e63727970 74207573696e67205349562d414553',
  ),
  out: h(
    '7bdb6e3b432667eb06f4d14bff2fbd0f cb900f2fddbe404326601965c889bf17 dba77ceb094fa663b7a3f748ba8af829 ea64ad544a272e9c485b62a3fd5c0d',
  ),
};

/** Deliberately naive, independent AES-SIV (fresh ciphers, block by block) to cross-check. */
function referenceSiv(key: Buffer, ad: readonly Buffer[], pt: Buffer): Buffer {
  const half = key.length / 2;
  const k1 = key.subarray(0, half);
  const k2 = key.subarray(half);
  const algo = `aes-${half * 8}`;
  const aes = (block: Buffer): Buffer => {
    const c = createCipheriv(`${algo}-ecb`, k1, null);
    c.setAutoPadding(false);
    return c.update(block);
  };
  const dblRef = (b: Buffer): Buffer => {
    let x = BigInt('0x' + b.toString('hex'));
    const carry = x >> 127n;
    x = (x << 1n) & ((1n << 128n) - 1n);
    if (carry) x ^= 0x87n;
    return h(x.toString(16).padStart(32, '0'));
  };
  const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((v, i) => v ^ b[i]!));
  const l = aes(Buffer.alloc(16));
  const sk1 = dblRef(l);
  const sk2 = dblRef(sk1);
  const cmac = (m: Buffer): Buffer => {
    const n = Math.max(1, Math.ceil(m.length / 16));
    const complete = m.length > 0 && m.length % 16 === 0;
    let x: Buffer = Buffer.alloc(16);
    for (let i = 0; i < n; i++) {
      let blk = m.subarray(i * 16, i * 16 + 16);
      if (i === n - 1) {
        if (complete) blk = xor(blk, sk1);
        else {
          const p = Buffer.alloc(16);
          blk.copy(p);
          p[blk.length] = 0x80;
          blk = xor(p, sk2);
        }
      }
      x = aes(xor(x, Buffer.from(blk)));
    }
    return x;
  };
  let d = cmac(Buffer.alloc(16));
  for (const s of ad) d = xor(dblRef(d), cmac(s));
  let t: Buffer;
  if (pt.length >= 16) {
    t = Buffer.from(pt);
    const tail = xor(t.subarray(t.length - 16), d);
    tail.copy(t, t.length - 16);
  } else {
    const p = Buffer.alloc(16);
    pt.copy(p);
    p[pt.length] = 0x80;
    t = xor(dblRef(d), p);
  }
  const v = cmac(t);
  const q = Buffer.from(v);
  q[8]! &= 0x7f;
  q[12]! &= 0x7f;
  const ctr = createCipheriv(`${algo}-ctr`, k2, q);
  return Buffer.concat([v, ctr.update(pt), ctr.final()]);
}

describe('AesSiv — RFC 5297 vectors', () => {
  it('A.1 deterministic authenticated encryption', () => {
    const siv = new AesSiv(A1.key);
    expect(siv.encrypt(A1.pt, [A1.ad]).toString('hex')).toBe(A1.out.toString('hex'));
    expect(siv.decrypt(A1.out, [A1.ad]).toString('hex')).toBe(A1.pt.toString('hex'));
  });

  it('A.2 nonce-based authenticated encryption (three AD components)', () => {
    const siv = new AesSiv(A2.key);
    expect(siv.encrypt(A2.pt, A2.ad).toString('hex')).toBe(A2.out.toString('hex'));
    expect(siv.decrypt(A2.out, A2.ad).toString('hex')).toBe(A2.pt.toString('hex'));
  });

  it('the naive reference agrees with the RFC vectors', () => {
    expect(referenceSiv(A1.key, [A1.ad], A1.pt).equals(A1.out)).toBe(true);
    expect(referenceSiv(A2.key, A2.ad, A2.pt).equals(A2.out)).toBe(true);
  });
});

describe('AesSiv — against the naive reference', () => {
  for (const keyLen of [32, 48, 64]) {
    it(`matches for ${keyLen}-byte keys, all lengths 0..300, interleaved AD shapes`, () => {
      const key = randomBytes(keyLen);
      const siv = new AesSiv(key);
      const adShapes: Buffer[][] = [[], [Buffer.alloc(0)], [randomBytes(16)], [randomBytes(5), Buffer.alloc(0), randomBytes(33)]];
      for (let len = 0; len <= 300; len++) {
        const pt = randomBytes(len);
        const ad = adShapes[len % adShapes.length]!;
        const expected = referenceSiv(key, ad, pt);
        const got = siv.encrypt(pt, ad);
        expect(got.toString('hex')).toBe(expected.toString('hex'));
        expect(siv.decrypt(got, ad).equals(pt)).toBe(true);
      }
    });
  }
});

describe('AesSiv — properties', () => {
  const key = randomBytes(64);
  const siv = new AesSiv(key);
  const pt = Buffer.from('hello world, deterministic');

  it('is deterministic', () => {
    const a = siv.encrypt(pt, [Buffer.alloc(0)]);
    const b = siv.encrypt(pt, [Buffer.alloc(0)]);
    expect(a.equals(b)).toBe(true);
    expect(new AesSiv(key).encrypt(pt, [Buffer.alloc(0)]).equals(a)).toBe(true);
    expect(a.length).toBe(16 + pt.length);
  });

  it('zero AD components differ from one empty component', () => {
    const zero = siv.encrypt(pt, []);
    const oneEmpty = siv.encrypt(pt, [Buffer.alloc(0)]);
    expect(zero.equals(oneEmpty)).toBe(false);
    expect(() => siv.decrypt(oneEmpty, [])).toThrow(CryptoError);
    expect(() => siv.decrypt(zero, [Buffer.alloc(0)])).toThrow(CryptoError);
  });

  it('does not modify its inputs', () => {
    const p = Buffer.from(pt);
    const ad = [Buffer.from('abc'), Buffer.alloc(0)];
    const out = siv.encrypt(p, ad);
    const outCopy = Buffer.from(out);
    expect(p.equals(pt)).toBe(true);
    expect(ad[0]!.toString()).toBe('abc');
    siv.decrypt(out, ad);
    expect(out.equals(outCopy)).toBe(true);
  });

  it('empty plaintext round-trips', () => {
    const out = siv.encrypt(Buffer.alloc(0), [Buffer.alloc(0)]);
    expect(out.length).toBe(16);
    expect(siv.decrypt(out, [Buffer.alloc(0)]).length).toBe(0);
  });

  it('every single-bit flip fails with DECRYPTION_FAILED', () => {
    const out = siv.encrypt(pt, [Buffer.alloc(0)]);
    for (let bit = 0; bit < out.length * 8; bit++) {
      const bad = Buffer.from(out);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      try {
        siv.decrypt(bad, [Buffer.alloc(0)]);
        expect.unreachable('tampered ciphertext decrypted');
      } catch (e) {
        expect(e).toBeInstanceOf(CryptoError);
        expect((e as CryptoError).code).toBe('DECRYPTION_FAILED');
      }
    }
  });

  it('wrong key and wrong AD fail; short input is INVALID_CIPHERTEXT', () => {
    const out = siv.encrypt(pt, [Buffer.alloc(0)]);
    expect(() => new AesSiv(randomBytes(64)).decrypt(out, [Buffer.alloc(0)])).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
    expect(() => siv.decrypt(out, [Buffer.from('x')])).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED' }));
    expect(() => siv.decrypt(out.subarray(0, 15), [Buffer.alloc(0)])).toThrow(
      expect.objectContaining({ code: 'INVALID_CIPHERTEXT' }),
    );
  });

  it('rejects bad key sizes', () => {
    for (const n of [0, 16, 31, 33, 63, 65, 128]) {
      expect(() => new AesSiv(Buffer.alloc(n))).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    }
  });

  it('never prints key material; destroy() disables it', () => {
    const k = randomBytes(64);
    const kCopy = Buffer.from(k);
    const s = new AesSiv(k);
    const printed = inspect(s, { showHidden: true, depth: 10 }) + JSON.stringify(s) + String(s);
    expect(printed).not.toContain(k.toString('hex'));
    expect(printed).not.toContain(k.subarray(32).toString('hex'));
    expect(printed).toContain('REDACTED');
    s.destroy();
    expect(k.equals(kCopy)).toBe(true); // the caller's buffer is not wiped
    expect(() => s.encrypt(pt, [])).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
  });
});
