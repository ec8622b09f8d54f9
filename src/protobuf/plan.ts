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

  const unsupported = (path: string, what: string): ValueTransform | undefined => {
    if (options.direction === 'READ' || ruleTags.length === 0) return undefined;
    return (v) => {
      if (v === null || v === undefined) return v;
      throw new RuleError('UNSUPPORTED_FIELD_TYPE', `Field of Protobuf type ${what} is tagged for encryption; only string and bytes can be encrypted`, { fieldPath: path });
    };
  };

  /** Transform of one value of the field's element type (scalar, enum or message). */
  const element = (kind: 'scalar' | 'enum' | 'message', field: DescField, scalar: ScalarType | undefined, message: DescMessage | undefined, path: string, selected: boolean): ValueTransform | undefined => {
    if (kind === 'message') return compileMessage(message!);
    if (!selected) return undefined;
    if (kind === 'scalar' && (scalar === ScalarType.STRING || scalar === ScalarType.BYTES)) return stringOrBytes(path, options.direction);
    return unsupported(path, kind === 'enum' ? 'enum' : ScalarType[scalar!]!.toLowerCase());
  };

  const compileField = (field: DescField, path: string, selected: boolean): ValueTransform | undefined => {
    switch (field.fieldKind) {
      case 'scalar':
        return element('scalar', field, field.scalar, undefined, path, selected);
      case 'enum':
        return element('enum', field, undefined, undefined, path, selected);
      case 'message':
        return element('message', field, undefined, field.message, path, selected);
      case 'list': {
        const fn = element(field.listKind, field, field.listKind === 'scalar' ? field.scalar : undefined, field.listKind === 'message' ? field.message : undefined, path, selected);
        return fn && ((v, leaf) => (Array.isArray(v) ? v.map((x) => fn(x, leaf)) : v));
      }
      case 'map': {
        const fn = element(field.mapKind, field, field.mapKind === 'scalar' ? field.scalar : undefined, field.mapKind === 'message' ? field.message : undefined, path, selected);
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
  if (byType.size === 0) return { transform: undefined, fieldPaths };
  return {
    transform: (v, leaf) => {
      const fn = v !== null && typeof v === 'object' ? byType.get((v as Obj)['$typeName'] as string) : undefined;
      return fn ? fn(v, leaf) : v;
    },
    fieldPaths,
  };
}
