/**
 * Per-record encryption status on read — the `EncryptionType` of a record: which tagged fields
 * (and payload) were decrypted, which stayed ciphertext (rule failed, `onFailure: NONE`), and
 * which were clear text (written unencrypted). Used by `deserializeWithStatus`; the plain
 * `deserialize` path does not run any of this.
 *
 * @packageDocumentation
 */
import type { KeyRing } from '../dek/key-ring';
import { CryptoError, CsfleError, type CsfleErrorContext } from '../errors';
import { ciphertextShape, type CiphertextShape } from '../rules/ciphertext-shape';
import type { FieldLeaf } from '../rules/field-cipher';
import { passOver, stepFailed, withReadKeys } from './rule-runner';
import type { RuleStep } from './rule-steps';
import type { WarnOnce } from './warn-once';

/** What happened to one tagged field (or the payload) of a record read. */
export type EncryptionState = 'decrypted' | 'ciphertext' | 'clear';

/** The status of one tagged field path (or of the payload) in one record. */
export interface FieldEncryptionStatus {
  /** Full name of the field (`Record.field`); `''` for the payload of an `ENCRYPT_PAYLOAD` rule. */
  path: string;
  target: 'field' | 'payload';
  /**
   * `decrypted`: the value was decrypted. `ciphertext`: it has the shape of ciphertext but was
   * left as is (no key, KMS refusal, wrong key: the rule failed and `onFailure: NONE` passed it
   * through). `clear`: the value is not ciphertext — it was written unencrypted. When a path holds
   * several values (arrays, maps), the least protected state wins: clear, then ciphertext.
   */
  status: EncryptionState;
  /** DEK version of the ciphertext (from its prefix with rotation, else 1); absent for clear values. */
  dekVersion?: number;
  ruleName: string;
  kekName: string;
  algorithm: string;
  /** Error code of the failed rule, when the value was passed through by `onFailure: NONE`. */
  code?: string;
}

/** A record read with its encryption status. */
export interface RecordWithStatus<T = unknown> {
  value: T;
  encryption: FieldEncryptionStatus[];
}

const RANK: Record<EncryptionState, number> = { decrypted: 0, ciphertext: 1, clear: 2 };

/** Collects the status of each path of one step. */
class StepStatus {
  readonly #byPath = new Map<string, FieldEncryptionStatus>();
  constructor(
    readonly step: RuleStep,
    readonly target: 'field' | 'payload',
  ) {}

  note(path: string, status: EncryptionState, shape: CiphertextShape, code?: string): void {
    const prev = this.#byPath.get(path);
    if (prev && RANK[prev.status] >= RANK[status]) return;
    const p = this.step.params!;
    this.#byPath.set(path, {
      path,
      target: this.target,
      status,
      ...(status !== 'clear' && shape.dekVersion !== undefined ? { dekVersion: shape.dekVersion } : {}),
      ruleName: this.step.rule.name,
      kekName: p.kekName,
      algorithm: p.algorithm,
      ...(code !== undefined ? { code } : {}),
    });
  }

  clear(): void {
    this.#byPath.clear();
  }

  drainTo(out: FieldEncryptionStatus[]): void {
    for (const s of this.#byPath.values()) out.push(s);
  }
}

function shapeOf(step: RuleStep, value: string | Buffer): CiphertextShape {
  const p = step.params!;
  return ciphertextShape(value, p.algorithm, p.expiryDays > 0);
}

/** A leaf that refuses clear values (so the rule fails as for bad ciphertext) and notes decrypted ones. */
function statusLeaf(step: RuleStep, status: StepStatus, leaf: FieldLeaf): FieldLeaf {
  return (value, path) => {
    const shape = shapeOf(step, value);
    if (!shape.ciphertext) {
      throw new CryptoError('INVALID_CIPHERTEXT', 'Tagged value is not ciphertext (written in clear?)', {
        fieldPath: path || undefined,
        kekName: step.params!.kekName,
      });
    }
    const out = leaf(value, path);
    status.note(path, 'decrypted', shape);
    return out;
  };
}

/**
 * Runs READ steps (already in reverse order) like the plain read path, and appends the status of
 * every tagged value to `out`. `apply(step, value, leaf)` runs one step's transform with a leaf.
 */
async function runWithStatus<T>(
  steps: readonly RuleStep[],
  keyRing: KeyRing,
  subject: string,
  value: T,
  ctx: CsfleErrorContext,
  target: 'field' | 'payload',
  apply: (step: RuleStep, value: T, leaf: FieldLeaf) => T,
  out: FieldEncryptionStatus[],
  warnings: WarnOnce | undefined,
): Promise<T> {
  let v = value;
  for (const step of steps) {
    if (passOver(step, ctx, keyRing, 'READ', warnings)) continue;
    const status = new StepStatus(step, target);
    const input = v;
    try {
      const r = withReadKeys(step, keyRing, subject, (leaf) => {
        status.clear();
        return apply(step, input, statusLeaf(step, status, leaf));
      });
      v = r instanceof Promise ? await r : r;
    } catch (err) {
      stepFailed(step, err, ctx, keyRing, 'READ', warnings);
      // onFailure NONE: the value goes on unchanged; report what each tagged value is.
      status.clear();
      const code = err instanceof CsfleError ? err.code : 'RULE_FAILED';
      apply(step, input, (val, path) => {
        const shape = shapeOf(step, val);
        status.note(path, shape.ciphertext ? 'ciphertext' : 'clear', shape, code);
        return val;
      });
    }
    status.drainTo(out);
  }
  return v;
}

/** READ field steps with status (see {@link FieldEncryptionStatus}). */
export function runReadFieldStepsWithStatus(
  steps: readonly RuleStep[],
  keyRing: KeyRing,
  subject: string,
  value: unknown,
  ctx: CsfleErrorContext,
  out: FieldEncryptionStatus[],
  warnings?: WarnOnce,
): Promise<unknown> {
  return runWithStatus(steps, keyRing, subject, value, ctx, 'field', (step, v, leaf) => step.transform!(v, leaf), out, warnings);
}

/** READ payload steps with status. */
export function runReadPayloadStepsWithStatus(
  steps: readonly RuleStep[],
  keyRing: KeyRing,
  subject: string,
  payload: Buffer,
  ctx: CsfleErrorContext,
  out: FieldEncryptionStatus[],
  warnings?: WarnOnce,
): Promise<Buffer> {
  return runWithStatus(steps, keyRing, subject, payload, ctx, 'payload', (_step, p, leaf) => leaf(p, '') as Buffer, out, warnings);
}
