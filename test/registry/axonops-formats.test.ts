/**
 * JSON Schema and Protobuf serdes against real AxonOps (v0.2.1): schemas, rule sets, KEKs and
 * DEKs live in the registry; our producer writes, a fresh deserializer reads; Confluent's JS
 * client (the oracle) reads and writes JSON Schema through the same registry. Protobuf
 * deviations of AxonOps are asserted: no built-in `confluent/meta.proto` (registered and
 * referenced instead), and its `?format=serialized` answer drops field options (Confluent's JS
 * client, which reads that form, sees no tags).
 */
import {
  FieldEncryptionExecutor,
  JsonDeserializer as CJsonDeserializer,
  JsonSerializer as CJsonSerializer,
  LocalKmsDriver,
  ProtobufDeserializer as CProtobufDeserializer,
  RuleRegistry,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONFLUENT_META_PROTO,
  CONFLUENT_META_PROTO_TEXT,
  DekRegistryClient,
  HttpSchemaSource,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  SchemaRegistryError,
} from '../../src/index';
import { ENCRYPT_RULES } from './fixtures';
import { requireEnv, uniq } from './helpers';

LocalKmsDriver.register();
const SECRET = 'axonops-formats-secret';
const kms = { 'local-kms': { secret: SECRET } };

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

const sources = () => ({ schemaRegistry: new HttpSchemaSource({ url }), dekRegistry: new DekRegistryClient({ url }), kms });

function confluent() {
  const client = new SchemaRegistryClient({ baseURLs: [url] });
  const rules = new RuleRegistry();
  rules.registerExecutor(new FieldEncryptionExecutor());
  return { client, rules };
}

const jsonSchema = {
  type: 'object',
  title: 'Customer',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string', 'confluent:tags': ['PII'] },
    address: { $ref: '#/definitions/Address' },
  },
  definitions: { Address: { type: 'object', properties: { street: { type: 'string', 'confluent:tags': ['PII'] }, city: { type: 'string' } } } },
};
const jsonRecords = [
  { id: 1, name: 'Ada Lovelace', address: { street: '1 Main St', city: 'London' } },
  { id: 2, name: 'Grace Hopper' },
];

describe('JSON Schema over AxonOps', () => {
  it('we write, a fresh deserializer and Confluent read; Confluent writes, we read (SIV byte-identical)', async () => {
    const topic = uniq('json');
    const kek = uniq('jsonkek');
    const info = { schemaType: 'JSON' as const, schema: JSON.stringify(jsonSchema), ruleSet: ENCRYPT_RULES(kek, 'mykey', 'AES256_SIV') };
    const ser = new JsonSerializer({ ...sources(), schema: info });
    const ours: Buffer[] = [];
    for (const r of jsonRecords) ours.push(await ser.serialize(topic, r));
    expect(ours[0]!.includes(Buffer.from('Ada Lovelace'))).toBe(false);
    expect(ours[0]!.includes(Buffer.from('1 Main St'))).toBe(false);
    expect(ours[0]!.includes(Buffer.from('London'))).toBe(true);
    const stored = await new HttpSchemaSource({ url }).getById(ours[0]!.readInt32BE(1), `${topic}-value`);
    expect(stored.schemaType).toBe('JSON');
    expect(stored.ruleSet).toEqual(info.ruleSet);

    const de = new JsonDeserializer({ ...sources(), validate: true });
    for (let i = 0; i < ours.length; i++) expect(await de.deserialize(topic, ours[i]!)).toEqual(jsonRecords[i]);

    const { client, rules } = confluent();
    const cde = new CJsonDeserializer(client, SerdeType.VALUE, { ruleConfig: { secret: SECRET } }, rules);
    for (let i = 0; i < ours.length; i++) expect(await cde.deserialize(topic, ours[i]!)).toEqual(jsonRecords[i]);
    const cser = new CJsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false, ruleConfig: { secret: SECRET } }, rules);
    for (let i = 0; i < jsonRecords.length; i++) {
      const theirs = await cser.serialize(topic, structuredClone(jsonRecords[i]));
      expect(theirs.equals(ours[i]!)).toBe(true);
      expect(await de.deserialize(topic, theirs)).toEqual(jsonRecords[i]);
    }
    expect(await new DekRegistryClient({ url }).listDekVersions(kek, `${topic}-value`, { algorithm: 'AES256_SIV' })).toEqual([1]);
  });
});

const customerProto = `syntax = "proto3";
package acme.v1;
import "confluent/meta.proto";

message Customer {
  int64 id = 1;
  string name = 2 [(confluent.field_meta).tags = "PII"];
  repeated Address addresses = 3;
  message Address {
    string street = 1 [(confluent.field_meta).tags = "PII"];
    string city = 2;
  }
}
`;

describe('Protobuf over AxonOps', () => {
  it('AxonOps has no built-in confluent/meta.proto: a schema importing it without a reference is refused', async () => {
    const err = await new HttpSchemaSource({ url })
      .register(uniq('nometa'), { schemaType: 'PROTOBUF', schema: customerProto })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(SchemaRegistryError);
  });

  it('meta.proto registered and referenced: we write and a fresh deserializer reads (nested tags from the .proto text)', async () => {
    const topic = uniq('proto');
    const kek = uniq('protokek');
    const source = new HttpSchemaSource({ url });
    const metaSubject = uniq('confluent-meta');
    await source.register(metaSubject, { schemaType: 'PROTOBUF', schema: CONFLUENT_META_PROTO_TEXT });
    const info = {
      schemaType: 'PROTOBUF' as const,
      schema: customerProto,
      references: [{ name: CONFLUENT_META_PROTO, subject: metaSubject, version: 1 }],
      ruleSet: ENCRYPT_RULES(kek, 'mykey', 'AES256_GCM'),
    };
    const ser = new ProtobufSerializer({ ...sources(), schema: info });
    const record = { id: 3n, name: 'Ada Lovelace', addresses: [{ street: '1 Main St', city: 'London' }] };
    const bytes = await ser.serialize(topic, record);
    expect(bytes[5]).toBe(0);
    expect(bytes.includes(Buffer.from('Ada Lovelace'))).toBe(false);
    expect(bytes.includes(Buffer.from('1 Main St'))).toBe(false);
    expect(bytes.includes(Buffer.from('London'))).toBe(true);

    const out = (await new ProtobufDeserializer(sources()).deserialize(topic, bytes)) as unknown as { name: string; addresses: { street: string }[] };
    expect(out.name).toBe('Ada Lovelace');
    expect(out.addresses[0]!.street).toBe('1 Main St');

    // AxonOps deviation: the serialized form drops field options, so Confluent's JS client
    // (which reads that form) finds no tags and leaves the fields encrypted.
    const serialized = await fetch(`${url}/schemas/ids/${bytes.readInt32BE(1)}?format=serialized`).then((r) => r.json() as Promise<{ schema: string }>);
    expect(Buffer.from(serialized.schema, 'base64').includes(Buffer.from('PII'))).toBe(false);
    const { client, rules } = confluent();
    const theirs = (await new CProtobufDeserializer(client, SerdeType.VALUE, { ruleConfig: { secret: SECRET } }, rules).deserialize(topic, bytes)) as unknown as { name: string };
    expect(theirs.name).not.toBe('Ada Lovelace');
    expect(Buffer.from(theirs.name, 'base64').length).toBe(Buffer.byteLength('Ada Lovelace') + 28);
  });
});
