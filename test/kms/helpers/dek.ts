import { randomBytes } from 'node:crypto';

/** A fresh DEK to wrap: a Tink AES-256-GCM key proto (field 3, 32 random bytes). */
export const dek = (): Buffer => Buffer.concat([Buffer.from([0x1a, 0x20]), randomBytes(32)]);
