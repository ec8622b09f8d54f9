/**
 * The parameters of an encryption rule (`ENCRYPT` / `ENCRYPT_PAYLOAD`), read from the rule's
 * params, then from the schema's `metadata.properties`, and validated.
 *
 * @packageDocumentation
 */
import type { DekAlgorithm } from '../crypto/algorithm';
import { DEK_ALGORITHMS, isValidKekName } from '../dek/model';
import { RuleError } from '../errors';
import { RuleParams, type Rule } from './model';

/** Validated parameters of one encryption rule. */
export interface EncryptParams {
  kekName: string;
  kmsType?: string;
  kmsKeyId?: string;
  algorithm: DekAlgorithm;
  /** 0 = no rotation (no version prefix). */
  expiryDays: number;
}


/** Reads and validates the encryption params of `rule` (metadata properties as fallback). */
export function encryptParams(rule: Rule, properties: Readonly<Record<string, string>> = {}): EncryptParams {
  const get = (name: string): string | undefined => {
    const v = rule.params?.[name] ?? properties[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const ctx = { ruleName: rule.name };
  const kekName = get(RuleParams.KEK_NAME);
  if (!kekName) {
    throw new RuleError('INVALID_RULE', `Missing rule param ${RuleParams.KEK_NAME}`, ctx);
  }
  if (!isValidKekName(kekName)) {
    throw new RuleError('INVALID_RULE', `Invalid ${RuleParams.KEK_NAME}: must start with a letter or _ and contain only letters, digits, _ or -`, ctx);
  }
  const algorithm = get(RuleParams.DEK_ALGORITHM) ?? 'AES256_GCM';
  if (!(DEK_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new RuleError('INVALID_RULE', `Invalid ${RuleParams.DEK_ALGORITHM} "${algorithm}" (expected one of ${DEK_ALGORITHMS.join(', ')})`, {
      ...ctx,
      kekName,
    });
  }
  const expiryRaw = get(RuleParams.DEK_EXPIRY_DAYS);
  let expiryDays = 0;
  if (expiryRaw !== undefined) {
    expiryDays = Number(expiryRaw);
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(expiryRaw) || !Number.isFinite(expiryDays) || expiryDays < 0) {
      throw new RuleError('INVALID_RULE', `Invalid ${RuleParams.DEK_EXPIRY_DAYS} "${expiryRaw}" (expected a number >= 0)`, { ...ctx, kekName });
    }
  }
  const kmsType = get(RuleParams.KMS_TYPE);
  const kmsKeyId = get(RuleParams.KMS_KEY_ID);
  return {
    kekName,
    ...(kmsType !== undefined ? { kmsType } : {}),
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    algorithm: algorithm as DekAlgorithm,
    expiryDays,
  };
}
