/**
 * Parses `.proto` schema text (proto2 / proto3; not editions) into a `FileDescriptorProto`
 * for `@bufbuild/protobuf` — no code is generated or evaluated. Type names are left as written;
 * {@link resolveTypeNames} qualifies them once the imported files are known. Field options
 * kept: `(confluent.field_meta)` (tags, params, doc), `packed`, `json_name`, `default`,
 * `deprecated`; other options are ignored. Maps become `<Name>Entry` nested types, proto3
 * `optional` fields get their synthetic oneof, as `protoc` does.
 *
 * @packageDocumentation
 */
import { create, setExtension } from '@bufbuild/protobuf';
import {
  DescriptorProtoSchema,
  EnumDescriptorProtoSchema,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { FIELD_META, META_MESSAGE } from './builtins';
import { MAX_PROTO_NESTING, ProtoReader, type OptionValue } from './syntax';
import { protoError } from './tokenizer';

const SCALARS: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
  bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};
const LABELS: Record<string, number> = { optional: 1, required: 2, repeated: 3 };


interface Meta {
  tags: string[];
  params: Record<string, string>;
  doc: string;
}

function camel(name: string, upperFirst: boolean): string {
  let out = '';
  let cap = upperFirst;
  for (const c of name) {
    if (c === '_') cap = true;
    else if (cap) {
      out += c.toUpperCase();
      cap = false;
    } else out += c;
  }
  return out;
}


function asStrings(v: OptionValue | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

/** Applies `(confluent.field_meta)` options to `meta`. Returns false for other options. */
function applyMeta(meta: Meta, name: string, value: OptionValue): boolean {
  if (!name.startsWith('(confluent.field_meta)')) return false;
  const rest = name.slice('(confluent.field_meta)'.length);
  const params = (v: OptionValue | undefined): void => {
    for (const p of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      if (p !== null && typeof p === 'object' && !Array.isArray(p)) meta.params[String(p['key'] ?? '')] = String(p['value'] ?? '');
    }
  };
  if (rest === '' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    meta.tags.push(...asStrings(value['tags']));
    if (value['doc'] !== undefined) meta.doc = String(value['doc']);
    params(value['params']);
  } else if (rest === '.tags') meta.tags.push(...asStrings(value));
  else if (rest === '.doc') meta.doc = String(value);
  else if (rest === '.params') params(value);
  return true;
}

/** protoc's C escaping of a bytes default value (printable ASCII kept, the rest octal). */
function cEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '"' || ch === "'" || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else out += `\\${(c & 0xff).toString(8).padStart(3, '0')}`;
  }
  return out;
}

interface Scope {
  readonly proto3: boolean;
}

function parseFieldOptions(p: ProtoReader, field: FieldDescriptorProto): void {
  if (!p.accept('[')) return;
  const meta: Meta = { tags: [], params: {}, doc: '' };
  let hasMeta = false;
  const options = create(FieldOptionsSchema);
  let hasOptions = false;
  do {
    const name = p.optionName();
    p.expect('=');
    const value = p.optionValue();
    if (applyMeta(meta, name, value)) hasMeta = true;
    else if (name === 'packed') {
      options.packed = value === true;
      hasOptions = true;
    } else if (name === 'deprecated') {
      options.deprecated = value === true;
      hasOptions = true;
    } else if (name === 'json_name') field.jsonName = String(value);
    else if (name === 'default') field.defaultValue = field.type === 12 ? cEscape(String(value)) : String(value);
  } while (p.accept(','));
  p.expect(']');
  if (hasMeta) {
    setExtension(options, FIELD_META, create(META_MESSAGE, meta as unknown as Record<string, unknown>) as never);
    hasOptions = true;
  }
  if (hasOptions) field.options = options;
}

function newField(name: string, number: number, label: number, typeName: string): FieldDescriptorProto {
  const scalar = SCALARS[typeName];
  return create(FieldDescriptorProtoSchema, {
    name,
    number,
    label,
    jsonName: camel(name, false),
    ...(scalar !== undefined ? { type: scalar } : { typeName }),
  });
}

function parseEnum(p: ProtoReader): EnumDescriptorProto {
  const e = create(EnumDescriptorProtoSchema, { name: p.ident() });
  p.expect('{');
  while (!p.accept('}')) {
    if (p.accept(';')) continue;
    if (p.is('option') || p.is('reserved')) {
      p.skipStatement();
      continue;
    }
    const name = p.ident();
    p.expect('=');
    const number = p.int();
    if (p.accept('[')) {
      while (!p.accept(']')) p.next();
    }
    p.expect(';');
    e.value.push({ $typeName: 'google.protobuf.EnumValueDescriptorProto', name, number } as never);
  }
  return e;
}

