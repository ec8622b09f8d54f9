/**
 * Compiles, once per (schema, rule), the transform that applies a {@link FieldLeaf} to every
 * tagged string/bytes value of a record — inside nested records, arrays, maps and unions — so
 * per-record work walks only the paths that hold tagged fields, never the whole schema.
 *
 * Transforms never mutate their input: they copy the containers along the transformed paths.
 *
 * @packageDocumentation
 */
import type * as avsc from 'avsc';
import { RuleError } from '../errors';
import type { FieldLeaf } from '../rules/field-cipher';
import { setOwn, type FieldPlan, type PlanOptions, type ValueTransform } from '../rules/schema-format';
import type { TagResolver } from '../rules/tag-resolver';

export type { FieldPlan, PlanOptions, ValueTransform } from '../rules/schema-format';

interface Holder {
  fn: ValueTransform | undefined;
  done: boolean;
}

type Bucket = 'string' | 'bytes' | 'object' | 'array';

/* eslint-disable @typescript-eslint/no-explicit-any */


/** Compiles the plan of one rule over an avsc type. */
export function compileFieldPlan(type: avsc.Type, tags: TagResolver, options: PlanOptions): FieldPlan {
  const ruleTags = options.ruleTags ?? [];
  const fieldPaths: string[] = [];
  const memo = new Map<avsc.Type, Map<string, Holder>>();

  const selects = (fullName: string): boolean => tags.selects(ruleTags, fullName);

  const leafOf = (path: string): ValueTransform => {
    if (!fieldPaths.includes(path)) fieldPaths.push(path);
    return (v, leaf) => (v === null || v === undefined ? v : leaf(v as string | Buffer, path));
  };

  const unsupportedPaths: string[] = [];
  /**
   * A field the rule's tags select holds a type that cannot be encrypted (record, enum, fixed,
   * numeric, or arrays/maps/unions of those). Produce fails closed at compile time, before any
   * record goes out with those values in clear; a consumer reads such records (other clients
   * write them in clear) and is told once (see rule-steps). A rule without tags selects every
   * string/bytes field and skips the rest.
   */
  const unsupported = (path: string, typeName: string): void => {
    if (ruleTags.length === 0) return;
    if (options.direction === 'WRITE') {
      throw new RuleError(
        'UNSUPPORTED_FIELD_TYPE',
        `Field ${path} (Avro ${typeName}) is tagged [${ruleTags.join(', ')}] for encryption, but only string and bytes values can be encrypted: ` +
          'refusing to produce its contents in clear. Remove the tag from it, or tag the string/bytes fields inside it',
        { fieldPath: path },
      );
    }
    if (!unsupportedPaths.includes(path)) unsupportedPaths.push(path);
  };

  const compile = (t: avsc.Type, path: string | undefined, inUnion: boolean): ValueTransform | undefined => {
    const name = t.typeName;
    switch (name) {
      case 'string':
      case 'bytes':
        return path ? leafOf(path) : undefined;
      case 'record':
      case 'error':
        if (path && !inUnion) unsupported(path, name);
        return compileRecord(t as avsc.types.RecordType);
      case 'array': {
        const items = compile((t as avsc.types.ArrayType).itemsType, path, false);
        return items && ((v, leaf) => (Array.isArray(v) ? v.map((x) => items(x, leaf)) : v));
      }
      case 'map': {
        const values = compile((t as avsc.types.MapType).valuesType, path, false);
        return (
          values &&
          ((v, leaf) => {
            if (v === null || typeof v !== 'object') return v;
            const out: Record<string, unknown> = {};
            for (const k of Object.keys(v)) setOwn(out, k, values((v as Record<string, unknown>)[k], leaf));
            return out;
          })
        );
      }
      case 'union:unwrapped':
        return compileUnwrapped(t as avsc.types.UnwrappedUnionType, path);
      case 'union:wrapped':
        return compileWrapped(t as avsc.types.WrappedUnionType, path);
      default: {
        const underlying = (t as any).underlyingType as avsc.Type | undefined;
        if (underlying) return compile(underlying, path, inUnion);
        if (path && !inUnion) unsupported(path, name);
        return undefined;
      }
    }
  };

  const compileRecord = (t: avsc.types.RecordType): ValueTransform | undefined => {
    const key = '';
    let byPath = memo.get(t);
    if (!byPath) memo.set(t, (byPath = new Map()));
    const existing = byPath.get(key);
    if (existing) {
      if (existing.done) return existing.fn;
      // Recursive type: defer to the holder filled once compilation of t ends.
      return (v, leaf) => (existing.fn ? existing.fn(v, leaf) : v);
    }
    const holder: Holder = { fn: undefined, done: false };
    byPath.set(key, holder);
    const fields: { name: string; fn: ValueTransform }[] = [];
    for (const f of t.fields) {
      const full = `${t.name}.${f.name}`;
      const fn = compile(f.type, selects(full) ? full : undefined, false);
      if (fn) fields.push({ name: f.name, fn });
    }
    if (fields.length > 0) {
      holder.fn = (v, leaf) => {
        if (v === null || typeof v !== 'object') return v;
        const src = v as Record<string, unknown>;
        const out: Record<string, unknown> = { ...src };
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!;
          setOwn(out, f.name, f.fn(src[f.name], leaf));
        }
        return out;
      };
    }
    holder.done = true;
    return holder.fn;
  };

  const bucketOf = (t: avsc.Type): Bucket | undefined => {
    const underlying = (t as any).underlyingType as avsc.Type | undefined;
    const n = (underlying ?? t).typeName;
    if (n === 'string') return 'string';
    if (n === 'bytes') return 'bytes';
    if (n === 'record' || n === 'error' || n === 'map') return 'object';
    if (n === 'array') return 'array';
    return undefined;
  };

  /** True when a value of `t` can hold a string or bytes value (the leaves a rule encrypts). */
  const holdsEncryptable = (t: avsc.Type): boolean => {
    const u = ((t as any).underlyingType as avsc.Type | undefined) ?? t;
    switch (u.typeName) {
      case 'string':
      case 'bytes':
        return true;
      case 'array':
        return holdsEncryptable((u as avsc.types.ArrayType).itemsType);
      case 'map':
        return holdsEncryptable((u as avsc.types.MapType).valuesType);
      case 'union:unwrapped':
      case 'union:wrapped':
        return (u as avsc.types.UnwrappedUnionType).types.some(holdsEncryptable);
      default:
        return false;
    }
  };

  /** A tagged union none of whose non-null branches can hold a string/bytes value. */
  const checkUnion = (t: avsc.types.UnwrappedUnionType | avsc.types.WrappedUnionType, path: string | undefined): void => {
    if (!path || holdsEncryptable(t)) return;
    const branches = t.types.filter((b) => b.typeName !== 'null');
    if (branches.length > 0) unsupported(path, `union of ${branches.map((b) => b.typeName).join(', ')}`);
  };

  const compileUnwrapped = (t: avsc.types.UnwrappedUnionType, path: string | undefined): ValueTransform | undefined => {
    checkUnion(t, path);
    const byBucket: Partial<Record<Bucket, ValueTransform>> = {};
    let any = false;
    for (const branch of t.types) {
      const bucket = bucketOf(branch);
      if (!bucket) continue;
      const fn = compile(branch, path, true);
      if (fn) {
        byBucket[bucket] = fn;
        any = true;
      }
    }
    if (!any) return undefined;
    return (v, leaf) => {
      if (v === null || v === undefined) return v;
      const bucket: Bucket | undefined =
        typeof v === 'string' ? 'string' : Buffer.isBuffer(v) ? 'bytes' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : undefined;
      const fn = bucket && byBucket[bucket];
      return fn ? fn(v, leaf) : v;
    };
  };

  const compileWrapped = (t: avsc.types.WrappedUnionType, path: string | undefined): ValueTransform | undefined => {
    checkUnion(t, path);
    const byBranch = new Map<string, ValueTransform>();
    for (const branch of t.types) {
      const fn = compile(branch, path, true);
      const branchName = (branch as any).branchName as string | undefined;
      if (fn && branchName) byBranch.set(branchName, fn);
    }
    if (byBranch.size === 0) return undefined;
    return (v, leaf) => {
      if (v === null || typeof v !== 'object') return v;
      const keys = Object.keys(v);
      if (keys.length !== 1) return v;
      const k = keys[0]!;
      const fn = byBranch.get(k);
      if (!fn) return v;
      const out: Record<string, unknown> = {};
      setOwn(out, k, fn((v as Record<string, unknown>)[k], leaf));
      return out;
    };
  };

  const transform = compile(type, undefined, false);
  return { transform, fieldPaths, ...(unsupportedPaths.length > 0 ? { unsupported: unsupportedPaths } : {}) };
}
