/**
 * Protobuf fixtures for the interop tests and helpers to drive Confluent's Protobuf serdes next
 * to ours. Confluent's JS client registers and reads schemas as base64 serialized
 * `FileDescriptorProto`s; we hand it the same descriptor our parser builds from the `.proto`
 * text (the oracle is judged on the bytes it writes and reads).
 */
import { create, createMutableRegistry, toBinary, type DescMessage, type MutableRegistry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import {
  ProtobufDeserializer as CProtobufDeserializer,
  ProtobufSerializer as CProtobufSerializer,
  SerdeType,
  type ProtobufSerializerConfig,
} from '@confluentinc/schemaregistry';
import {
  ProtobufDeserializer,
  ProtobufSerializer,
  type Metadata,
  type ProtobufDeserializerOptions,
  type ProtobufSerializerOptions,
  type RuleSet,
  type SchemaInfo,
} from '../../src/index';
import { parseProtobufSchema, type ParsedProtobufSchema } from '../../src/protobuf/schema';
import { SECRET, type ConfluentSide, type OurSide } from './helpers';

/**
 * Top-level tags only for the fields Confluent's JS client 1.10.1 encrypts correctly (it writes
 * tagged fields of nested/repeated/map values in clear: see json-protobuf-format.md).
 */
export const customerProto = `
syntax = "proto3";
package acme.v1;

import "confluent/meta.proto";

message Customer {
  int64 id = 1;
  string name = 2 [(confluent.field_meta).tags = "PII"];
  bytes photo = 3 [(confluent.field_meta) = { tags: ["PII"] }];
  string ssn = 4;
  oneof contact {
    string phone = 5 [(confluent.field_meta).tags = "PII"];
    int32 extension = 6;
  }
  optional string nick = 7 [(confluent.field_meta).tags = "PII"];
  Address home = 8;
  repeated string labels = 9;
  map<string, int32> scores = 10;
  Tier tier = 11;
  string empty = 12 [(confluent.field_meta).tags = "PII"];

  message Address {
    string street = 1;
    string city = 2;
  }
  enum Tier { FREE = 0; GOLD = 1; }
}

message Audit {
  string actor = 1 [(confluent.field_meta).tags = "PII"];
  string action = 2;
}
`;

/** `ssn` is tagged through metadata only. */
export const customerMetadata: Metadata = { tags: { 'acme.v1.Customer.ssn': ['PII'] } };

export const customerRecords: Record<string, unknown>[] = [
  {
    id: 7n,
    name: 'Ada Lovelace',
    photo: new Uint8Array([0xff, 0xd8, 0xff, 0x00, 0x01]),
    ssn: '123-45-6789',
    contact: { case: 'phone', value: '+44 20 7946 0000' },
    nick: 'ada',
    home: { street: '1 Main St', city: 'London' },
    labels: ['vip', 'early'],
    scores: { maths: 99 },
    tier: 1,
  },
  { id: 8n, name: 'Bob', contact: { case: 'extension', value: 42 }, ssn: 'x' },
  { name: 'Ünïcødé ✓' },
];

export const auditRecord = { actor: 'Ada Lovelace', action: 'login' };

/** A parsed schema for building messages for Confluent's serializer. */
export function parsed(proto: string = customerProto): ParsedProtobufSchema {
  return parseProtobufSchema(proto, []);
}

/** Confluent's schema form: base64 serialized FileDescriptorProto. */
export function serializedSchema(proto: string = customerProto): string {
  return Buffer.from(toBinary(FileDescriptorProtoSchema, parsed(proto).file.proto)).toString('base64');
}

export function protoInfo(schema: string, ruleSet: RuleSet, metadata?: Metadata): SchemaInfo {
  return { schemaType: 'PROTOBUF', schema, ruleSet, ...(metadata ? { metadata } : {}) };
}

/** A plain, comparable view of a message: no $typeName, bigint and bytes as strings. */
export function plainMessage(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(plainMessage);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (k !== '$typeName' && k !== '$unknown') out[k] = plainMessage((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** The expected decoded view of a plain record (defaults filled in). */
export function expected(desc: DescMessage, record: Record<string, unknown>): unknown {
  return plainMessage(create(desc, record as never));
}

export function confluentRegistry(p: ParsedProtobufSchema): MutableRegistry {
  return createMutableRegistry(p.file);
}

export function confluentProtoSerializer(side: ConfluentSide, registry: MutableRegistry, conf: ProtobufSerializerConfig = {}): CProtobufSerializer {
  return new CProtobufSerializer(side.client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false, registry, ruleConfig: { secret: SECRET }, ...conf } as ProtobufSerializerConfig, side.rules);
}

export function confluentProtoDeserializer(side: ConfluentSide): CProtobufDeserializer {
  return new CProtobufDeserializer(side.client, SerdeType.VALUE, { ruleConfig: { secret: SECRET } }, side.rules);
}

export function ourProtoSerializer(side: OurSide, extra: Partial<ProtobufSerializerOptions> = {}): ProtobufSerializer {
  return new ProtobufSerializer({ schemaRegistry: side.schemas, dekRegistry: side.deks, kms: { 'local-kms': { secret: SECRET } }, ...extra });
}

export function ourProtoDeserializer(side: OurSide, extra: Partial<ProtobufDeserializerOptions> = {}): ProtobufDeserializer {
  return new ProtobufDeserializer({ schemaRegistry: side.schemas, dekRegistry: side.deks, kms: { 'local-kms': { secret: SECRET } }, ...extra });
}
