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
import { protoError, tokenize, type Token } from './tokenizer';

/** Deepest message nesting accepted. */
export const MAX_PROTO_NESTING = 32;

const SCALARS: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
  bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};
const LABELS: Record<string, number> = { optional: 1, required: 2, repeated: 3 };

/** An option value: scalar (string / number / identifier), list, or text-format aggregate. */
type OptionValue = string | number | boolean | OptionValue[] | { [k: string]: OptionValue };

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

class Parser {
  readonly #t: Token[];
  #i = 0;

  constructor(text: string) {
    this.#t = tokenize(text);
  }

  get done(): boolean {
    return this.#i >= this.#t.length;
  }

  peek(offset = 0): Token | undefined {
    return this.#t[this.#i + offset];
  }

  next(): Token {
    const t = this.#t[this.#i++];
    if (!t) throw protoError('unexpected end of schema text');
    return t;
  }

  is(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && (t.kind === 'sym' || t.kind === 'ident') && t.text === text;
  }

  accept(sym: string): boolean {
    if (this.is(sym)) {
      this.#i++;
      return true;
    }
    return false;
  }

  expect(sym: string): void {
    const t = this.next();
    if (t.text !== sym || (t.kind !== 'sym' && t.kind !== 'ident')) throw protoError(`expected "${sym}", found "${t.text}"`, t.line);
  }

  ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw protoError(`expected a name, found "${t.text}"`, t.line);
    return t.text;
  }

  /** `a.b.c` or `.a.b.c`. */
  fullIdent(): string {
    let out = this.accept('.') ? '.' : '';
    out += this.ident();
    while (this.accept('.')) out += '.' + this.ident();
    return out;
  }

  str(): string {
    const t = this.next();
    if (t.kind !== 'str') throw protoError(`expected a string, found "${t.text}"`, t.line);
    let s = t.text;
    while (this.peek()?.kind === 'str') s += this.next().text;
    return s;
  }

  int(): number {
    const neg = this.accept('-');
    const t = this.next();
    if (t.kind !== 'int') throw protoError(`expected an integer, found "${t.text}"`, t.line);
    const v = /^0[xX]/.test(t.text) ? parseInt(t.text, 16) : /^0[0-7]+$/.test(t.text) ? parseInt(t.text, 8) : Number(t.text);
    if (!Number.isSafeInteger(v)) throw protoError(`integer out of range: ${t.text}`, t.line);
    return neg ? -v : v;
  }

  /** Skips a balanced `{ ... }` block (services, extend). */
  skipBlock(): void {
    this.expect('{');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'sym' && t.text === '{') depth++;
      else if (t.kind === 'sym' && t.text === '}') depth--;
    }
  }

  /** Skips to the end of a statement (`;`). */
  skipStatement(): void {
    while (!this.accept(';')) this.next();
  }

  /** An option name: `a`, `a.b`, `(a.b).c.d`, normalized (no leading dot inside parentheses). */
  optionName(): string {
    let name = '';
    for (;;) {
      if (this.accept('(')) {
        name += `(${this.fullIdent().replace(/^\./, '')})`;
        this.expect(')');
      } else {
        name += this.ident();
      }
      if (!this.accept('.')) return name;
      name += '.';
    }
  }

  /** A constant, list or aggregate option value. */
  optionValue(depth = 0): OptionValue {
    if (depth > MAX_PROTO_NESTING) throw protoError('option value nested too deeply');
    if (this.is('{') || this.is('<')) return this.aggregate(depth + 1);
    if (this.accept('[')) {
      const list: OptionValue[] = [];
      if (!this.accept(']')) {
        do list.push(this.optionValue(depth + 1));
        while (this.accept(','));
        this.expect(']');
      }
      return list;
    }
    const t = this.peek();
    if (t?.kind === 'str') return this.str();
    const sign = this.accept('-') ? -1 : (this.accept('+'), 1);
    const v = this.next();
    if (v.kind === 'int' || v.kind === 'float') return sign * Number(/^0[xX]/.test(v.text) ? parseInt(v.text, 16) : v.text);
    if (v.kind === 'ident') {
      if (v.text === 'true') return true;
      if (v.text === 'false') return false;
      if (v.text === 'inf' || v.text === 'nan') return sign * (v.text === 'inf' ? Infinity : NaN);
      return v.text;
    }
    throw protoError(`bad option value "${v.text}"`, v.line);
  }

  /** A text-format message `{ key: value ... }`; repeated keys collect into lists. */
  aggregate(depth: number): { [k: string]: OptionValue } {
    const close = this.accept('{') ? '}' : (this.expect('<'), '>');
    const out: { [k: string]: OptionValue } = Object.create(null) as { [k: string]: OptionValue };
    while (!this.accept(close)) {
      let key: string;
      if (this.accept('[')) {
        key = `[${this.fullIdent()}]`;
        this.expect(']');
      } else key = this.ident();
      this.accept(':');
      const value = this.optionValue(depth);
      const prev = out[key];
      out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, ...(Array.isArray(value) ? value : [value])] : [prev, ...(Array.isArray(value) ? value : [value])];
      if (!this.accept(',')) this.accept(';');
    }
    return out;
  }
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

function parseFieldOptions(p: Parser, field: FieldDescriptorProto): void {
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

function parseEnum(p: Parser): EnumDescriptorProto {
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

function parseMessage(p: Parser, scope: Scope, depth: number): DescriptorProto {
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
  const p = new Parser(text);
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
