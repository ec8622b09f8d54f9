/**
 * The ceiling: what a hand-written, single-purpose loop costs. avsc encode/decode, the 3 PII
 * strings encrypted with a cached key (node:crypto AES-256-GCM with pooled random IVs, or our
 * own AesSiv for SIV), base64, and the 5-byte frame. No registry, no rules, no plan.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import * as avsc from 'avsc';
import { AesSiv } from '../../src/crypto';
import type { DekAlgorithm } from '../../src/index';
import { customerSchema, PII_FIELDS, type Impl } from './common';

const IV = 12;
const TAG = 16;
const pool = Buffer.alloc(IV * 256);
let poolOffset = pool.length;

function gcmEncrypt(key: Buffer, pt: Buffer): Buffer {
  if (poolOffset + IV > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.allocUnsafe(IV + pt.length + TAG);
  pool.copy(out, 0, poolOffset, poolOffset + IV);
  poolOffset += IV;
  const c = createCipheriv('aes-256-gcm', key, out.subarray(0, IV), { authTagLength: TAG });
  let o = IV + c.update(pt).copy(out, IV);
  o += c.final().copy(out, o);
  c.getAuthTag().copy(out, o);
  return out;
}

function gcmDecrypt(key: Buffer, data: Buffer): Buffer {
  const t = data.length - TAG;
  const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV), { authTagLength: TAG });
  d.setAuthTag(data.subarray(t));
  const pt = d.update(data.subarray(IV, t));
  d.final();
  return pt;
}

export async function ceilingImpl(algorithm: DekAlgorithm): Promise<Impl> {
  const type = avsc.Type.forSchema(customerSchema as avsc.Schema);
  const header = Buffer.from([0, 0, 0, 0, 1]);
  let encrypt: (pt: Buffer) => Buffer;
  let decrypt: (ct: Buffer) => Buffer;
  if (algorithm === 'AES256_SIV') {
    const siv = new AesSiv(randomBytes(64));
    const ad = [Buffer.alloc(0)];
    encrypt = (pt) => siv.encrypt(pt, ad);
    decrypt = (ct) => siv.decrypt(ct, ad);
  } else {
    const key = randomBytes(32);
    encrypt = (pt) => gcmEncrypt(key, pt);
    decrypt = (ct) => gcmDecrypt(key, ct);
  }
  return {
    serialize: async (_topic, value) => {
      const v: Record<string, unknown> = { ...value };
      for (const f of PII_FIELDS) v[f] = encrypt(Buffer.from(v[f] as string, 'utf8')).toString('base64');
      const payload = type.toBuffer(v);
      const out = Buffer.allocUnsafe(5 + payload.length);
      header.copy(out, 0);
      payload.copy(out, 5);
      return out;
    },
    deserialize: async (_topic, bytes) => {
      const v = type.fromBuffer(bytes.subarray(5)) as Record<string, unknown>;
      for (const f of PII_FIELDS) v[f] = decrypt(Buffer.from(v[f] as string, 'base64')).toString('utf8');
      return v;
    },
  };
}
