/**
 * Parses a Protobuf schema — `.proto` text, or a base64 serialized `FileDescriptorProto` as
 * Confluent's JS client registers it — with its references into `@bufbuild/protobuf`
 * descriptors; collects inline tags (`(confluent.field_meta).tags`); maps messages to and from
 * Confluent's message indexes.
 *
 * @packageDocumentation
 */
import { createFileRegistry, fromBinary, getOption, hasOption, isFieldSet, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import { FieldDescriptorProtoSchema, FileDescriptorProtoSchema, type DescriptorProto, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { SchemaRegistryError } from '../errors';
import type { NamedSchema, ParsedSchemaBase } from '../rules/schema-format';
import { builtinFile, FIELD_META } from './builtins';
import { parseProto } from './parser';
import { protoError } from './tokenizer';

/** Most message indexes accepted in a record's prefix (nesting of the record's message type). */
export const MAX_MESSAGE_INDEXES = 32;

/** A parsed Protobuf schema. */
export interface ParsedProtobufSchema extends ParsedSchemaBase {
  /** The schema's file. */
  readonly file: DescFile;
  /** Messages of the file (and nested ones) by full name. */
  readonly messages: ReadonlyMap<string, DescMessage>;
  /** Confluent message indexes of a message of this file, encoded (`[0]` is the single byte `00`). */
  indexesOf(message: DescMessage): Buffer;
  /** The message at `indexes` (path from the file's top level). Undefined when out of range. */
  messageAt(indexes: readonly number[]): DescMessage | undefined;
}

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/** Reads schema text: `.proto` text, or base64 of a serialized `FileDescriptorProto`. */
function toFileProto(text: string, name: string): FileDescriptorProto {
  if (!text.includes(';') && BASE64.test(text)) {
    let proto: FileDescriptorProto;
    try {
      proto = fromBinary(FileDescriptorProtoSchema, Buffer.from(text, 'base64'));
    } catch {
      throw protoError('neither .proto text nor a serialized FileDescriptorProto');
    }
    proto.name = name;
    return proto;
  }
  return parseProto(text, name);
}

/**
 * The full name of the first message of schema text, read without resolving imports (record
 * subject name strategies); `undefined` when the text does not parse or has no message.
 */
export function firstMessageName(schema: string): string | undefined {
  try {
    const proto = toFileProto(schema, 'schema.proto');
    const first = proto.messageType[0];
    if (!first) return undefined;
    return proto.package ? `${proto.package}.${first.name}` : first.name;
  } catch {
    return undefined;
  }
}

type Symbols = Map<string, 'message' | 'enum'>;

function collectSymbols(file: FileDescriptorProto, into: Symbols): void {
  const prefix = file.package ? `.${file.package}` : '';
  const walk = (m: DescriptorProto, scope: string): void => {
    const name = `${scope}.${m.name}`;
    into.set(name, 'message');
    for (const e of m.enumType) into.set(`${name}.${e.name}`, 'enum');
    for (const n of m.nestedType) walk(n, name);
  };
  for (const e of file.enumType) into.set(`${prefix}.${e.name}`, 'enum');
  for (const m of file.messageType) walk(m, prefix);
}

/** Qualifies relative type names (`Foo`, `pkg.Foo`) and sets message/enum field types. */
function resolveTypeNames(file: FileDescriptorProto, symbols: Symbols): void {
  const prefix = file.package ? `.${file.package}` : '';
  const walk = (m: DescriptorProto, parentScope: string): void => {
    const scope = `${parentScope}.${m.name}`;
    for (const f of m.field) {
      if (!f.typeName) continue;
      let resolved: string | undefined;
      if (f.typeName.startsWith('.')) resolved = symbols.has(f.typeName) ? f.typeName : undefined;
      else {
        for (let s = scope; resolved === undefined; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
          const candidate = `${s}.${f.typeName}`;
          if (symbols.has(candidate)) resolved = candidate;
          if (s === '') break;
        }
      }
      if (resolved === undefined) throw protoError(`type ${f.typeName} of field ${scope.slice(1)}.${f.name} is not defined or imported`);
      f.typeName = resolved;
      if (!isFieldSet(f, FieldDescriptorProtoSchema.field.type)) f.type = symbols.get(resolved) === 'enum' ? 14 : 11;
    }
    for (const n of m.nestedType) walk(n, scope);
  };
  for (const m of file.messageType) walk(m, prefix);
}

/** Parses a schema and its references (dependencies first, by import path). */
export function parseProtobufSchema(schema: string, references: readonly NamedSchema[] = []): ParsedProtobufSchema {
  try {
    const files = new Map<string, DescFile>();
    const resolver = (name: string): DescFile | undefined => builtinFile(name) ?? files.get(name);
    const build = (proto: FileDescriptorProto): DescFile => {
      const symbols: Symbols = new Map();
      collectSymbols(proto, symbols);
      const seen = new Set<string>();
      const addDeps = (names: readonly string[]): void => {
        for (const d of names) {
          if (seen.has(d)) continue;
          seen.add(d);
          const dep = resolver(d);
          if (!dep) throw protoError(`import "${d}" is neither a schema reference nor a built-in file`);
          collectSymbols(dep.proto, symbols);
          addDeps(dep.proto.dependency);
        }
      };
      addDeps(proto.dependency);
      resolveTypeNames(proto, symbols);
      const registry = createFileRegistry(proto, (name) => resolver(name));
      return registry.getFile(proto.name)!;
    };
    for (const ref of references) {
      if (builtinFile(ref.name)) continue;
      const proto = toFileProto(ref.schema, ref.name);
      files.set(ref.name, build(proto));
    }
    const rootName = 'kafka-csfle-schema.proto';
    const file = build(toFileProto(schema, files.has(rootName) ? `${rootName}.root` : rootName));
    return describe(file);
  } catch (err) {
    if (err instanceof SchemaRegistryError) throw err;
    throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Invalid Protobuf schema: ${(err as Error).message}`);
  }
}

function describe(file: DescFile): ParsedProtobufSchema {
  const messages = new Map<string, DescMessage>();
  const inlineTags = new Map<string, Set<string>>();
  const seenFiles = new Set<DescFile>();
  const tagFile = (f: DescFile): void => {
    if (seenFiles.has(f)) return;
    seenFiles.add(f);
    const walk = (m: DescMessage): void => {
      for (const field of m.fields) {
        if (!hasOption(field, FIELD_META)) continue;
        const tags = (getOption(field, FIELD_META) as { tags?: string[] }).tags ?? [];
        if (tags.length > 0) inlineTags.set(`${m.typeName}.${field.name}`, new Set(tags));
      }
      for (const n of m.nestedMessages) walk(n);
    };
    for (const m of f.messages) walk(m);
    for (const d of f.dependencies) tagFile(d);
  };
  tagFile(file);
  const addMessages = (m: DescMessage): void => {
    messages.set(m.typeName, m);
    for (const n of m.nestedMessages) addMessages(n);
  };
  for (const m of file.messages) addMessages(m);

  const indexCache = new Map<DescMessage, Buffer>();
  const topLevel = file.proto.messageType.map((m) => messages.get(file.proto.package ? `${file.proto.package}.${m.name}` : m.name));
  return {
    file,
    messages,
    inlineTags,
    recordFullName: file.messages[0]?.typeName,
    indexesOf(message) {
      let cached = indexCache.get(message);
      if (!cached) {
        const path: number[] = [];
        for (let m: DescMessage | undefined = message; m; m = m.parent) {
          const siblings = m.parent ? m.parent.proto.nestedType : m.file.proto.messageType;
          path.unshift(siblings.findIndex((s) => s.name === m!.name));
        }
        cached = encodeIndexes(path);
        indexCache.set(message, cached);
      }
      return cached;
    },
    messageAt(indexes) {
      // The common case: a top-level message (`[0]`, `[1]`, ...), without building its name.
      if (indexes.length === 1) return topLevel[indexes[0]!];
      let list: readonly DescriptorProto[] = file.proto.messageType;
      let name = file.proto.package;
      for (const i of indexes) {
        const m = list[i];
        if (!m) return undefined;
        name = name ? `${name}.${m.name}` : m.name;
        list = m.nestedType;
      }
      return messages.get(name);
    },
  };
}

/** Zigzag varint encoding of Confluent's message-index array (`[0]` → `00`). */
export function encodeIndexes(path: readonly number[]): Buffer {
  if (path.length === 1 && path[0] === 0) return Buffer.of(0);
  const out: number[] = [];
  const varint = (n: number): void => {
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 0x80) {
      out.push((z & 0x7f) | 0x80);
      z = Math.floor(z / 128);
    }
    out.push(z);
  };
  varint(path.length);
  for (const i of path) varint(i);
  return Buffer.from(out);
}

/** Reads one zigzag varint (at most 5 bytes). */
function readZigzag(buf: Buffer, pos: number): { value: number; pos: number } | undefined {
  let result = 0;
  for (let shift = 0, i = pos; i < buf.length && shift <= 28; shift += 7, i++) {
    const b = buf[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value: result % 2 === 0 ? result / 2 : -(result + 1) / 2, pos: i + 1 };
  }
  return undefined;
}

/** Decodes the message-index array at the start of `payload`; `undefined` when malformed. */
export function decodeIndexes(payload: Buffer): { indexes: number[]; length: number } | undefined {
  const count = readZigzag(payload, 0);
  if (!count || count.value < 0 || count.value > MAX_MESSAGE_INDEXES) return undefined;
  if (count.value === 0) return { indexes: [0], length: count.pos };
  const indexes: number[] = [];
  let pos = count.pos;
  for (let i = 0; i < count.value; i++) {
    const v = readZigzag(payload, pos);
    if (!v || v.value < 0) return undefined;
    indexes.push(v.value);
    pos = v.pos;
  }
  return { indexes, length: pos };
}