function parseMessage(p: ProtoReader, scope: Scope, depth: number): DescriptorProto {
  if (depth > MAX_PROTO_NESTING) throw protoError(`messages nested deeper than ${MAX_PROTO_NESTING}`);
  const msg = create(DescriptorProtoSchema, { name: p.ident() });
  p.expect('{');
  const synthetic: FieldDescriptorProto[] = [];
  const parseField = (label: number | undefined, oneofIndex: number | undefined): void => {
    const line = p.peek()?.line;
    if (p.is('map') && p.is('<', 1)) {
      p.next();
      p.expect('<');
      const keyType = p.fullIdent();
      p.expect(',');
      const valueType = p.fullIdent();
      p.expect('>');
      const name = p.ident();
      p.expect('=');
      const number = p.int();
      const entryName = `${camel(name, true)}Entry`;
      const field = newField(name, number, 3, entryName);
      parseFieldOptions(p, field);
      p.expect(';');
      msg.nestedType.push(
        create(DescriptorProtoSchema, {
          name: entryName,
          field: [newField('key', 1, 1, keyType), newField('value', 2, 1, valueType)],
          options: { mapEntry: true },
        }),
      );
      msg.field.push(field);
      return;
    }
    const typeName = p.fullIdent();
    if (typeName === 'group') throw protoError('proto2 groups are not supported', line);
    const name = p.ident();
    p.expect('=');
    const number = p.int();
    const field = newField(name, number, label ?? 1, typeName);
    if (oneofIndex !== undefined) field.oneofIndex = oneofIndex;
    parseFieldOptions(p, field);
    p.expect(';');
    if (scope.proto3 && label === 1 && oneofIndex === undefined) {
      field.proto3Optional = true;
      synthetic.push(field);
    }
    msg.field.push(field);
  };
  while (!p.accept('}')) {
    if (p.accept(';')) continue;
    const t = p.peek()!;
    if (p.is('message')) {
      p.next();
      msg.nestedType.push(parseMessage(p, scope, depth + 1));
    } else if (p.is('enum')) {
      p.next();
      msg.enumType.push(parseEnum(p));
    } else if (p.is('oneof')) {
      p.next();
      const index = msg.oneofDecl.length;
      msg.oneofDecl.push({ $typeName: 'google.protobuf.OneofDescriptorProto', name: p.ident() } as never);
      p.expect('{');
      while (!p.accept('}')) {
        if (p.accept(';')) continue;
        if (p.is('option')) p.skipStatement();
        else parseField(1, index);
      }
    } else if (p.is('option') || p.is('reserved') || p.is('extensions')) {
      p.skipStatement();
    } else if (p.is('extend')) {
      p.next();
      p.fullIdent();
      p.skipBlock();
    } else if (t.kind === 'ident' && LABELS[t.text] !== undefined && !p.is('=', 2)) {
      p.next();
      parseField(LABELS[t.text], undefined);
    } else {
      parseField(scope.proto3 ? undefined : 1, undefined);
    }
  }
  for (const field of synthetic) {
    field.oneofIndex = msg.oneofDecl.length;
    msg.oneofDecl.push({ $typeName: 'google.protobuf.OneofDescriptorProto', name: `_${field.name}` } as never);
  }
  return msg;
}

/** Parses `.proto` text into an unresolved `FileDescriptorProto` named `fileName`. */
export function parseProto(text: string, fileName: string): FileDescriptorProto {
  const p = new ProtoReader(text);
  const file = create(FileDescriptorProtoSchema, { name: fileName });
  let proto3 = false;
  while (!p.done) {
    if (p.accept(';')) continue;
    const t = p.next();
    if (t.kind !== 'ident') throw protoError(`unexpected "${t.text}"`, t.line);
    switch (t.text) {
      case 'syntax': {
        p.expect('=');
        const syntax = p.str();
        if (syntax !== 'proto2' && syntax !== 'proto3') throw protoError(`unknown syntax "${syntax}"`, t.line);
        proto3 = syntax === 'proto3';
        if (proto3) file.syntax = 'proto3';
        p.expect(';');
        break;
      }
      case 'edition':
        throw protoError('Protobuf editions are not supported (proto2 and proto3 are)', t.line);
      case 'package':
        file.package = p.fullIdent();
        p.expect(';');
        break;
      case 'import': {
        const kind = p.accept('public') ? 'public' : p.accept('weak') ? 'weak' : '';
        const path = p.str();
        p.expect(';');
        if (kind === 'public') file.publicDependency.push(file.dependency.length);
        if (kind === 'weak') file.weakDependency.push(file.dependency.length);
        file.dependency.push(path);
        break;
      }
      case 'option':
        p.optionName();
        p.expect('=');
        p.optionValue();
        p.expect(';');
        break;
      case 'message':
        file.messageType.push(parseMessage(p, { proto3 }, 1));
        break;
      case 'enum':
        file.enumType.push(parseEnum(p));
        break;
      case 'service':
        p.ident();
        p.skipBlock();
        break;
      case 'extend':
        p.fullIdent();
        p.skipBlock();
        break;
      default:
        throw protoError(`unexpected "${t.text}"`, t.line);
    }
  }
  return file;
}
