/**
 * Compiles, once per (JSON Schema, rule), the transform that applies a {@link FieldLeaf} to
 * every tagged string of a record. It walks the schema as Confluent's clients do: `properties`
 * (each property is a field, path `$.<a>.<b>`), `items` (elements inherit the property's
 * field), `$ref` (local `#/…`, `$defs`/`definitions`, referenced schemas by name), type arrays
 * (`["string","null"]`: the branch of the value's type), `allOf` (every subschema), `oneOf`
 * (the first subschema the value validates against), `anyOf` (every matching subschema).
 *
 * Tags of a field: its property schema's `confluent:tags` (and those of the `$ref` chain it
 * names) ∪ `metadata.tags` patterns matching its path. A tag on an object-typed property does
 * not reach its children. Recursive schemas compile lazily, one level per use, up to
 * {@link MAX_JSON_DEPTH} properties deep. Transforms never mutate their input.
 *
 * @packageDocumentation
 */
import { RuleError } from '../errors';
import type { FieldLeaf } from '../rules/field-cipher';
import { setOwn, type FieldPlan, type PlanOptions, type ValueTransform } from '../rules/schema-format';
import type { TagResolver } from '../rules/tag-resolver';
import { fieldKinds } from './field-kinds';
import type { JsonNode, NodeLocation, ParsedJsonSchema } from './schema';

/** How many nested properties a plan follows in a recursive schema before failing the record. */
export const MAX_JSON_DEPTH = 64;

type Obj = { readonly [keyword: string]: unknown };

interface Field {
  readonly path: string;
  readonly selected: boolean;
}

