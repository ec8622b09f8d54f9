/**
 * Confluent's shared cross-language CSFLE vectors (fact sheet §L): local-kms KEK from
 * HKDF-SHA256('mysecret'), AES-128-GCM unwrap of the DEK's Tink proto, then field decryption.
 */
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt } from '../../src/crypto/aes-gcm';
import { AesSiv } from '../../src/crypto/aes-siv';
import type { DekAlgorithm } from '../../src/crypto/algorithm';
import { newDekCipher } from '../../src/crypto/dek-cipher';
import { readVersionPrefix } from '../../src/crypto/dek-version';
import { hkdfSha256 } from '../../src/crypto/hkdf';
import { decodeTinkKey } from '../../src/crypto/tink-key';

const kek = (): Buffer => hkdfSha256(Buffer.from('mysecret', 'utf8'), Buffer.alloc(0), Buffer.alloc(0), 16);

const cases: { name: string; algorithm: DekAlgorithm; ekm: string; field: string; prefixed: boolean; sizes: number[] }[] = [
  {
    name: 'AES256_GCM',
    algorithm: 'AES256_GCM',
    ekm: '07V2ndh02DA73p+dTybwZFm7DKQSZN1tEwQh+FoX1DZLk4Yj2LLu4omYjp/84tAg3BYlkfGSz+zZacJHIE4=',
    field: 'zgy/jFNMV/eFilaHrMyeBgdaVzrR0udGeotW8cA/Jal7ukr+M/yz',
    prefixed: false,
    sizes: [62, 34, 39],
  },
  {
    name: 'AES256_SIV',
    algorithm: 'AES256_SIV',
    ekm: 'YSx3DTlAHrmpoDChquJMifmPntBzxgRVdMzgYL82rgWBKn7aUSnG+WIu9ozBNS3y2vXd++mBtK07w4/W/G6w0da39X9hfOVZsGnkSvry/QRht84V8yz3dqKxGMOK5A==',
    field: 'D6YtxrlBnkTWW9N6Vbk3IInjWH81xmYh3k4d',
    prefixed: false,
    sizes: [94, 66, 27],
  },
  {
    name: 'AES256_GCM with DEK rotation (version prefix)',
    algorithm: 'AES256_GCM',
    ekm: 'W/v6hOQYq1idVAcs1pPWz9UUONMVZW4IrglTnG88TsWjeCjxmtRQ4VaNe/I5dCfm2zyY9Cu0nqdvqImtUk4=',
    field: 'AAAAAAG4HI6b1nXPXqLyG8cII35NHQseqqUCd+IeLeFVAeNpSS3fxPnJ32A=',
    prefixed: true,
    sizes: [62, 34, 44],
  },
];

describe('Confluent shared CSFLE vectors', () => {
  it('local-kms KEK derivation: HKDF-SHA256(mysecret, no salt, no info, 16)', () => {
    expect(kek().toString('hex')).toBe('1ae4d97ac1e81594bfd1993c1a75ee36');
    // "No salt" is HashLen zero bytes per RFC 5869.
    const zeroSalt = hkdfSha256(Buffer.from('mysecret'), Buffer.alloc(32), Buffer.alloc(0), 16);
    expect(zeroSalt.toString('hex')).toBe('1ae4d97ac1e81594bfd1993c1a75ee36');
  });

  for (const c of cases) {
    it(`${c.name}: unwraps the DEK and decrypts to "hello world"`, () => {
      const wrapped = Buffer.from(c.ekm, 'base64');
      expect(wrapped.length).toBe(c.sizes[0]);
      const proto = aesGcmDecrypt(kek(), wrapped);
      expect(proto.length).toBe(c.sizes[1]);
      expect(proto.subarray(0, 2).toString('hex')).toBe(c.algorithm === 'AES256_SIV' ? '1240' : '1a20');
      expect(decodeTinkKey(c.algorithm, proto).length).toBe(c.algorithm === 'AES256_SIV' ? 64 : 32);

      let ciphertext: Buffer = Buffer.from(c.field, 'base64');
      expect(ciphertext.length).toBe(c.sizes[2]);
      if (c.prefixed) {
        const { version, body } = readVersionPrefix(ciphertext);
        expect(version).toBe(1);
        ciphertext = body;
      }
      const cipher = newDekCipher(c.algorithm, proto);
      expect(cipher.decrypt(ciphertext).toString('utf8')).toBe('hello world');

      if (c.algorithm === 'AES256_SIV') {
        // Deterministic: re-encrypting gives the exact bytes Confluent produced.
        expect(cipher.encrypt(Buffer.from('hello world')).toString('base64')).toBe(c.field);
        // Confluent's S2V input is [empty AD, plaintext]: zero AD components must not verify.
        const siv = new AesSiv(decodeTinkKey(c.algorithm, proto));
        expect(siv.decrypt(ciphertext, [Buffer.alloc(0)]).toString()).toBe('hello world');
        expect(() => siv.decrypt(ciphertext, [])).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED' }));
      }
    });
  }
});
