/**
 * `crypto/`: synchronous, pure AEAD primitives on raw keys (AES-GCM, AES-SIV, HKDF), Tink key
 * protos and the DEK version prefix. Imports only `node:crypto` and `../errors`.
 *
 * @packageDocumentation
 */
export type { DekAlgorithm } from './algorithm';
export { aesGcmEncrypt, aesGcmDecrypt, GCM_IV_LENGTH, GCM_TAG_LENGTH } from './aes-gcm';
export { AesSiv } from './aes-siv';
export { hkdfSha256 } from './hkdf';
export { encodeTinkKey, decodeTinkKey, generateTinkKey, rawKeySize } from './tink-key';
export { newDekCipher, type DekCipher } from './dek-cipher';
export { addVersionPrefix, readVersionPrefix, DEK_VERSION_PREFIX_LENGTH } from './dek-version';
export {
  tinkKeysetOf,
  readTinkKeyset,
  tinkTypeUrl,
  TINK_AES_GCM_TYPE_URL,
  TINK_AES_SIV_TYPE_URL,
  type TinkJsonKeyset,
  type TinkJsonKey,
} from './tink-keyset';
