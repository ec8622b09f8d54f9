/**
 * The `.proto` parser against ground truth: descriptors `protoc` 3.21.12 produced from the same
 * files (test/protobuf/fixtures/protoc-descriptors.json, regenerated with the command stored
 * there). Messages, nesting order (map entries included), fields (number, label, type, resolved
 * type name, oneof, proto3 optional, json name, defaults, packed), enums, imports and the
 * `(confluent.field_meta)` tags must all agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary, getExtension, hasExtension, isFieldSet } from '@bufbuild/protobuf';
import {
  FieldDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { FIELD_META } from '../../src/protobuf/builtins';
import { parseProtobufSchema } from '../../src/protobuf/schema';

const dir = join(__dirname, 'fixtures');
const text = (f: string): string => readFileSync(join(dir, f), 'utf8');
const sets = (JSON.parse(text('protoc-descriptors.json')) as { sets: Record<string, string> }).sets;

function protocFile(set: string, name: string): FileDescriptorProto {
  const fds = fromBinary(FileDescriptorSetSchema, Buffer.from(sets[set]!, 'base64'));
  return fds.file.find((f) => f.name === name)!;
}

function enumView(e: EnumDescriptorProto): unknown {
  return { name: e.name, values: e.value.map((v) => [v.name, v.number]) };
}

function messageView(m: DescriptorProto): unknown {
  return {
    name: m.name,
    mapEntry: m.options?.mapEntry ?? false,
    oneofs: m.oneofDecl.map((o) => o.name),
    fields: m.field.map((f) => ({
      name: f.name,
      number: f.number,
      label: f.label,
      type: f.type,
      typeName: f.typeName,
      oneofIndex: isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) ? f.oneofIndex : undefined,
      proto3Optional: f.proto3Optional,
      jsonName: f.jsonName,
      defaultValue: f.defaultValue,
      packed: f.options?.packed,
      tags: f.options && hasExtension(f.options, FIELD_META) ? (getExtension(f.options, FIELD_META) as { tags: string[] }).tags : [],
    })),
    nested: m.nestedType.map(messageView),
    enums: m.enumType.map(enumView),
  };
}

function fileView(f: FileDescriptorProto): unknown {
  return {
    package: f.package,
    syntax: f.syntax === 'proto2' ? '' : f.syntax,
    dependency: f.dependency,
    publicDependency: f.publicDependency,
    messages: f.messageType.map(messageView),
    enums: f.enumType.map(enumView),
  };
}

describe('.proto parser agrees with protoc', () => {
  it('common/address.proto', () => {
    const ours = parseProtobufSchema(text('common/address.proto')).file.proto;
    expect(fileView(ours)).toEqual(fileView(protocFile('address', 'common/address.proto')));
  });

  it('everything.proto (proto3: maps, oneofs, optional, nested, imports, enums with aliases, options)', () => {
    const parsed = parseProtobufSchema(text('everything.proto'), [{ name: 'common/address.proto', schema: text('common/address.proto') }]);
    const view = fileView(parsed.file.proto) as { messages: { fields: { tags: string[] }[] }[] };
    expect(view).toEqual(fileView(protocFile('everything', 'everything.proto')));
    // Sanity: the comparison saw the tags.
    expect(view.messages[0]!.fields[1]!.tags).toEqual(['PII', 'GDPR']);
    // Tags collected across the schema and its import, by field full name.
    expect([...parsed.inlineTags.keys()].sort()).toEqual([
      'acme.shop.v1.Order.Card.number',
      'acme.shop.v1.Order.Line.Discount.code',
      'acme.shop.v1.Order.card_token',
      'acme.shop.v1.Order.coupon',
      'acme.shop.v1.Order.customer_name',
      'acme.shop.v1.Order.iban',
      'acme.shop.v1.Order.notes',
      'common.geo.Address.street',
    ]);
  });

  it('legacy.proto (proto2: required, defaults, groups of oneof, extensions)', () => {
    const ours = parseProtobufSchema(text('legacy.proto')).file.proto;
    expect(fileView(ours)).toEqual(fileView(protocFile('legacy', 'legacy.proto')));
  });
});
