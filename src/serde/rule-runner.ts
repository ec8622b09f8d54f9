/**
 * Runs compiled rule steps on one record: resolves each step's DEK (synchronously from the key
 * ring once warm), applies the field transform or payload cipher, and applies `onFailure`.
 *
 * @packageDocumentation
 */
import type { KeyRing, WriteKey } from '../dek/key-ring';
import { CsfleError, RuleError, type CsfleErrorContext } from '../errors';
import { decryptingLeaf, DekVersionNeeded, encryptingLeaf, type FieldLeaf } from '../rules/field-cipher';
import type { RuleStep } from './rule-steps';

const MAX_VERSION_LOADS = 64;

/** The error a failed step raises under `onFailure: ERROR`, with the record's context. */
export function failure(step: RuleStep, err: unknown, ctx: CsfleErrorContext): CsfleError {
  if (err instanceof CsfleError) {
    if (err.context.topic !== undefined && err.context.ruleName !== undefined) return err;
    // What the inner layer knew (KEK, version, field) wins over the record-level context.
    return err.withContext({ ...ctx, ...err.context, ruleName: step.rule.name });
  }
  return new RuleError('RULE_FAILED', `Rule failed: ${(err as Error)?.name ?? 'error'}`, { ...ctx, ruleName: step.rule.name });
}

/** The error of a step without executor. */
export function unsupported(step: RuleStep, ctx: CsfleErrorContext): CsfleError {
  return new RuleError('RULE_FAILED', `No executor for rule type ${step.rule.type} (kafka-csfle runs ENCRYPT and ENCRYPT_PAYLOAD)`, {
    ...ctx,
    ruleName: step.rule.name,
  });
}

function writeLeaf(step: RuleStep, key: WriteKey): FieldLeaf {
  if (step.onDekUse !== undefined) step.onDekUse('WRITE', key.version, step.params!.kekName);
  if (step.lastWriteKey !== key) {
    step.lastWriteKey = key;
    step.lastWriteLeaf = encryptingLeaf(key.cipher, key.version, step.params!.expiryDays > 0);
  }
  return step.lastWriteLeaf!;
}

function readLeaf(step: RuleStep, keyRing: KeyRing, subject: string): FieldLeaf {
  if (!step.readLeaf) {
    const p = step.params!;
    const versions = keyRing.dekVersions(p.kekName, subject, p.algorithm);
    const listen = step.onDekUse;
    const kekName = p.kekName;
    step.readLeaf = decryptingLeaf(
      listen === undefined
        ? (version) => versions.get(version)
        : (version) => {
            const cipher = versions.get(version);
            if (cipher !== undefined) listen('READ', version, kekName);
            return cipher;
          },
      p.expiryDays > 0,
      { kekName: p.kekName, subject, algorithm: p.algorithm, ruleName: step.rule.name },
    );
  }
  return step.readLeaf;
}

/**
 * Applies each step in turn to the running value. A field step without fields to transform is
 * skipped; a step without executor, or one that throws, fails the record when its `onFailure` is
 * `ERROR` and is passed over otherwise. `apply` answers synchronously when its key is cached.
 */
async function runSteps<T>(
  steps: readonly RuleStep[],
  value: T,
  ctx: CsfleErrorContext,
  apply: (step: RuleStep, value: T) => T | Promise<T>,
): Promise<T> {
  let v = value;
  for (const step of steps) {
    if (step.kind === 'field' && !step.transform) continue;
    if (step.kind === 'unsupported') {
      if (step.onFailure === 'ERROR') throw unsupported(step, ctx);
      continue;
    }
    try {
      const out = apply(step, v);
      v = out instanceof Promise ? await out : out;
    } catch (err) {
      if (step.onFailure === 'ERROR') throw failure(step, err, ctx);
    }
  }
  return v;
}

/** Runs `op` with the step's current write key: from the key ring's cache, else fetched or created. */
function withWriteKey<T>(step: RuleStep, keyRing: KeyRing, op: (leaf: FieldLeaf) => T): T | Promise<T> {
  const key = keyRing.peekWriteKey(step.writeRequest!);
  if (key) return op(writeLeaf(step, key));
  return Promise.resolve(keyRing.writeKey(step.writeRequest!)).then((fetched) => op(writeLeaf(step, fetched)));
}

/**
 * Runs `op` with the step's read keys, synchronously when every DEK version the ciphertext names
 * is cached; otherwise loads the missing versions one by one and runs `op` again.
 */
export function withReadKeys<T>(step: RuleStep, keyRing: KeyRing, subject: string, op: (leaf: FieldLeaf) => T): T | Promise<T> {
  const leaf = readLeaf(step, keyRing, subject);
  try {
    return op(leaf);
  } catch (err) {
    if (!(err instanceof DekVersionNeeded)) throw err;
    return loadVersionsAndRun(step, keyRing, subject, op, leaf, err);
  }
}

async function loadVersionsAndRun<T>(
  step: RuleStep,
  keyRing: KeyRing,
  subject: string,
  op: (leaf: FieldLeaf) => T,
  leaf: FieldLeaf,
  first: DekVersionNeeded,
): Promise<T> {
  const p = step.params!;
  let needed = first;
  for (let i = 0; ; i++) {
    await keyRing.readKey(p.kekName, subject, p.algorithm, needed.version); // fills keyRing.dekVersions(...)
    try {
      return op(leaf);
    } catch (err) {
      if (!(err instanceof DekVersionNeeded) || i >= MAX_VERSION_LOADS) throw err;
      needed = err;
    }
  }
}

/** Runs WRITE field steps; returns the transformed copy of `value` (input untouched). */
export function runWriteFieldSteps(steps: readonly RuleStep[], keyRing: KeyRing, value: unknown, ctx: CsfleErrorContext): Promise<unknown> {
  return runSteps(steps, value, ctx, (step, v) => withWriteKey(step, keyRing, (leaf) => step.transform!(v, leaf)));
}

/** Runs WRITE payload steps (ENCRYPT_PAYLOAD) on the encoded payload. */
export function runWritePayloadSteps(steps: readonly RuleStep[], keyRing: KeyRing, payload: Buffer, ctx: CsfleErrorContext): Promise<Buffer> {
  return runSteps(steps, payload, ctx, (step, p) => withWriteKey(step, keyRing, (leaf) => leaf(p, '') as Buffer));
}

/** Runs READ field steps (already in reverse order); `value` is freshly decoded. */
export function runReadFieldSteps(steps: readonly RuleStep[], keyRing: KeyRing, subject: string, value: unknown, ctx: CsfleErrorContext): Promise<unknown> {
  return runSteps(steps, value, ctx, (step, v) => withReadKeys(step, keyRing, subject, (leaf) => step.transform!(v, leaf)));
}

/** Runs READ payload steps (already in reverse order) on the framed payload. */
export function runReadPayloadSteps(steps: readonly RuleStep[], keyRing: KeyRing, subject: string, payload: Buffer, ctx: CsfleErrorContext): Promise<Buffer> {
  return runSteps(steps, payload, ctx, (step, p) => withReadKeys(step, keyRing, subject, (leaf) => leaf(p, '') as Buffer));
}
