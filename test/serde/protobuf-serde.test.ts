/**
 * ProtobufSerializer / ProtobufDeserializer through the public API: `.proto` text with imports
 * (schema references), nested / repeated / map / oneof / recursive messages, tags inline and
 * from metadata, bad schemas and bad payloads as typed errors, and a fuzz run (mutated and
 * random frames resolve to a message or reject with a CsfleError — never hang or crash).
 */
import { describe, expect, it } from 'vitest';
import {
  CsfleError,
  frame,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  ProtobufDeserializer,
  ProtobufSerializer,
  type Metadata,
  type RuleSet,
} from '../../src/index';
import { csfleRejectionWithout } from '../helpers/csfle-rejection';
import { encryptRuleSet, SECRET } from '../helpers/fixtures';
import { fuzzFrames } from '../helpers/fuzz-frames';

const kms = { 'local-kms': { secret: SECRET } };
const rules = (params: Record<string, string> = {}): RuleSet => encryptRuleSet({ 'encrypt.kms.type': 'local-kms', ...params });

const addressProto = `
syntax = "proto3";
package common;
import "confluent/meta.proto";
message Address {
  string street = 1 [(confluent.field_meta).tags = "PII"];
  string city = 2;
}
`;

const personProto = `
// A person with every kind of field.
syntax = "proto3";
package people.v1;

import "confluent/meta.proto";
import "common/address.proto";
import "google/protobuf/timestamp.proto";

message Person {
  string name = 1 [(confluent.field_meta) = { tags: ["PII"], doc: "full name" }];
  int32 age = 2;
  repeated string emails = 3 [(confluent.field_meta).tags = "PII"];
  map<string, string> attrs = 4 [(confluent.field_meta).tags = "PII"];
  common.Address home = 5;
  repeated common.Address previous = 6;
  map<string, common.Address> places = 7;
  oneof contact {
    string phone = 8 [(confluent.field_meta).tags = "PII"];
    Pager pager = 9;
  }
  optional bytes photo = 10 [(confluent.field_meta).tags = "PII"];
  Person manager = 11;
  google.protobuf.Timestamp born = 12;
  string ssn = 13; /* tagged through metadata */

  message Pager { string number = 1 [(confluent.field_meta).tags = "PII"]; }
}
`;

