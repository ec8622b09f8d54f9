/**
 * Compiles a schema's rule set into the steps a serde runs per record: for each encryption
 * rule, its validated params, its field plan (or payload), its failure action per direction.
 * Done once per (subject, schema id); per record only the steps run.
 *
 * @packageDocumentation
 */
import type { WriteKey, WriteKeyRequest } from '../dek/key-ring';
import { CsfleError } from '../errors';
import { actionFor, applyOverrides, enabledForClients, ruleRunsIn, type Direction, type RuleAction, type RuleOverride } from '../rules/actions';
import { encryptParams, type EncryptParams } from '../rules/encrypt-params';
import type { FieldLeaf } from '../rules/field-cipher';
import type { Metadata, Rule, RuleSet } from '../rules/model';
import type { FieldPlan, PlanOptions, ValueTransform } from '../rules/schema-format';
import { TagResolver } from '../rules/tag-resolver';
import type { WarnOnce } from './warn-once';
import type { DekUseListener } from './options';

/** One rule, ready to run. */
export interface RuleStep {
  readonly rule: Rule;
  /** `field` = ENCRYPT over tagged fields; `payload` = ENCRYPT_PAYLOAD; `unsupported` = no executor. */
  readonly kind: 'field' | 'payload' | 'unsupported';
  readonly onFailure: RuleAction;
  readonly params: EncryptParams | undefined;
  /** Field rules: the compiled transform (undefined = selects no field: skipped). */
  readonly transform: ValueTransform | undefined;
  readonly fieldPaths: readonly string[];
  /** Key request for producers. */
  readonly writeRequest: WriteKeyRequest | undefined;
  /** Per-step memo of the last write key and its leaf (hot path: no allocation per record). */
  lastWriteKey?: WriteKey;
  lastWriteLeaf?: FieldLeaf;
  /** Per-step memo of the read leaf (it reads the key ring's live map of DEK versions). */
  readLeaf?: FieldLeaf;
  /** Told the DEK version of each field this step encrypts or decrypts. */
  readonly onDekUse?: DekUseListener | undefined;
}

/** Inputs of {@link compileRuleSteps}. */
export interface RuleStepsInput {
  /** Compiles the format's plan of tagged leaves for one rule. */
  plan: (tags: TagResolver, options: PlanOptions) => FieldPlan;
  inlineTags: ReadonlyMap<string, ReadonlySet<string>>;
  ruleSet: RuleSet | undefined;
  metadata: Metadata | undefined;
  overrides: readonly RuleOverride[] | undefined;
  subject: string;
  direction: Direction;
  /** True for a key serde (AES-GCM rules then get a warning: keys must encrypt deterministically). */
  isKey?: boolean;
  /** Where compile-time warnings go (once per serde). */
  warnings?: WarnOnce;
  onDekUse?: DekUseListener | undefined;
}

/** Compiled steps: domain rules (fields) and encoding rules (payload), in execution order. */
export interface CompiledSteps {
  domain: RuleStep[];
  encoding: RuleStep[];
}

/** Once per serde: an AES-GCM rule on a key serde makes one Kafka key encrypt to different bytes each time. */
function warnGcmKey(input: RuleStepsInput, rule: Rule): void {
  input.warnings?.warn(
    `gcm-key\u0000${rule.name}`,
    `Rule '${rule.name}' encrypts a Kafka key with AES-GCM: the same key encrypts to different bytes each time, which breaks ` +
      "partitioning and log compaction. Use 'encrypt.dek.algorithm': 'AES256_SIV' (deterministic) for key serdes",
    { ruleName: rule.name, subject: input.subject },
    Infinity,
  );
}

/**
 * Once per serde: tagged fields the rule cannot decrypt because they hold no string/bytes value;
 * other clients (Confluent) write them in clear, so they are read as they are.
 */
function warnUnsupported(input: RuleStepsInput, rule: Rule, paths: readonly string[]): void {
  input.warnings?.warn(
    `unsupported\u0000${rule.name}\u0000${paths.join(',')}`,
    `Rule '${rule.name}' selects field(s) that cannot be encrypted (not string or bytes): ${paths.join(', ')}. ` +
      'Records written by other clients carry them in clear; they are read as they are (kafka-csfle refuses to produce such records)',
    { ruleName: rule.name, subject: input.subject, fieldPaths: [...paths] },
    Infinity,
  );
}

/** Compiles the rule set for one direction. READ steps come back already reversed. */
export function compileRuleSteps(input: RuleStepsInput): CompiledSteps {
  const { ruleSet, direction } = input;
  if (!ruleSet || !enabledForClients(ruleSet)) return { domain: [], encoding: [] };
  const tags = new TagResolver(input.inlineTags, input.metadata?.tags ?? {});
  const properties = input.metadata?.properties ?? {};
  const build = (rules: readonly Rule[] | undefined, allowed: 'ENCRYPT' | 'ENCRYPT_PAYLOAD'): RuleStep[] => {
    const steps: RuleStep[] = [];
    for (const original of rules ?? []) {
      const rule = applyOverrides(original, input.overrides);
      if (rule.disabled || !ruleRunsIn(rule.mode, direction)) continue;
      const onFailure = actionFor(rule, 'onFailure', direction);
      actionFor(rule, 'onSuccess', direction);
      if (rule.type !== allowed) {
        steps.push({ rule, kind: 'unsupported', onFailure, params: undefined, transform: undefined, fieldPaths: [], writeRequest: undefined });
        continue;
      }
      const params = encryptParams(rule, properties);
      const writeRequest: WriteKeyRequest = {
        kekName: params.kekName,
        ...(params.kmsType !== undefined ? { kmsType: params.kmsType } : {}),
        ...(params.kmsKeyId !== undefined ? { kmsKeyId: params.kmsKeyId } : {}),
        subject: input.subject,
        algorithm: params.algorithm,
        expiryDays: params.expiryDays,
      };
      if (input.isKey && params.algorithm !== 'AES256_SIV') warnGcmKey(input, rule);
      if (allowed === 'ENCRYPT') {
        let plan: FieldPlan;
        try {
          plan = input.plan(tags, { ruleTags: rule.tags ?? [], direction });
        } catch (err) {
          if (err instanceof CsfleError) throw err.withContext({ ruleName: rule.name }, `${err.detail} (rule '${rule.name}')`);
          throw err;
        }
        if (plan.unsupported) warnUnsupported(input, rule, plan.unsupported);
        steps.push({ rule, kind: 'field', onFailure, params, transform: plan.transform, fieldPaths: plan.fieldPaths, writeRequest, onDekUse: input.onDekUse });
      } else {
        steps.push({ rule, kind: 'payload', onFailure, params, transform: undefined, fieldPaths: [], writeRequest, onDekUse: input.onDekUse });
      }
    }
    return direction === 'READ' ? steps.reverse() : steps;
  };
  return { domain: build(ruleSet.domainRules, 'ENCRYPT'), encoding: build(ruleSet.encodingRules, 'ENCRYPT_PAYLOAD') };
}
