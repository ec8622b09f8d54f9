/**
 * Checks the keys of a plain-object Protobuf record before `@bufbuild/protobuf`'s `create`,
 * which reads only the fields' `localName`s (lowerCamelCase) and silently drops every other key
 * — data loss on write. Accepted keys: a field's `localName`, its `.proto` name (`first_name`,
 * renamed to the `localName` in a copy), and a oneof group's `localName` with `{ case, value }`.
 * Anything else is `SERIALIZATION_FAILED` naming the key path (field names only, never values
 * or map keys). Per record it costs one key walk per plain object; message objects are trusted.
 *
 * @packageDocumentation
 */
import { isMessage, type DescField, type DescMessage, type DescOneof } from '@bufbuild/protobuf';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';
import { SerdeError } from '../errors';
import type { CodecContext } from '../rules/schema-format';

type Obj = Record<string, unknown>;

interface Member {
  readonly localName: string;
  readonly field: DescField | undefined;
  readonly oneof: DescOneof | undefined;
  /** The message `create` builds from a plain object in this field (see {@link nestedMessage}). */
  readonly nested: DescMessage | undefined;
}

interface Shape {
  /** Accepted key → member. */
  readonly keys: Map<string, Member>;
  /** Oneof member fields by `localName` or `.proto` name (not keys of the message). */
  readonly inOneof: Map<string, DescOneof>;
}

const shapes = new WeakMap<DescMessage, Shape>();

function shapeOf(desc: DescMessage): Shape {
  let shape = shapes.get(desc);
  if (shape) return shape;
  const keys = new Map<string, Member>();
  const inOneof = new Map<string, DescOneof>();
  for (const member of desc.members) {
    if (member.kind === 'oneof') {
      keys.set(member.localName, { localName: member.localName, field: undefined, oneof: member, nested: undefined });
      for (const f of member.fields) {
        inOneof.set(f.localName, member);
        inOneof.set(f.name, member);
      }
    } else {
      const m: Member = { localName: member.localName, field: member, oneof: undefined, nested: nestedMessage(member) };
      keys.set(member.localName, m);
      if (!keys.has(member.name)) keys.set(member.name, m);
    }
  }
  shapes.set(desc, (shape = { keys, inOneof }));
  return shape;
}

function isPlain(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !isMessage(v);
}

/** Where `create` builds a message from a plain object (not wrappers nor `Struct`, kept as given). */
function nestedMessage(field: DescField): DescMessage | undefined {
  const kind = field.fieldKind === 'list' ? field.listKind : field.fieldKind === 'map' ? field.mapKind : field.fieldKind;
  if (kind !== 'message' || !field.message) return undefined;
  if (field.fieldKind === 'message' && !field.oneof && isWrapperDesc(field.message)) return undefined;
  if (field.message.typeName === 'google.protobuf.Struct') return undefined;
  return field.message;
}

/**
 * Returns `value` itself when every key is a field's `localName`, else a copy with `.proto`
 * names renamed; throws on an unknown key.
 */
export function checkInitKeys(desc: DescMessage, value: Obj, path: string, ctx: CodecContext): Obj {
  const shape = shapeOf(desc);
  let out: Obj | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = value[key];
    if (v === undefined || key === '$typeName') continue;
    const member = shape.keys.get(key);
    if (!member) {
      const oneof = shape.inOneof.get(key);
      throw new SerdeError(
        'SERIALIZATION_FAILED',
        oneof
          ? `Key ${path}.${key} is a member of oneof '${oneof.localName}' of Protobuf message ${desc.typeName}: write { ${oneof.localName}: { case: '…', value } }`
          : `Key ${path}.${key} is not a field of Protobuf message ${desc.typeName} (would be dropped)`,
        ctx,
      );
    }
    const checked = member.oneof || member.nested ? checkMember(member, v, `${path}.${member.localName}`, ctx) : v;
    if (key !== member.localName) {
      out ??= { ...value };
      if (Object.prototype.hasOwnProperty.call(value, member.localName) && value[member.localName] !== undefined) {
        throw new SerdeError('SERIALIZATION_FAILED', `Keys ${path}.${key} and ${path}.${member.localName} name the same Protobuf field`, ctx);
      }
      delete out[key];
      out[member.localName] = checked;
    } else if (checked !== v) {
      out ??= { ...value };
      out[key] = checked;
    }
  }
  return out ?? value;
}

function checkMember(member: Member, v: unknown, path: string, ctx: CodecContext): unknown {
  if (member.oneof) {
    if (!isPlain(v) || v['case'] === undefined || v['case'] === null) return v;
    const name = v['case'];
    const field = member.oneof.fields.find((f) => f.localName === name || f.name === name);
    if (!field) throw new SerdeError('SERIALIZATION_FAILED', `Case ${String(name)} of ${path} is not a member of the oneof`, ctx);
    const inner = nestedMessage(field);
    const value = inner && isPlain(v['value']) ? checkInitKeys(inner, v['value'], `${path}.${field.localName}`, ctx) : v['value'];
    return field.localName === name && value === v['value'] ? v : { case: field.localName, value };
  }
  const inner = member.nested;
  if (!inner) return v;
  switch (member.field!.fieldKind) {
    case 'list': {
      if (!Array.isArray(v)) return v;
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const y = isPlain(x) ? checkInitKeys(inner, x, `${path}[${i}]`, ctx) : x;
        if (y !== x) (out ??= [...v])[i] = y;
      }
      return out ?? v;
    }
    case 'map': {
      if (!isPlain(v)) return v;
      let out: Obj | undefined;
      for (const k of Object.keys(v)) {
        const x = v[k];
        const y = isPlain(x) ? checkInitKeys(inner, x, `${path}[…]`, ctx) : x;
        if (y !== x) {
          out ??= { ...v };
          Object.defineProperty(out, k, { value: y, enumerable: true, writable: true, configurable: true });
        }
      }
      return out ?? v;
    }
    default:
      return isPlain(v) ? checkInitKeys(inner, v, path, ctx) : v;
  }
}
