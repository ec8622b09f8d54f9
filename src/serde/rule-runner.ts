/**
 * Runs compiled rule steps on one record: resolves each step's DEK (synchronously from the key
 * ring once warm), applies the field transform or payload cipher, and applies `onFailure`.
 *
 * @packageDocumentation
 */
import type { KeyRing, WriteKey } from '../dek/key-ring';
import { CsfleError, RuleError, type CsfleErrorContext } from '../errors';
import { decryptingLeaf, DekVersionNeeded, encryptingLeaf, type FieldLeaf } from '../rules/field-cipher';
import type { DekCipher } from '../crypto/dek-cipher';
import type { DekUsageCounters } from '../observe/stats';
import type { Direction } from '../rules/actions';
import type { RuleStep } from './rule-steps';
import type { WarnOnce } from './warn-once';

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

/** Counts a payload (ENCRYPT_PAYLOAD) encryption or decryption on the DEK version's usage counters. */
function countPayload(cipher: DekCipher | undefined, encrypted: boolean): void {
  const usage = (cipher as { usage?: DekUsageCounters } | undefined)?.usage;
  if (usage === undefined) return;
  if (encrypted) usage.payloadEncryptions++;
  else usage.payloadDecryptions++;
}

function readLeaf(step: RuleStep, keyRing: KeyRing, subject: string): FieldLeaf {
  if (!step.readLeaf) {
    const p = step.params!;
    const reader = keyRing.readerFor(p.kekName, subject, p.algorithm);
    // Payload steps count payload decryptions per DEK version here, so every read path
    // (deserialize and deserializeWithStatus) counts them.
    const lookup =
      step.kind === 'payload'
        ? (version: number) => {
            const cipher = reader(version);
            countPayload(cipher, false);
            return cipher;
          }
        : reader;
    const listen = step.onDekUse;
    const kekName = p.kekName;
    step.readLeaf = decryptingLeaf(
      listen === undefined
        ? lookup
        : (version) => {
            const cipher = lookup(version);
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
 * A rule with `onFailure: NONE` failed: the record goes on (in clear on write, with ciphertext on
 * read). Logged once per (rule, subject, error code) and `failureTtlMs`, never per record and
 * never with values.
 */
function warnNone(warnings: WarnOnce | undefined, step: RuleStep, err: unknown, ctx: CsfleErrorContext, direction: 'WRITE' | 'READ'): void {
  if (!warnings) return;
  const code = err instanceof CsfleError ? err.code : 'RULE_FAILED';
  const key = `none\u0000${step.rule.name}\u0000${ctx.subject ?? ''}\u0000${code}\u0000${direction}`;
  if (!warnings.due(key)) return;
  const inner = err instanceof CsfleError ? err.context : {};
  warnings.warn(
    key,
    direction === 'WRITE'
      ? `Rule '${step.rule.name}' failed (${code}) and its onFailure is NONE: records are produced with the fields it should encrypt in clear`
      : `Rule '${step.rule.name}' failed (${code}) and its onFailure is NONE: records are returned with the fields it encrypts left as ciphertext`,
    {
      ruleName: step.rule.name,
      code,
      ...(ctx.topic !== undefined ? { topic: ctx.topic } : {}),
      ...(ctx.subject !== undefined ? { subject: ctx.subject } : {}),
      ...(ctx.schemaId !== undefined ? { schemaId: ctx.schemaId } : {}),
      ...((inner.kekName ?? step.params?.kekName) !== undefined ? { kekName: inner.kekName ?? step.params?.kekName } : {}),
      ...(inner.dekVersion !== undefined ? { dekVersion: inner.dekVersion } : {}),
      ...(inner.fieldPath !== undefined ? { fieldPath: inner.fieldPath } : {}),
    },
  );
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
  keyRing: KeyRing,
  direction: Direction,
  warnings: WarnOnce | undefined,
  apply: (step: RuleStep, value: T) => T | Promise<T>,
): Promise<T> {
  let v = value;
  for (const step of steps) {
    if (passOver(step, ctx, keyRing, direction, warnings)) continue;
    try {
      const out = apply(step, v);
      v = out instanceof Promise ? await out : out;
    } catch (err) {
      stepFailed(step, err, ctx, keyRing, direction, warnings);
    }
  }
  return v;
}

/**
 * Whether `step` is passed over: a field step without fields to transform, or a step without
 * executor (reported, and thrown when its `onFailure` is `ERROR`).
 */
export function passOver(step: RuleStep, ctx: CsfleErrorContext, keyRing: KeyRing, direction: Direction, warnings: WarnOnce | undefined): boolean {
  if (step.kind === 'field' && !step.transform) return true;
  if (step.kind === 'unsupported') {
    const err = unsupported(step, ctx);
    reportFailure(keyRing, step, err, ctx, direction, warnings);
    if (step.onFailure === 'ERROR') throw err;
    return true;
  }
  return false;
}

/** A step threw: reported, and rethrown as the step's failure when its `onFailure` is `ERROR`. */
export function stepFailed(step: RuleStep, err: unknown, ctx: CsfleErrorContext, keyRing: KeyRing, direction: Direction, warnings: WarnOnce | undefined): void {
  reportFailure(keyRing, step, err, ctx, direction, warnings);
  if (step.onFailure === 'ERROR') throw failure(step, err, ctx);
}

/**
 * A step failed: counted by error code; under `onFailure: NONE` the record goes on (in clear on
 * write, with ciphertext on read): counted, audited and warned about as a pass-through (the audit
 * event and the warning once per rule, subject and code per period). Off the hot path.
 */
export function reportFailure(
  keyRing: KeyRing,
  step: RuleStep,
  err: unknown,
  ctx: CsfleErrorContext,
  direction: Direction,
  warnings: WarnOnce | undefined,
): void {
  const t = keyRing.telemetry;
  const code = err instanceof CsfleError ? err.code : 'RULE_FAILED';
  t.metrics.failure(code, direction);
  if (step.onFailure !== 'NONE') return;
  const kekName = (err instanceof CsfleError ? err.context.kekName : undefined) ?? step.params?.kekName;
  t.passThrough({
    ruleName: step.rule.name,
    subject: ctx.subject ?? '',
    direction,
    code,
    ...(kekName !== undefined ? { kekName } : {}),
    ...(ctx.topic !== undefined ? { topic: ctx.topic } : {}),
  });
  warnNone(warnings, step, err, ctx, direction);
}

/**
 * Runs `op` with the step's current write key: from the key ring's cache, else fetched or created.
 * A key used up mid-record (`maxEncryptionsPerDek`) or wiped meanwhile (evicted, past its age) is
 * replaced by the key ring's current one and `op` runs again (it only builds a new value).
 */
function withWriteKey<T>(step: RuleStep, keyRing: KeyRing, op: (leaf: FieldLeaf) => T): T | Promise<T> {
  const key = keyRing.peekWriteKey(step.writeRequest!);
  if (key) {
    try {
      return op(writeLeaf(step, key));
    } catch (err) {
      if (!isKeyGone(err)) throw err;
    }
  }
  return runWithFetchedKey(step, keyRing, op, 0);
}

const MAX_WRITE_KEY_ATTEMPTS = 3;

function isKeyGone(err: unknown): boolean {
  return err instanceof CsfleError && (err.code === 'DEK_USAGE_LIMIT' || err.code === 'KEY_DESTROYED');
}

async function runWithFetchedKey<T>(step: RuleStep, keyRing: KeyRing, op: (leaf: FieldLeaf) => T, attempt: number): Promise<T> {
  const fetched = await keyRing.writeKey(step.writeRequest!);
  try {
    return op(writeLeaf(step, fetched));
  } catch (err) {
    if (!isKeyGone(err) || attempt + 1 >= MAX_WRITE_KEY_ATTEMPTS) throw err;
    return runWithFetchedKey(step, keyRing, op, attempt + 1);
  }
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
    await keyRing.readKey(p.kekName, subject, p.algorithm, needed.version); // fills keyRing.readerFor(...)
    try {
      return op(leaf);
    } catch (err) {
      if (!(err instanceof DekVersionNeeded) || i >= MAX_VERSION_LOADS) throw err;
      needed = err;
    }
  }
}

/** Runs WRITE field steps; returns the transformed copy of `value` (input untouched). */
export function runWriteFieldSteps(steps: readonly RuleStep[], keyRing: KeyRing, value: unknown, ctx: CsfleErrorContext, warnings?: WarnOnce): Promise<unknown> {
  return runSteps(steps, value, ctx, keyRing, 'WRITE', warnings, (step, v) => withWriteKey(step, keyRing, (leaf) => step.transform!(v, leaf)));
}

/** Runs WRITE payload steps (ENCRYPT_PAYLOAD) on the encoded payload. */
export function runWritePayloadSteps(steps: readonly RuleStep[], keyRing: KeyRing, payload: Buffer, ctx: CsfleErrorContext, warnings?: WarnOnce): Promise<Buffer> {
  return runSteps(steps, payload, ctx, keyRing, 'WRITE', warnings, (step, p) =>
    withWriteKey(step, keyRing, (leaf) => {
      const out = leaf(p, '') as Buffer;
      countPayload(step.lastWriteKey?.cipher, true);
      return out;
    }),
  );
}

/** Runs READ field steps (already in reverse order); `value` is freshly decoded. */
export function runReadFieldSteps(steps: readonly RuleStep[], keyRing: KeyRing, subject: string, value: unknown, ctx: CsfleErrorContext, warnings?: WarnOnce): Promise<unknown> {
  return runSteps(steps, value, ctx, keyRing, 'READ', warnings, (step, v) => withReadKeys(step, keyRing, subject, (leaf) => step.transform!(v, leaf)));
}

/** Runs READ payload steps (already in reverse order) on the framed payload. */
export function runReadPayloadSteps(steps: readonly RuleStep[], keyRing: KeyRing, subject: string, payload: Buffer, ctx: CsfleErrorContext, warnings?: WarnOnce): Promise<Buffer> {
  return runSteps(steps, payload, ctx, keyRing, 'READ', warnings, (step, p) =>
    withReadKeys(step, keyRing, subject, (leaf) => leaf(p, '') as Buffer),
  );
}
