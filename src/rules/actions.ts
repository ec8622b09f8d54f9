/**
 * Rule modes, `onSuccess` / `onFailure` actions, `enableAt` and local overrides.
 *
 * @packageDocumentation
 */
import { RuleError } from '../errors';
import type { Rule, RuleMode, RuleSet } from './model';

/** The direction a serde runs rules in. */
export type Direction = 'WRITE' | 'READ';

/** Built-in actions. */
export type RuleAction = 'ERROR' | 'NONE';

/** True when a rule with this mode runs when writing / reading. */
export function ruleRunsIn(mode: RuleMode, direction: Direction): boolean {
  if (mode === 'WRITEREAD') return true;
  return mode === direction;
}

/** True when the rule set is enabled for clients (`enableAt` absent, `ALL` or `CLIENT`). */
export function enabledForClients(ruleSet: RuleSet | undefined): boolean {
  const at = ruleSet?.enableAt;
  return at === undefined || at === 'ALL' || at === 'CLIENT';
}

/**
 * The action to run for `direction`, from `"A"` or the pair form `"A,B"` (A on write, B on
 * read; only valid for WRITEREAD and UPDOWN rules). Unknown action names are rejected.
 */
export function actionFor(rule: Rule, which: 'onFailure' | 'onSuccess', direction: Direction): RuleAction {
  const raw = rule[which];
  const fallback: RuleAction = which === 'onFailure' ? 'ERROR' : 'NONE';
  if (raw === undefined || raw.trim() === '') return fallback;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length > 2 || (parts.length === 2 && rule.mode !== 'WRITEREAD' && rule.mode !== 'UPDOWN')) {
    throw new RuleError('INVALID_RULE', `Invalid ${which} "${raw}": the "A,B" form is only valid for WRITEREAD and UPDOWN rules`, {
      ruleName: rule.name,
    });
  }
  const action = parts.length === 2 ? (direction === 'WRITE' ? parts[0]! : parts[1]!) : parts[0]!;
  const upper = action.toUpperCase();
  if (upper !== 'ERROR' && upper !== 'NONE') {
    throw new RuleError('INVALID_RULE', `Unknown ${which} action "${action}" (supported: ERROR, NONE)`, { ruleName: rule.name });
  }
  return upper;
}

/** A local override of rules, matched by rule name or by rule type (name wins). */
export interface RuleOverride {
  /** Rule name to match; or use `type`. */
  name?: string;
  /** Rule type to match (e.g. `ENCRYPT`). */
  type?: string;
  disabled?: boolean;
  onSuccess?: string;
  onFailure?: string;
  /** Params merged over the rule's own params. */
  params?: Record<string, string>;
}

/** Applies local overrides to a rule: by-type overrides first, then by-name ones. */
export function applyOverrides(rule: Rule, overrides: readonly RuleOverride[] | undefined): Rule {
  if (!overrides || overrides.length === 0) return rule;
  let out: Rule = rule;
  const matching = [
    ...overrides.filter((o) => o.name === undefined && o.type !== undefined && o.type === rule.type),
    ...overrides.filter((o) => o.name !== undefined && o.name === rule.name),
  ];
  for (const o of matching) {
    out = {
      ...out,
      ...(o.disabled !== undefined ? { disabled: o.disabled } : {}),
      ...(o.onSuccess !== undefined ? { onSuccess: o.onSuccess } : {}),
      ...(o.onFailure !== undefined ? { onFailure: o.onFailure } : {}),
      ...(o.params !== undefined ? { params: { ...(out.params ?? {}), ...o.params } } : {}),
    };
  }
  return out;
}
