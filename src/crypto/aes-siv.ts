/**
 * AES-SIV (RFC 5297, AES-CMAC-SIV): deterministic authenticated encryption.
 *
 * Built on `node:crypto` only. Designed for a per-record hot path:
 *
 * - CMAC runs on one long-lived AES-CBC cipher per key (no per-call cipher construction). CBC
 *   chains from the previous call's last ciphertext block, so the first block of each message is
 *   XORed with that block, which turns the long-lived chain into a fresh zero-IV CBC-MAC.
 * - CMAC subkeys, `CMAC(0^128)` and `CMAC("")` are precomputed, so empty associated-data
 *   components (the Confluent case) cost no AES call.
 * - Short messages use a long-lived AES-ECB cipher of the CTR key to produce the key stream;
 *   long ones use a one-shot AES-CTR cipher.
 *
 * Instances are not reentrant across threads, which is fine in JavaScript: every method is
 * synchronous and completes before another call can start.
 *
 * @packageDocumentation
 */
import { createCipheriv, timingSafeEqual, type Cipher } from 'node:crypto';
import { CryptoError } from '../errors';

/** Node's `util.inspect.custom` symbol (a registered symbol, so no `node:util` import). */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const BLOCK = 16;
/**
 * Messages up to this many blocks take the ECB key-stream path; longer ones a one-shot AES-CTR
 * cipher. Measured crossover on Node 20: ~32 blocks (512 bytes).
 */
const ECB_CTR_MAX_BLOCKS = 24;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** Doubling in GF(2^128) (RFC 5297 `dbl`), writing into `out` (may alias `input`). */
function dbl(input: Buffer, out: Buffer): Buffer {
  const msb = input[0] & 0x80;
  for (let i = 0; i < BLOCK - 1; i++) {
    out[i] = ((input[i] << 1) | (input[i + 1] >>> 7)) & 0xff;
  }
  out[BLOCK - 1] = ((input[BLOCK - 1] << 1) & 0xff) ^ (msb === 0 ? 0 : 0x87);
  return out;
}

/** `a ^= b` over one block, with `a` starting at `offset`. */
function xorBlockInto(a: Buffer, offset: number, b: Buffer): void {
  for (let i = 0; i < BLOCK; i++) a[offset + i] ^= b[i];
}

function aesName(keyBytes: number, mode: string): string {
  return `aes-${keyBytes * 8}-${mode}`;
}

/**
 * AES-CMAC-SIV per RFC 5297.
 *
 * The key is 32, 48 or 64 bytes (AES-128/192/256-SIV): the first half is the S2V/CMAC key, the
 * second half the CTR key. Confluent's `AES256_SIV` DEKs are 64-byte keys.
 *
 * Output layout of {@link AesSiv.encrypt}: `SIV (16) ‖ CT (n)`.
 */
export class AesSiv {
  readonly #halfKeyBytes: number;
  /** CTR key (a private copy). */
  readonly #ctrKey: Buffer;
  /** Long-lived zero-IV AES-CBC cipher under the CMAC key. */
  #mac: Cipher | undefined;
  #destroyed = false;
  /** Last ciphertext block output by {@link AesSiv.#mac} (the current CBC chaining value). */
  readonly #chain = Buffer.alloc(BLOCK);
  /** Long-lived AES-ECB cipher under the CTR key. */
  #ctrEcb: Cipher | undefined;
  /** CMAC subkeys (NIST SP 800-38B). */
  readonly #sub1 = Buffer.alloc(BLOCK);
  readonly #sub2 = Buffer.alloc(BLOCK);
  /** `CMAC(0^128)`: the S2V starting value. */
  readonly #d0 = Buffer.alloc(BLOCK);
  /** `CMAC("")`: the contribution of an empty associated-data component. */
  readonly #cmacEmpty = Buffer.alloc(BLOCK);
  /** Scratch block for the S2V accumulator. */
  readonly #d = Buffer.alloc(BLOCK);