function child(loc: NodeLocation, ...segments: (string | number)[]): NodeLocation {
  let node: unknown = loc.node;
  let pointer = loc.pointer;
  for (const s of segments) {
    node = (node as Record<string, unknown>)[s];
    pointer += '/' + encodeURIComponent(String(s).replace(/~/g, '~0').replace(/\//g, '~1'));
  }
  return { doc: loc.doc, pointer, node: node as JsonNode };
}

function isSchema(x: unknown): x is JsonNode {
  return typeof x === 'boolean' || (x !== null && typeof x === 'object' && !Array.isArray(x));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function matchesType(t: unknown, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isPlainObject(v);
    default:
      return false;
  }
}

/** The kind Confluent reads from a node's `type` (and `enum`/`const`/`properties`). */
function kindOf(s: Obj): 'record' | 'map' | 'array' | 'string' | 'scalar' | 'none' {
  const type = s['type'];
  const hasProps = isPlainObject(s['properties']) && Object.keys(s['properties']).length > 0;
  if (type === undefined) return hasProps ? 'record' : 'none';
  if (s['const'] !== undefined || s['enum'] !== undefined) return 'scalar';
  switch (type) {
    case 'object':
      return hasProps ? 'record' : 'map';
    case 'array':
      return 'array';
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
    case 'boolean':
      return 'scalar';
    default:
      return 'none';
  }
}

/** Compiles the plan of one rule over a parsed JSON Schema. */
export function compileJsonPlan(parsed: ParsedJsonSchema, tags: TagResolver, options: PlanOptions): FieldPlan {
  const ruleTags = options.ruleTags ?? [];
  const fieldPaths: string[] = [];

  const inlineTagsOf = (loc: NodeLocation): string[] => {
    const out: string[] = [];
    let cur: NodeLocation | undefined = loc;
    for (let hops = 0; cur && typeof cur.node === 'object' && hops < 32; hops++) {
      const t = cur.node['confluent:tags'];
      if (Array.isArray(t)) for (const x of t) out.push(String(x));
      const ref: unknown = cur.node['$ref'];
      cur = typeof ref === 'string' ? parsed.resolveRef(cur.doc, ref) : undefined;
    }
    return out;
  };

  const unsupportedPaths: string[] = [];
  /**
   * A tagged property none of whose kinds is a string (object, number, integer, boolean, enum,
   * untyped, or arrays of those — through `$ref` and combinators): produce fails closed at
   * compile time; a consumer reads such records (other clients write them in clear) and is
   * told once (see rule-steps). A rule without tags selects every string and skips the rest.
   */
  const checkField = (propLoc: NodeLocation, path: string): void => {
    const kinds = fieldKinds(parsed, propLoc);
    if (kinds.has('string')) return;
    kinds.delete('null');
    if (kinds.size === 0) return;
    if (options.direction === 'WRITE') {
      throw new RuleError(
        'UNSUPPORTED_FIELD_TYPE',
        `Field ${path} (JSON Schema ${[...kinds].join(' | ')}) is tagged [${ruleTags.join(', ')}] for encryption, but only string values can be encrypted: ` +
          'refusing to produce its contents in clear. Remove the tag from it, or tag the string properties inside it',
        { fieldPath: path },
      );
    }
    if (!unsupportedPaths.includes(path)) unsupportedPaths.push(path);
  };

  /** WRITE: a non-string value of a tagged property that also allows strings (`["string", "integer"]`). */
  const unsupported = (field: Field | undefined, kind: string): ValueTransform | undefined => {
    if (!field?.selected || options.direction === 'READ' || ruleTags.length === 0) return undefined;
    return (v) => {
      if (v === null || v === undefined) return v;
      throw new RuleError('UNSUPPORTED_FIELD_TYPE', `Field ${field.path} is tagged for encryption and holds a ${kind} value; only its string values can be encrypted`, {
        fieldPath: field.path,
      });
    };
  };

  /** Compiles lazily: for recursive schemas, one level per first use. */
  const lazy = (loc: NodeLocation, path: string, field: Field | undefined, depth: number): ValueTransform => {
    let fn: ValueTransform | undefined | null = null;
    return (v, leaf) => {
      if (fn === null) {
        if (depth > MAX_JSON_DEPTH) {
          throw new RuleError('RULE_FAILED', `Record nests deeper than ${MAX_JSON_DEPTH} properties in a recursive JSON Schema`, { fieldPath: path });
        }
        fn = compile(loc, path, field, depth, new Set());
      }
      return fn ? fn(v, leaf) : v;
    };
  };

  const compile = (loc: NodeLocation, path: string, field: Field | undefined, depth: number, stack: Set<JsonNode>): ValueTransform | undefined => {
    const s = loc.node;
    if (typeof s !== 'object') return undefined;
    if (stack.has(s)) return lazy(loc, path, field, depth);
    stack.add(s);
    try {
      return compileNode(loc, s, path, field, depth, stack);
    } finally {
      stack.delete(s);
    }
  };

  const compileProperties = (loc: NodeLocation, s: Obj, path: string, depth: number, stack: Set<JsonNode>): ValueTransform | undefined => {
    const props = s['properties'];
    if (!isPlainObject(props)) return undefined;
    const fields: { name: string; fn: ValueTransform }[] = [];
    for (const name of Object.keys(props)) {
      if (!isSchema(props[name])) continue;
      const propLoc = child(loc, 'properties', name);
      const fieldPath = `${path}.${name}`;
      const selected = tags.selects(ruleTags, fieldPath, inlineTagsOf(propLoc));
      if (selected && ruleTags.length > 0) checkField(propLoc, fieldPath);
      const fn = compile(propLoc, fieldPath, { path: fieldPath, selected }, depth + 1, stack);
      if (fn) fields.push({ name, fn });
    }
    if (fields.length === 0) return undefined;
    return (v, leaf) => {
      if (!isPlainObject(v)) return v;
      const out: Record<string, unknown> = { ...v };
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i]!;
        if (!Object.prototype.hasOwnProperty.call(v, f.name)) continue;
        const x = v[f.name];
        if (x !== null && x !== undefined) setOwn(out, f.name, f.fn(x, leaf));
      }
      return out;
    };
  };

  const compileItems = (loc: NodeLocation, s: Obj, path: string, field: Field | undefined, depth: number, stack: Set<JsonNode>): ValueTransform | undefined => {
    if (!isSchema(s['items'])) return undefined;
    const items = compile(child(loc, 'items'), path, field, depth, stack);
    return items && ((v, leaf) => (Array.isArray(v) ? v.map((x) => (x === null || x === undefined ? x : items(x, leaf))) : v));
  };

  const compileNode = (loc: NodeLocation, s: Obj, path: string, field: Field | undefined, depth: number, stack: Set<JsonNode>): ValueTransform | undefined => {
    const type = s['type'];
    if (Array.isArray(type) && type.length > 0) {
      const branches: { t: unknown; fn: ValueTransform | undefined }[] = type.map((t) => ({
        t,
        fn: compileNode({ ...loc, node: { ...s, type: t } }, { ...s, type: t }, path, field, depth, stack),
      }));
      if (branches.every((b) => !b.fn)) return undefined;
      return (v, leaf) => {
        for (const b of branches) if (matchesType(b.t, v)) return b.fn ? b.fn(v, leaf) : v;
        return v;
      };
    }
    const combinators = (['allOf', 'oneOf', 'anyOf'] as const).filter((k) => Array.isArray(s[k]) && (s[k] as unknown[]).length > 0);
    if (combinators.length > 0) {
      // Confluent visits allOf, else oneOf, else anyOf; then the sibling properties / items.
      const k = combinators[0]!;
      const subs = (s[k] as unknown[]).map((_, i) => child(loc, k, i));
      const fns = subs.map((sub) => compile(sub, path, field, depth, stack));
      const props = compileProperties(loc, s, path, depth, stack);
      const items = compileItems(loc, s, path, field, depth, stack);
      if (fns.every((f) => !f) && !props && !items) return undefined;
      const validators = k === 'allOf' || fns.every((f) => !f) ? [] : subs.map((sub) => parsed.validatorAt(sub));
      return (v, leaf) => {
        if (v === null || v === undefined) return v;
        let out: unknown = v;
        if (k === 'allOf') {
          for (const fn of fns) if (fn) out = fn(out, leaf);
        } else {
          for (let i = 0; i < fns.length; i++) {
            if (!validators[i]!(out)) continue;
            const fn = fns[i];
            if (fn) out = fn(out, leaf);
            if (k === 'oneOf') break;
          }
        }
        if (props && isPlainObject(out)) out = props(out, leaf);
        if (items && Array.isArray(out)) out = items(out, leaf);
        return out;
      };
    }
    const items = compileItems(loc, s, path, field, depth, stack);
    const ref = s['$ref'];
    const rest = typeof ref === 'string' ? compile(parsed.resolveRef(loc.doc, ref), path, field, depth, stack) : compileByKind(loc, s, path, field, depth, stack);
    if (!items) return rest;
    return (v, leaf) => (Array.isArray(v) ? items(v, leaf) : rest ? rest(v, leaf) : v);
  };

  const compileByKind = (loc: NodeLocation, s: Obj, path: string, field: Field | undefined, depth: number, stack: Set<JsonNode>): ValueTransform | undefined => {
    const kind = kindOf(s);
    if (kind !== 'string' && kind !== 'none') {
      const refuse = unsupported(field, kind === 'scalar' ? String(s['enum'] !== undefined || s['const'] !== undefined ? 'enum' : s['type']) : kind === 'record' || kind === 'map' ? 'object' : kind);
      if (refuse) return refuse;
    }
    switch (kind) {
      case 'record':
        return compileProperties(loc, s, path, depth, stack);
      case 'string': {
        if (!field?.selected) return undefined;
        const fieldPath = field.path;
        if (!fieldPaths.includes(fieldPath)) fieldPaths.push(fieldPath);
        return (v, leaf: FieldLeaf) => (typeof v === 'string' ? leaf(v, fieldPath) : v);
      }
      default:
        return undefined;
    }
  };

  const transform = compile(parsed.root, '$', undefined, 0, new Set());
  return { transform, fieldPaths, ...(unsupportedPaths.length > 0 ? { unsupported: unsupportedPaths } : {}) };
}
