/**
 * Compiles, once per (Protobuf schema, rule), the transform that applies a {@link FieldLeaf} to
 * every tagged `string` / `bytes` value of a message (`@bufbuild/protobuf` message objects):
 * in nested and imported messages, `oneof` members, repeated fields and map values (map keys
 * are never encrypted). Field full name: `<message full name>.<field name>`. A tag on a
 * message-typed field does not reach the nested message's fields (those carry their own).
 *
 * Transforms never mutate their input: they copy the messages along the transformed paths.
 *
 * @packageDocumentation
 */
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { RuleError } from '../errors';
import type { FieldLeaf } from '../rules/field-cipher';
import { setOwn, type FieldPlan, type PlanOptions, type ValueTransform } from '../rules/schema-format';
import type { TagResolver } from '../rules/tag-resolver';
import type { ParsedProtobufSchema } from './schema';

type Obj = Record<string, unknown>;

interface Holder {
  fn: ValueTransform | undefined;
  done: boolean;
}

/** A shallow copy that keeps the message's prototype (proto2 defaults live there). */
function copyMessage(v: Obj): Obj {
  return Object.assign(Object.create(Object.getPrototypeOf(v) as object | null) as Obj, v);
}

/** Compiles the plan of one rule over every message of a parsed schema (dispatch on `$typeName`). */
export function compileProtobufPlan(parsed: ParsedProtobufSchema, tags: TagResolver, options: PlanOptions): FieldPlan {
  const ruleTags = options.ruleTags ?? [];
  const fieldPaths: string[] = [];
  const memo = new Map<DescMessage, Holder>();

  const stringOrBytes = (path: string, direction: 'READ' | 'WRITE'): ValueTransform => {
    if (!fieldPaths.includes(path)) fieldPaths.push(path);
    return (v, leaf: FieldLeaf) => {
      if (typeof v === 'string') {
        // On read, a default-valued (empty) field was never written by an encrypting producer.
        return direction === 'READ' && v === '' ? v : leaf(v, path);
      }
      if (v instanceof Uint8Array) {
        if (direction === 'READ' && v.length === 0) return v;
        return leaf(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength), path);
      }
      return v;
    };
  };

  const unsupportedPaths: string[] = [];
  /**
   * A tagged field of a type that cannot be encrypted (message, enum, numeric, bool, or
   * repeated/map of those): produce fails closed at compile time; a consumer reads such records
   * (other clients write them in clear) and is told once (see rule-steps). A rule without tags
   * selects every string/bytes field and skips the rest.
   */
  const unsupported = (path: string, what: string): void => {
    if (ruleTags.length === 0) return;
    if (options.direction === 'WRITE') {
      throw new RuleError(
        'UNSUPPORTED_FIELD_TYPE',
        `Field ${path} (Protobuf ${what}) is tagged [${ruleTags.join(', ')}] for encryption, but only string and bytes values can be encrypted: ` +
          'refusing to produce its contents in clear. Remove the tag from it, or tag the string/bytes fields inside it',
        { fieldPath: path },
      );
    }
    if (!unsupportedPaths.includes(path)) unsupportedPaths.push(path);
  };

  /** Transform of one value of the field's element type (scalar, enum or message). */
  const element = (kind: 'scalar' | 'enum' | 'message', scalar: ScalarType | undefined, message: DescMessage | undefined, path: string, selected: boolean): ValueTransform | undefined => {
    if (kind === 'scalar' && (scalar === ScalarType.STRING || scalar === ScalarType.BYTES)) return selected ? stringOrBytes(path, options.direction) : undefined;
    if (selected) unsupported(path, kind === 'message' ? `message ${message!.typeName}` : kind === 'enum' ? 'enum' : ScalarType[scalar!]!.toLowerCase());
    return kind === 'message' ? compileMessage(message!) : undefined;
  };

  const compileField = (field: DescField, path: string, selected: boolean): ValueTransform | undefined => {
    switch (field.fieldKind) {
      case 'scalar':
        return element('scalar', field.scalar, undefined, path, selected);
      case 'enum':
        return element('enum', undefined, undefined, path, selected);
      case 'message':
        return element('message', undefined, field.message, path, selected);
      case 'list': {
        const fn = element(field.listKind, field.listKind === 'scalar' ? field.scalar : undefined, field.listKind === 'message' ? field.message : undefined, path, selected);
        return fn && ((v, leaf) => (Array.isArray(v) ? v.map((x) => fn(x, leaf)) : v));
      }
      case 'map': {
        const fn = element(field.mapKind, field.mapKind === 'scalar' ? field.scalar : undefined, field.mapKind === 'message' ? field.message : undefined, path, selected);
        return (
          fn &&
          ((v, leaf) => {
            if (v === null || typeof v !== 'object') return v;
            const out: Obj = {};
            for (const k of Object.keys(v)) setOwn(out, k, fn((v as Obj)[k], leaf));
            return out;
          })
        );
      }
    }
  };

  const compileMessage = (desc: DescMessage): ValueTransform | undefined => {
    const existing = memo.get(desc);
    if (existing) {
      if (existing.done) return existing.fn;
      return (v, leaf) => (existing.fn ? existing.fn(v, leaf) : v);
    }
    const holder: Holder = { fn: undefined, done: false };
    memo.set(desc, holder);
    const plain: { name: string; fn: ValueTransform }[] = [];
    const oneofs: { name: string; member: string; fn: ValueTransform }[] = [];
    for (const field of desc.fields) {
      const path = `${desc.typeName}.${field.name}`;
      const fn = compileField(field, path, tags.selects(ruleTags, path));
      if (!fn) continue;
      if (field.oneof) oneofs.push({ name: field.oneof.localName, member: field.localName, fn });
      else plain.push({ name: field.localName, fn });
    }
    if (plain.length > 0 || oneofs.length > 0) {
      holder.fn = (v, leaf) => {
        if (v === null || typeof v !== 'object') return v;
        const src = v as Obj;
        const out = copyMessage(src);
        for (let i = 0; i < plain.length; i++) {
          const f = plain[i]!;
          const x = src[f.name];
          if (x !== undefined && x !== null) out[f.name] = f.fn(x, leaf);
        }
        for (let i = 0; i < oneofs.length; i++) {
          const o = oneofs[i]!;
          const sel = src[o.name] as { case?: string; value?: unknown } | undefined;
          if (sel && sel.case === o.member && sel.value !== undefined) out[o.name] = { case: o.member, value: o.fn(sel.value, leaf) };
        }
        return out;
      };
    }
    holder.done = true;
    return holder.fn;
  };

  const byType = new Map<string, ValueTransform>();
  for (const [name, desc] of parsed.messages) {
    const fn = compileMessage(desc);
    if (fn) byType.set(name, fn);
  }
  const unsupportedList = unsupportedPaths.length > 0 ? { unsupported: unsupportedPaths } : {};
  if (byType.size === 0) return { transform: undefined, fieldPaths, ...unsupportedList };
  return {
    transform: (v, leaf) => {
      const fn = v !== null && typeof v === 'object' ? byType.get((v as Obj)['$typeName'] as string) : undefined;
      return fn ? fn(v, leaf) : v;
    },
    fieldPaths,
    ...unsupportedList,
  };
}
