/**
 * The ceiling: what a hand-written, single-purpose loop costs. The format's codec (avsc;
 * `ajv`-validated `JSON.stringify` / `JSON.parse`; `@bufbuild/protobuf` create + toBinary /
 * fromBinary), the 3 PII strings encrypted with a cached key (node:crypto AES-256-GCM with
 * pooled random IVs, or our own AesSiv for SIV), base64, and the frame (+ the `[0]` message
 * index for Protobuf). No registry, no rules, no plan.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import Ajv from 'ajv';
import * as avsc from 'avsc';
import { AesSiv } from '../../src/crypto';
import type { DekAlgorithm } from '../../src/index';
import { parseProtobufSchema } from '../../src/protobuf/schema';
import { customerJsonSchema, customerProto, customerSchema, PII_FIELDS, type Format, type Impl } from './common';

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

/** Encode / decode of one format (the record's PII fields already transformed). */
interface Codec {
  encode(v: Record<string, unknown>): Buffer;
  decode(b: Buffer): Record<string, unknown>;
}

function codecOf(format: Format): Codec {
  if (format === 'json') {
    return {
      encode: (v) => Buffer.from(JSON.stringify(v), 'utf8'),
      decode: (b) => JSON.parse(b.toString('utf8')) as Record<string, unknown>,
    };
  }
  if (format === 'protobuf') {
    const desc = parseProtobufSchema(customerProto).messages.get('com.example.Customer')!;
    return {
      encode: (v) => {
        const bytes = toBinary(desc, create(desc, v as never));
        const out = Buffer.allocUnsafe(1 + bytes.length);
        out[0] = 0; // message indexes [0]
        out.set(bytes, 1);
        return out;
      },
      decode: (b) => fromBinary(desc, b.subarray(1)) as unknown as Record<string, unknown>,
    };
  }
  const type = avsc.Type.forSchema(customerSchema as avsc.Schema);
  return { encode: (v) => type.toBuffer(v), decode: (b) => type.fromBuffer(b) as Record<string, unknown> };
}

export async function ceilingImpl(algorithm: DekAlgorithm, format: Format = 'avro'): Promise<Impl> {
  // Validate the plaintext, as our JSON serializer does by default (then encrypt).
  const validateJson = format === 'json' ? new Ajv({ strict: false }).compile(customerJsonSchema) : undefined;
  const codec = codecOf(format);
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
      if (validateJson && !validateJson(value)) throw new Error('invalid');
      const v: Record<string, unknown> = { ...value };
      for (const f of PII_FIELDS) v[f] = encrypt(Buffer.from(v[f] as string, 'utf8')).toString('base64');
      const payload = codec.encode(v);
      const out = Buffer.allocUnsafe(5 + payload.length);
      header.copy(out, 0);
      payload.copy(out, 5);
      return out;
    },
    deserialize: async (_topic, bytes) => {
      const v = codec.decode(bytes.subarray(5));
      for (const f of PII_FIELDS) v[f] = decrypt(Buffer.from(v[f] as string, 'base64')).toString('utf8');
      return v;
    },
  };
}
