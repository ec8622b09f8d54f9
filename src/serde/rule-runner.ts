/**
 * Runs compiled rule steps on one record: resolves each step's DEK (synchronously from the key
 * ring once warm), applies the field transform or payload cipher, and applies `onFailure`.
 *
 * @packageDocumentation
 */
import type { DekCipher } from '../crypto/dek-cipher';
import type { KeyRing, WriteKey } from '../dek/key-ring';
import { CsfleError, RuleError, type CsfleErrorContext } from '../errors';
import { decryptingLeaf, DekVersionNeeded, encryptingLeaf, type FieldLeaf } from '../rules/field-cipher';
import type { RuleStep } from './rule-steps';

const MAX_VERSION_LOADS = 64;

function failure(step: RuleStep, err: unknown, ctx: CsfleErrorContext): CsfleError {
  if (err instanceof CsfleError) {
    if (err.context.topic !== undefined && err.context.ruleName !== undefined) return err;
    const i = err.message.lastIndexOf(' [');
    const msg = i > 0 && err.message.endsWith(']') ? err.message.slice(0, i) : err.message;
    return new (Object.getPrototypeOf(err).constructor as typeof CsfleError)(err.code, msg, {
      ...ctx,
      ...err.context,
      ruleName: step.rule.name,
      retryable: err.retryable,
      cause: err,
    });
  }
  return new RuleError('RULE_FAILED', `Rule failed: ${(err as Error)?.name ?? 'error'}`, { ...ctx, ruleName: step.rule.name });
}

function unsupported(step: RuleStep, ctx: CsfleErrorContext): CsfleError {
  return new RuleError('RULE_FAILED', `No executor for rule type ${step.rule.type} (kafka-csfle runs ENCRYPT and ENCRYPT_PAYLOAD)`, {
    ...ctx,
    ruleName: step.rule.name,
  });
}

function writeLeaf(step: RuleStep, key: WriteKey): FieldLeaf {
  if (step.lastWriteKey !== key) {
    step.lastWriteKey = key;
    step.lastWriteLeaf = encryptingLeaf(key.cipher, key.version, step.params!.expiryDays > 0);
  }
  return step.lastWriteLeaf!;
}

function readLeaf(step: RuleStep, keyRing: KeyRing, subject: string): FieldLeaf {
  if (!step.readLeaf) {
    const p = step.params!;
    const ciphers = (step.readCiphers = new Map<number, DekCipher>());
    step.readLeaf = decryptingLeaf(
      (version) => {
        let c = ciphers.get(version);
        if (!c) {
          c = keyRing.peekReadKey(p.kekName, subject, p.algorithm, version);
          if (c) ciphers.set(version, c);
        }
        return c;
      },
      p.expiryDays > 0,
      { kekName: p.kekName, subject, algorithm: p.algorithm, ruleName: step.rule.name },
    );
  }
  return step.readLeaf;
}

/** Runs WRITE field steps; returns the transformed copy of `value` (input untouched). */
export async function runWriteFieldSteps(steps: readonly RuleStep[], keyRing: KeyRing, value: unknown, ctx: CsfleErrorContext): Promise<unknown> {
  let v = value;
  for (const step of steps) {
    if (step.kind === 'field' && !step.transform) continue;
    if (step.kind === 'unsupported') {
      if (step.onFailure === 'ERROR') throw unsupported(step, ctx);
      continue;
    }
    try {
      const key = keyRing.peekWriteKey(step.writeRequest!) ?? (await keyRing.writeKey(step.writeRequest!));
      v = step.transform!(v, writeLeaf(step, key));
    } catch (err) {
      if (step.onFailure === 'ERROR') throw failure(step, err, ctx);
    }
  }
  return v;
}

/** Runs WRITE payload steps (ENCRYPT_PAYLOAD) on the encoded payload. */
export async function runWritePayloadSteps(steps: readonly RuleStep[], keyRing: KeyRing, payload: Buffer, ctx: CsfleErrorContext): Promise<Buffer> {
  let p = payload;
  for (const step of steps) {
    if (step.kind === 'unsupported') {
      if (step.onFailure === 'ERROR') throw unsupported(step, ctx);
      continue;
    }
    try {
      const key = keyRing.peekWriteKey(step.writeRequest!) ?? (await keyRing.writeKey(step.writeRequest!));
      p = writeLeaf(step, key)(p, '') as Buffer;
    } catch (err) {
      if (step.onFailure === 'ERROR') throw failure(step, err, ctx);
    }
  }
  return p;
}

async function withReadKeys<T>(step: RuleStep, keyRing: KeyRing, subject: string, op: (leaf: FieldLeaf) => T): Promise<T> {
  const leaf = readLeaf(step, keyRing, subject);
  for (let i = 0; ; i++) {
    try {
      return op(leaf);
    } catch (err) {
      if (!(err instanceof DekVersionNeeded) || i >= MAX_VERSION_LOADS) throw err;
      const p = step.params!;
      const cipher = await keyRing.readKey(p.kekName, subject, p.algorithm, err.version);
      step.readCiphers!.set(err.version, cipher);
    }
  }
}

/** Runs READ field steps (already in reverse order); `value` is freshly decoded. */
export async function runReadFieldSteps(steps: readonly RuleStep[], keyRing: KeyRing, subject: string, value: unknown, ctx: CsfleErrorContext): Promise<unknown> {
  let v = value;
  for (const step of steps) {
    if (step.kind === 'field' && !step.transform) continue;
    if (step.kind === 'unsupported') {
      if (step.onFailure === 'ERROR') throw unsupported(step, ctx);
      continue;
    }
    try {
      const before = v;
      v = await withReadKeys(step, keyRing, subject, (leaf) => step.transform!(before, leaf));
    } catch (err) {
      if (step.onFailure === 'ERROR') throw failure(step, err, ctx);
    }
  }
  return v;
}

/** Runs READ payload steps (already in reverse order) on the framed payload. */
export async function runReadPayloadSteps(steps: readonly RuleStep[], keyRing: KeyRing, subject: string, payload: Buffer, ctx: CsfleErrorContext): Promise<Buffer> {
  let p = payload;
  for (const step of steps) {
    if (step.kind === 'unsupported') {
      if (step.onFailure === 'ERROR') throw unsupported(step, ctx);
      continue;
    }
    try {
      const before = p;
      p = await withReadKeys(step, keyRing, subject, (leaf) => leaf(before, '') as Buffer);
    } catch (err) {
      if (step.onFailure === 'ERROR') throw failure(step, err, ctx);
    }
  }
  return p;
}
