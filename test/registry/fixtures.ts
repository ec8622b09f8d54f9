/** Shared fixtures: an ENCRYPT rule set in Confluent's JSON shape, and a tagged Avro schema. */
import type { RuleSet } from '../../src/rules/model';

/** One field-level ENCRYPT rule for fields tagged PII, with a local-kms KEK. */
export const ENCRYPT_RULES = (kek: string, keyId = 'mykey', algorithm?: string): RuleSet => ({
  domainRules: [
    {
      name: 'encryptPII',
      kind: 'TRANSFORM',
      mode: 'WRITEREAD',
      type: 'ENCRYPT',
      tags: ['PII'],
      params: {
        'encrypt.kek.name': kek,
        'encrypt.kms.type': 'local-kms',
        'encrypt.kms.key.id': keyId,
        ...(algorithm ? { 'encrypt.dek.algorithm': algorithm } : {}),
      },
      onFailure: 'ERROR,ERROR',
    },
  ],
});