  /**
   * @param key - 32, 48 or 64 bytes. Throws `CryptoError('INVALID_KEY')` otherwise.
   */
  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || (key.length !== 32 && key.length !== 48 && key.length !== 64)) {
      throw new CryptoError(
        'INVALID_KEY',
        `AES-SIV key must be 32, 48 or 64 bytes (got ${Buffer.isBuffer(key) ? key.length : typeof key})`,
      );
    }
    const half = key.length / 2;
    this.#halfKeyBytes = half;
    const macKey = key.subarray(0, half);
    this.#ctrKey = Buffer.from(key.subarray(half));

    const mac = createCipheriv(aesName(half, 'cbc'), macKey, ZERO_BLOCK);
    mac.setAutoPadding(false);
    this.#mac = mac;
    const ctrEcb = createCipheriv(aesName(half, 'ecb'), this.#ctrKey, null);
    ctrEcb.setAutoPadding(false);
    this.#ctrEcb = ctrEcb;

    // Subkeys: L = E(K1, 0^128); K1 = dbl(L); K2 = dbl(K1).
    const l = this.#cbcMac(Buffer.alloc(BLOCK));
    dbl(l, this.#sub1);
    dbl(this.#sub1, this.#sub2);
    l.fill(0);

    this.#cmac(ZERO_BLOCK).copy(this.#d0);
    this.#cmac(Buffer.alloc(0)).copy(this.#cmacEmpty);
  }

  /**
   * Encrypt deterministically.
   *
   * @param plaintext - bytes to encrypt (any length, including 0).
   * @param associatedData - the S2V header components, in order. `[]` (no component) and
   *   `[Buffer.alloc(0)]` (one empty component) give different outputs; Confluent uses the latter.
   * @returns `SIV (16) ‖ CT`.
   */
  encrypt(plaintext: Buffer, associatedData: readonly Buffer[]): Buffer {
    if (this.#destroyed) throw AesSiv.#destroyedError();
    const v = this.#s2v(associatedData, plaintext);
    const out = Buffer.allocUnsafe(BLOCK + plaintext.length);
    v.copy(out, 0);
    this.#ctr(v, plaintext, out, BLOCK);
    return out;
  }

  /**
   * Decrypt and authenticate.
   *
   * @param ciphertext - `SIV (16) ‖ CT`.
   * @param associatedData - the same components as given to {@link AesSiv.encrypt}.
   * @returns the plaintext. Throws `CryptoError('INVALID_CIPHERTEXT')` when shorter than 16
   *   bytes and `CryptoError('DECRYPTION_FAILED')` when authentication fails.
   */
  decrypt(ciphertext: Buffer, associatedData: readonly Buffer[]): Buffer {
    if (this.#destroyed) throw AesSiv.#destroyedError();
    if (ciphertext.length < BLOCK) {
      throw new CryptoError(
        'INVALID_CIPHERTEXT',
        `AES-SIV ciphertext too short: ${ciphertext.length} bytes, need at least ${BLOCK}`,
        { algorithm: 'AES-SIV' },
      );
    }
    const v = ciphertext.subarray(0, BLOCK);
    const body = ciphertext.subarray(BLOCK);
    const plaintext = Buffer.allocUnsafe(body.length);
    this.#ctr(v, body, plaintext, 0);
    const expected = this.#s2v(associatedData, plaintext);
    if (!timingSafeEqual(expected, v)) {
      plaintext.fill(0);
      throw new CryptoError('DECRYPTION_FAILED', 'AES-SIV decryption failed: authentication tag mismatch', {
        algorithm: 'AES-SIV',
      });
    }
    return plaintext;
  }

  /**
   * Wipe the key-derived values this instance holds in JavaScript memory (CTR key copy, CMAC
   * subkeys and precomputed blocks) and drops the OpenSSL cipher contexts keyed with it; later
   * calls throw `CryptoError('KEY_DESTROYED')`. The caller's key buffer is left untouched.
   * Idempotent.
   */
  destroy(): void {
    this.#destroyed = true;
    this.#mac = undefined;
    this.#ctrEcb = undefined;
    for (const b of [this.#ctrKey, this.#sub1, this.#sub2, this.#d0, this.#cmacEmpty, this.#chain, this.#d]) {
      b.fill(0);
    }
  }

  static #destroyedError(): CryptoError {
    return new CryptoError('KEY_DESTROYED', 'AES-SIV instance has been destroyed (its key was wiped)', { algorithm: 'AES-SIV' });
  }

  /** Never reveal key material. */
  toJSON(): { type: string; keyBits: number } {
    return { type: 'AesSiv', keyBits: this.#halfKeyBytes * 16 };
  }

  /** Never reveal key material. */
  [INSPECT](): string {
    return `AesSiv { keyBits: ${this.#halfKeyBytes * 16}, key: [REDACTED] }`;
  }

  /** Raw zero-IV CBC-MAC of a whole number of blocks, on the long-lived CBC cipher. */
  #cbcMac(blocks: Buffer): Buffer {
    // Cancel the running chaining value so this call behaves as a fresh zero-IV CBC.
    xorBlockInto(blocks, 0, this.#chain);
    const out = this.#mac!.update(blocks);
    const last = out.subarray(out.length - BLOCK);
    last.copy(this.#chain);
    return last;
  }

  /** AES-CMAC of an arbitrary message (copied; the input is not modified). */
  #cmac(msg: Buffer): Buffer {
    const n = msg.length === 0 ? 1 : Math.ceil(msg.length / BLOCK);
    const buf = Buffer.allocUnsafe(n * BLOCK);
    msg.copy(buf, 0);
    buf.fill(0, msg.length);
    this.#finishCmacBlock(buf, msg.length);
    return this.#cbcMac(buf);
  }

  /**
   * Apply CMAC's last-block treatment to `buf` (length a non-zero multiple of 16, zero-filled
   * past `len`): XOR subkey K1 if the message fills its last block, else pad 10* and XOR K2.
   */
  #finishCmacBlock(buf: Buffer, len: number): void {
    const lastOff = buf.length - BLOCK;
    if (len > 0 && len === buf.length) {
      xorBlockInto(buf, lastOff, this.#sub1);
    } else {
      buf[len] = 0x80;
      xorBlockInto(buf, lastOff, this.#sub2);
    }
  }

  /** S2V(K1, AD_1, …, AD_n, plaintext). Returns a 16-byte view of a fresh buffer. */
  #s2v(ad: readonly Buffer[], plaintext: Buffer): Buffer {
    const d = this.#d;
    this.#d0.copy(d);
    for (let i = 0; i < ad.length; i++) {
      const component = ad[i];
      dbl(d, d);
      xorBlockInto(d, 0, component.length === 0 ? this.#cmacEmpty : this.#cmac(component));
    }
    const len = plaintext.length;
    let t: Buffer;
    if (len >= BLOCK) {
      // T = plaintext xorend D, then CMAC(T).
      const n = Math.ceil(len / BLOCK);
      t = Buffer.allocUnsafe(n * BLOCK);
      plaintext.copy(t, 0);
      t.fill(0, len);
      const off = len - BLOCK;
      for (let i = 0; i < BLOCK; i++) t[off + i] ^= d[i];
      this.#finishCmacBlock(t, len);
    } else {
      // T = dbl(D) xor pad(plaintext): one complete block, so CMAC XORs subkey K1.
      t = Buffer.alloc(BLOCK);
      plaintext.copy(t, 0);
      t[len] = 0x80;
      dbl(d, d);
      xorBlockInto(t, 0, d);
      xorBlockInto(t, 0, this.#sub1);
    }
    d.fill(0);
    // #cbcMac returns a view of the fresh buffer Cipher#update allocated: no copy needed.
    return this.#cbcMac(t);
  }

  /** AES-CTR with counter block Q = V with bits 31 and 63 (from the right) cleared. */
  #ctr(v: Buffer, input: Buffer, out: Buffer, outOffset: number): void {
    const len = input.length;
    if (len === 0) return;
    const blocks = Math.ceil(len / BLOCK);
    if (blocks <= ECB_CTR_MAX_BLOCKS) {
      const counters = Buffer.allocUnsafe(blocks * BLOCK);
      v.copy(counters, 0, 0, BLOCK);
      counters[8] &= 0x7f;
      counters[12] &= 0x7f;
      // The low 32-bit word starts below 2^31, so incrementing it alone never carries here.
      const low = counters.readUInt32BE(12);
      for (let b = 1; b < blocks; b++) {
        const off = b * BLOCK;
        counters.copy(counters, off, 0, 12);
        counters.writeUInt32BE(low + b, off + 12);
      }
      const stream = this.#ctrEcb!.update(counters);
      for (let i = 0; i < len; i++) out[outOffset + i] = input[i] ^ stream[i];
      stream.fill(0);
      return;
    }
    const q = Buffer.from(v.subarray(0, BLOCK));
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    const ctr = createCipheriv(aesName(this.#halfKeyBytes, 'ctr'), this.#ctrKey, q);
    const head = ctr.update(input);
    head.copy(out, outOffset);
    head.fill(0);
    const tail = ctr.final();
    if (tail.length > 0) tail.copy(out, outOffset + head.length);
  }
}