const person = {
  name: 'Ada Lovelace',
  age: 36,
  emails: ['ada@example.com', 'ada@work.example'],
  attrs: { hair: 'auburn' },
  home: { street: '1 Main St', city: 'London' },
  previous: [{ street: '2 Old Rd', city: 'Bath' }],
  places: { work: { street: '3 Lab Ln', city: 'Oxford' } },
  contact: { case: 'pager', value: { number: 'P-12345' } },
  photo: new Uint8Array([1, 2, 3, 4]),
  manager: { name: 'Charles Babbage', contact: { case: 'phone', value: '+44 1' }, ssn: '987-65-4321' },
  born: { seconds: 100n, nanos: 0 },
  ssn: '123-45-6789',
};
const PLAINTEXTS = ['Ada Lovelace', 'ada@example.com', 'auburn', '1 Main St', '2 Old Rd', '3 Lab Ln', 'P-12345', 'Charles Babbage', '+44 1', '987-65-4321', '123-45-6789'];

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (k !== '$typeName') out[k] = plain((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

async function setup(schema = personProto, ruleSet: RuleSet = rules(), metadata?: Metadata) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  await schemaRegistry.register('address', { schemaType: 'PROTOBUF', schema: addressProto });
  const info = {
    schemaType: 'PROTOBUF' as const,
    schema,
    ruleSet,
    references: [{ name: 'common/address.proto', subject: 'address', version: 1 }],
    ...(metadata ? { metadata } : {}),
  };
  const ser = (extra = {}) => new ProtobufSerializer({ schemaRegistry, dekRegistry, kms, schema: info, ...extra });
  const deser = (extra = {}) => new ProtobufDeserializer({ schemaRegistry, dekRegistry, kms, ...extra });
  return { schemaRegistry, dekRegistry, ser, deser };
}

const failure = (p: Promise<unknown>): Promise<CsfleError> => csfleRejectionWithout(p, [...PLAINTEXTS, SECRET]);

describe('ProtobufSerializer / ProtobufDeserializer', () => {
  it('encrypts tagged fields in nested, imported, repeated, map, oneof and recursive messages; round trip', async () => {
    const { ser, deser } = await setup(personProto, rules(), { tags: { '**.ssn': ['PII'] } });
    const input = structuredClone(person);
    const bytes = await ser().serialize('people', input);
    expect(plain(input)).toEqual(plain(person));
    expect(bytes[5]).toBe(0); // message indexes [0]
    for (const p of PLAINTEXTS) expect(bytes.includes(Buffer.from(p)), p).toBe(false);
    expect(bytes.includes(Buffer.from('London'))).toBe(true); // untagged stays clear
    expect(bytes.includes(Buffer.from('work'))).toBe(true); // map keys are never encrypted
    const out = await deser().deserialize('people', bytes);
    expect((out as { $typeName: string }).$typeName).toBe('people.v1.Person');
    expect(plain(out)).toMatchObject(plain(person) as object);
  });

  it('a nested message type as the record type: message indexes count map entries, as protoc and Java do', async () => {
    const { ser, deser } = await setup();
    const s = ser({ messageType: 'people.v1.Person.Pager' });
    const bytes = await s.serialize('pagers', { number: 'P-12345' });
    // Person's nested types in declaration order: AttrsEntry, PlacesEntry, Pager → [0, 2].
    expect(bytes.subarray(5, 8)).toEqual(Buffer.from([4, 0, 4]));
    expect(bytes.includes(Buffer.from('P-12345'))).toBe(false);
    expect(plain(await deser().deserialize('pagers', bytes))).toEqual({ number: 'P-12345' });
  });

  it('record subject name strategy uses the first message; an unknown messageType is a typed error', async () => {
    const { schemaRegistry, ser, deser } = await setup();
    const bytes = await ser({ subjectNameStrategy: 'record' }).serialize('people', person);
    expect(await schemaRegistry.getLatest('people.v1.Person')).toMatchObject({ id: bytes.readInt32BE(1), schemaType: 'PROTOBUF' });
    expect(plain(await deser({ subjectNameStrategy: 'record' }).deserialize('people', bytes))).toMatchObject(plain(person) as object);
    const e = await failure(ser({ messageType: 'people.v1.Nobody' }).serialize('people', person));
    expect(e.code).toBe('SERIALIZATION_FAILED');
    expect(e.message).toContain('people.v1.Nobody');
  });

  it('a tagged numeric field fails the write with UNSUPPORTED_FIELD_TYPE', async () => {
    const { ser } = await setup(`syntax = "proto3"; import "confluent/meta.proto"; message M { int32 n = 1 [(confluent.field_meta).tags = "PII"]; }`);
    const e = await failure(ser().serialize('m', { n: 5 }));
    expect(e.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(e.context.fieldPath).toBe('M.n');
  });

  it('bad schemas are SCHEMA_NOT_FOUND errors with the line, never a crash', async () => {
    const bad = [
      'syntax = "proto3"; message M { string a = 1 }',
      'syntax = "proto3"; message M { Unknown a = 1; }',
      'syntax = "proto3"; import "nowhere.proto"; message M { string a = 1; }',
      'edition = "2023"; message M { string a = 1; }',
      'syntax = "proto2"; message M { optional group G = 1 { optional int32 x = 2; } }',
      'syntax = "proto3"; message M { string a = "x"; }',
      `syntax = "proto3"; ${'message M { '.repeat(40)}${'}'.repeat(40)}`,
      'syntax = "proto3"; message M { string a = 1 [(confluent.field_meta).tags = "PII"; }',
      '\u0000\u0001',
    ];
    for (const schema of bad) {
      const { ser } = await setup(schema);
      const e = await failure(ser().serialize('bad', { a: 'x' }));
      expect(e.code, schema).toBe('SCHEMA_NOT_FOUND');
    }
  });

  it('bad payloads are typed errors: bad message indexes, truncated body, oversize', async () => {
    const { ser, deser } = await setup();
    const good = await ser().serialize('people', person);
    const id = good.readInt32BE(1);
    const d = deser();
    expect((await failure(d.deserialize('people', frame(id, Buffer.from([2, 14]))))).code).toBe('DESERIALIZATION_FAILED'); // index 7: no such message
    expect((await failure(d.deserialize('people', frame(id, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))))).code).toBe('DESERIALIZATION_FAILED');
    expect((await failure(d.deserialize('people', good.subarray(0, good.length - 7)))).code).toMatch(/DESERIALIZATION_FAILED|DECRYPTION_FAILED/);
    expect((await failure(deser({ maxPayloadBytes: 8 }).deserialize('people', good))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('deeply nested recursive payloads fail cleanly', async () => {
    const { ser, deser } = await setup();
    const id = (await ser().serialize('people', person)).readInt32BE(1);
    // manager { manager { ... } } 100 000 levels deep: field 11, length-delimited.
    const depth = 100_000;
    const varint = (n: number): number[] => {
      const out: number[] = [];
      while (n >= 0x80) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      return out;
    };
    const lengths: number[] = [0];
    for (let i = 1; i < depth; i++) lengths.push(lengths[i - 1]! + 1 + varint(lengths[i - 1]!).length);
    const bytes: number[] = [];
    for (let i = depth - 1; i >= 0; i--) bytes.push(0x5a, ...varint(lengths[i]!));
    const body = Buffer.from(bytes);
    const e = await failure(deser().deserialize('people', frame(id, Buffer.concat([Buffer.from([0]), body]))));
    expect(e.code).toBe('DESERIALIZATION_FAILED');
  });

  it('fuzz: mutated and random frames resolve to a message or reject with a CsfleError', async () => {
    const { ser, deser } = await setup(personProto, rules(), { tags: { '**.ssn': ['PII'] } });
    const d = deser();
    const good = await ser().serialize('people', person);
    const { values, errors } = await fuzzFrames(good, (input) => d.deserialize('people', input), { seed: 424242, maxBody: 96, keepHeader: true });
    expect(values + errors).toBe(3000);
    expect(errors).toBeGreaterThan(1000);
  });
});
