/** Shared fixtures: ENCRYPT rule sets in Confluent's JSON shape, and a tagged Avro schema. */
import type { RuleSet } from '../../src/rules/model';

/**
 * One field-level ENCRYPT rule `encryptPII` for fields tagged PII under KEK `kek`; `params` adds
 * rule params (DEK algorithm, expiry, ...).
 */
export function encryptPiiRules(kek: string, kmsType: string, kmsKeyId: string, params: Record<string, string> = {}, onFailure = 'ERROR,ERROR'): RuleSet {
  return {
    domainRules: [
      {
        name: 'encryptPII',
        kind: 'TRANSFORM',
        mode: 'WRITEREAD',
        type: 'ENCRYPT',
        tags: ['PII'],
        params: { 'encrypt.kek.name': kek, 'encrypt.kms.type': kmsType, 'encrypt.kms.key.id': kmsKeyId, ...params },
        onFailure,
      },
    ],
  };
}

/** One field-level ENCRYPT rule for fields tagged PII, with a local-kms KEK. */
export const ENCRYPT_RULES = (kek: string, keyId = 'mykey', algorithm?: string): RuleSet =>
  encryptPiiRules(kek, 'local-kms', keyId, algorithm ? { 'encrypt.dek.algorithm': algorithm } : {});

/** A `Customer` record schema: `id`, PII-tagged `name` and `ssn`, and an untagged `note`. */
export const customerNoteSchema = (namespace: string) => ({
  type: 'record',
  name: 'Customer',
  namespace,
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'note', type: 'string' },
  ],
});
