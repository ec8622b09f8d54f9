/**
 * Tink JSON keysets holding one DEK: the format `JsonKeysetReader` (Java) and
 * `tink.json_proto_keyset_format` (Python) read, so plain Tink in any language can decrypt a
 * field with an exported DEK.
 *
 * The keyset holds one `ENABLED` key with output prefix `RAW` (Confluent's field ciphertext has no
 * Tink prefix; its optional 5-byte DEK version prefix is Confluent's own and is dropped first).
 *
 * @packageDocumentation
 */
import { CryptoError } from '../errors';
import type { DekAlgorithm } from './algorithm';
import { decodeTinkKey, rawKeySize } from './tink-key';

/** Type URL of Tink's AES-GCM key (AEAD). */
export const TINK_AES_GCM_TYPE_URL = 'type.googleapis.com/google.crypto.tink.AesGcmKey';
/** Type URL of Tink's AES-SIV key (deterministic AEAD). */
export const TINK_AES_SIV_TYPE_URL = 'type.googleapis.com/google.crypto.tink.AesSivKey';

/** One key of a Tink JSON keyset. */
export interface TinkJsonKey {
  keyData: {
    typeUrl: string;
    /** Standard base64 of the serialized key proto (`AesGcmKey` / `AesSivKey`). */
    value: string;
    keyMaterialType: 'SYMMETRIC';
  };
  status: 'ENABLED';
  keyId: number;
  outputPrefixType: 'RAW';
}

/** A Tink JSON keyset with one key (`JSON.stringify` it for Tink's JSON keyset readers). */
export interface TinkJsonKeyset {
  primaryKeyId: number;
  key: [TinkJsonKey];
}

/** The Tink type URL of a DEK algorithm's key proto. */
export function tinkTypeUrl(algorithm: DekAlgorithm): string {
  rawKeySize(algorithm); // throws UNSUPPORTED_ALGORITHM for an unknown one
  return algorithm === 'AES256_SIV' ? TINK_AES_SIV_TYPE_URL : TINK_AES_GCM_TYPE_URL;
}

/**
 * A Tink JSON keyset holding one DEK.
 *
 * @param algorithm - the DEK's algorithm.
 * @param keyProto - the serialized Tink key proto (as the registry stores it, before wrapping);
 *   validated, then copied into the keyset as base64.
 * @param keyId - Tink key id, 1 … 2^31-1 (kept below 2^31 so Java's signed `int` reads it).
 */
export function tinkKeysetOf(algorithm: DekAlgorithm, keyProto: Buffer, keyId: number): TinkJsonKeyset {
  decodeTinkKey(algorithm, keyProto);
  if (!Number.isInteger(keyId) || keyId < 1 || keyId > 0x7fffffff) {
    throw new CryptoError('INVALID_KEY', `Tink key id must be an integer in 1..2^31-1 (got ${keyId})`, { algorithm });
  }
  return {
    primaryKeyId: keyId,
    key: [
      {
        keyData: { typeUrl: tinkTypeUrl(algorithm), value: keyProto.toString('base64'), keyMaterialType: 'SYMMETRIC' },
        status: 'ENABLED',
        keyId,
        outputPrefixType: 'RAW',
      },
    ],
  };
}

/**
 * Reads the one DEK of a Tink JSON keyset written by {@link tinkKeysetOf} (or by Tink itself with
 * one RAW AES-GCM / AES-SIV key).
 *
 * @param keyset - the parsed JSON object.
 * @returns the algorithm (from the type URL and key size) and the serialized key proto (a new
 *   buffer the caller must wipe).
 * @throws `CryptoError('INVALID_KEY')` for anything else (no key, several keys, a disabled or
 *   prefixed key, an unknown type, a malformed proto).
 */
export function readTinkKeyset(keyset: unknown): { algorithm: DekAlgorithm; keyProto: Buffer } {
  const fail = (why: string): never => {
    throw new CryptoError('INVALID_KEY', `invalid Tink keyset: ${why}`);
  };
  const ks = keyset as Partial<TinkJsonKeyset> | null;
  if (typeof ks !== 'object' || ks === null || !Array.isArray(ks.key)) return fail('no key list');
  if (ks.key.length !== 1) return fail(`expected one key, found ${ks.key.length}`);
  const key = ks.key[0] as Partial<TinkJsonKey> | undefined;
  if (!key || typeof key !== 'object' || !key.keyData || typeof key.keyData.value !== 'string') return fail('key has no keyData');
  if (key.status !== 'ENABLED') return fail(`key status is ${String(key.status)}`);
  if (key.outputPrefixType !== 'RAW') return fail(`output prefix is ${String(key.outputPrefixType)}, expected RAW`);
  if (ks.primaryKeyId !== key.keyId) return fail('primaryKeyId does not name the key');
  const proto = Buffer.from(key.keyData.value, 'base64');
  const candidates: DekAlgorithm[] =
    key.keyData.typeUrl === TINK_AES_SIV_TYPE_URL
      ? ['AES256_SIV']
      : key.keyData.typeUrl === TINK_AES_GCM_TYPE_URL
        ? ['AES256_GCM', 'AES128_GCM']
        : fail(`unsupported key type ${String(key.keyData.typeUrl)}`);
  let lastError: unknown;
  for (const algorithm of candidates) {
    try {
      decodeTinkKey(algorithm, proto);
      return { algorithm, keyProto: proto };
    } catch (e) {
      lastError = e;
    }
  }
  proto.fill(0);
  throw lastError;
}
