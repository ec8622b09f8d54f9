/**
 * Rule sets and schema metadata in Confluent's JSON shape.
 *
 * @packageDocumentation
 */

/** When a rule runs. Encryption rules use `WRITEREAD`. */
export type RuleMode = 'WRITE' | 'READ' | 'WRITEREAD' | 'UPGRADE' | 'DOWNGRADE' | 'UPDOWN';

/** Rule kind. Encryption rules are `TRANSFORM`. */
export type RuleKind = 'TRANSFORM' | 'CONDITION';

/** One rule of a rule set. */
export interface Rule {
  name: string;
  doc?: string;
  kind: RuleKind;
  mode: RuleMode;
  /** `ENCRYPT` (fields) or `ENCRYPT_PAYLOAD` (whole payload), or a custom type. */
  type: string;
  /** Field tags selected; empty or absent = every eligible field. */
  tags?: string[];
  params?: Record<string, string>;
  expr?: string;
  /** Action(s) on success; default `NONE`. */
  onSuccess?: string;
  /** Action(s) on failure; default `ERROR`. `"ERROR,NONE"` = ERROR on write, NONE on read. */
  onFailure?: string;
  disabled?: boolean;
}

/** A schema's rule set. */
export interface RuleSet {
  migrationRules?: Rule[];
  domainRules?: Rule[];
  encodingRules?: Rule[];
  enableAt?: 'ALL' | 'CLIENT' | 'GATEWAY' | 'SERVER' | 'NONE';
}

/** A schema's metadata: tag patterns, properties, sensitive property names. */
export interface Metadata {
  /** `{ "<field path pattern>": ["TAG", ...] }`; patterns support `*`, `**`, `?`. */
  tags?: Record<string, string[]>;
  properties?: Record<string, string>;
  sensitive?: string[];
}

/** Rule parameter names used by encryption rules. */
export const RuleParams = {
  KEK_NAME: 'encrypt.kek.name',
  KMS_TYPE: 'encrypt.kms.type',
  KMS_KEY_ID: 'encrypt.kms.key.id',
  DEK_ALGORITHM: 'encrypt.dek.algorithm',
  DEK_EXPIRY_DAYS: 'encrypt.dek.expiry.days',
} as const;
