/**
 * `kafka-csfle decrypt` of JSON Schema and Protobuf records: records produced with this library's
 * JsonSerializer / ProtobufSerializer against real AxonOps, keys exported in plaintext by
 * `keys export`, then decrypted with no DEK Registry and no KMS back to the originals — schema
 * type from the registry's `schemaType`, or from a schema file (by extension or `--schema-type`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOW_PLAINTEXT_EXPORT_ENV,
  CONFLUENT_META_PROTO,
  CONFLUENT_META_PROTO_TEXT,
  DekRegistryClient,
  HttpSchemaSource,
  JsonSerializer,
  ProtobufSerializer,
  type SchemaInfo,
} from '../../src/index';
import { jsonLines, registryCli } from '../helpers/run-cli';
import { ENCRYPT_RULES } from '../registry/fixtures';
import { requireEnv, uniq } from '../registry/helpers';

const SECRET = 'decrypt-formats-secret';
const kms = { 'local-kms': { secret: SECRET } };

const jsonSchema = {
  type: 'object',
  title: 'Customer',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string', 'confluent:tags': ['PII'] },
    address: { type: 'object', properties: { street: { type: 'string', 'confluent:tags': ['PII'] }, city: { type: 'string' } } },
  },
};
const jsonRecords = [
  { id: 1, name: 'Ada Lovelace', address: { street: '1 Main St', city: 'London' } },
  { id: 2, name: 'Grace Hopper' },
];

const customerProto = `syntax = "proto3";
package decrypt.v1;
import "confluent/meta.proto";

message Customer {
  int64 id = 1;
  string name = 2 [(confluent.field_meta).tags = "PII"];
  repeated Address addresses = 3;
  bytes photo = 4 [(confluent.field_meta).tags = "PII"];
  message Address {
    string street = 1 [(confluent.field_meta).tags = "PII"];
    string city = 2;
  }
}
`;
const protoRecords = [
  { id: 3n, name: 'Ada Lovelace', addresses: [{ street: '1 Main St', city: 'London' }], photo: new Uint8Array([1, 2, 3]) },
  { id: 4n, name: 'Grace Hopper', addresses: [], photo: new Uint8Array([]) },
];
/** The JSON lines `decrypt` prints for the Protobuf records (int64 as numbers, bytes as base64). */
const protoJson = [
  { id: 3, name: 'Ada Lovelace', addresses: [{ street: '1 Main St', city: 'London' }], photo: 'AQID' },
  { id: 4, name: 'Grace Hopper', addresses: [], photo: '' },
];

interface Subject {
  subject: string;
  info: SchemaInfo;
  records: Buffer[];
}

let url: string;
let kek: string;
let keysDir: string;
let json: Subject;
let proto: Subject;
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'csfle-decrypt-formats-'));

const cli = registryCli(() => url);

beforeAll(async () => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
  kek = uniq('decfmt');
  const sources = () => ({ schemaRegistry: new HttpSchemaSource({ url }), dekRegistry: new DekRegistryClient({ url }), kms });

  const jsonTopic = `${kek}-json`;
  const jsonInfo: SchemaInfo = { schemaType: 'JSON', schema: JSON.stringify(jsonSchema), ruleSet: ENCRYPT_RULES(kek, 'k', 'AES256_SIV') };
  const jser = new JsonSerializer({ ...sources(), schema: jsonInfo });
  json = { subject: `${jsonTopic}-value`, info: jsonInfo, records: [] };
  for (const r of jsonRecords) json.records.push(await jser.serialize(jsonTopic, r));

  // AxonOps has no built-in confluent/meta.proto: register it and reference it.
  const metaSubject = uniq('confluent-meta');
  await new HttpSchemaSource({ url }).register(metaSubject, { schemaType: 'PROTOBUF', schema: CONFLUENT_META_PROTO_TEXT });
  const protoTopic = `${kek}-proto`;
  const protoInfo: SchemaInfo = {
    schemaType: 'PROTOBUF',
    schema: customerProto,
    references: [{ name: CONFLUENT_META_PROTO, subject: metaSubject, version: 1 }],
    ruleSet: ENCRYPT_RULES(kek, 'k', 'AES256_GCM'),
  };
  const pser = new ProtobufSerializer({ ...sources(), schema: protoInfo });
  proto = { subject: `${protoTopic}-value`, info: protoInfo, records: [] };
  for (const r of protoRecords) proto.records.push(await pser.serialize(protoTopic, r));
  for (const b of [...json.records, ...proto.records]) expect(b.includes(Buffer.from('Ada Lovelace'))).toBe(false);

  keysDir = tmp();
  const exported = await cli(['keys', 'export', '--kek', kek, '--out', keysDir, '--plaintext', '--kms-config', `secret=${SECRET}`], {
    env: { [ALLOW_PLAINTEXT_EXPORT_ENV]: '1' },
  });
  expect(exported.code).toBe(0);
  expect(JSON.parse(exported.out)).toMatchObject({ exported: 2 });
}, 60_000);

describe('kafka-csfle decrypt: JSON Schema and Protobuf', () => {
  it('decrypts both formats with plaintext keys, schema type from the registry', async () => {
    for (const [s, expected] of [
      [json, jsonRecords],
      [proto, protoJson],
    ] as const) {
      const input = s.records.map((b, i) => (i % 2 ? b.toString('hex') : b.toString('base64')));
      const r = await cli(['decrypt', '--keys', keysDir, '--schema-registry', url, '--subject', s.subject], { stdin: input });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(jsonLines(r.out)).toEqual(expected);
    }
  });

  it('decrypts both formats with the schema from a file: type by extension (.json, .proto) or --schema-type', async () => {
    const dir = tmp();
    const rules = path.join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify(json.info.ruleSet));
    const jsonFile = path.join(dir, 'customer.json');
    writeFileSync(jsonFile, JSON.stringify(jsonSchema));
    const protoFile = path.join(dir, 'customer.proto');
    writeFileSync(protoFile, customerProto);
    const protoRules = path.join(dir, 'proto-rules.json');
    writeFileSync(protoRules, JSON.stringify(proto.info.ruleSet));
    const b64 = (s: Subject) => s.records.map((b) => b.toString('base64'));

    const j = await cli(['decrypt', '--keys', keysDir, '--schema', jsonFile, '--rules', rules, '--subject', json.subject], { stdin: b64(json) });
    expect(j.err).toBe('');
    expect(jsonLines(j.out)).toEqual(jsonRecords);
    const p = await cli(['decrypt', '--keys', keysDir, '--schema', protoFile, '--rules', protoRules, '--subject', proto.subject], { stdin: b64(proto) });
    expect(p.err).toBe('');
    expect(jsonLines(p.out)).toEqual(protoJson);

    // No telling extension: --schema-type says it; the wrong type fails without printing plaintext.
    const bare = path.join(dir, 'customer.schema');
    writeFileSync(bare, customerProto);
    const typed = await cli(['decrypt', '--keys', keysDir, '--schema', bare, '--schema-type', 'PROTOBUF', '--rules', protoRules, '--subject', proto.subject], { stdin: b64(proto) });
    expect(jsonLines(typed.out)).toEqual(protoJson);
    const wrong = await cli(['decrypt', '--keys', keysDir, '--schema', jsonFile, '--schema-type', 'AVRO', '--rules', rules, '--subject', json.subject], { stdin: b64(json) });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toBe('');
    expect(wrong.err).not.toContain('Ada Lovelace');
    expect(JSON.parse(wrong.err).error).toMatchObject({ code: 'SCHEMA_NOT_FOUND', message: expect.stringContaining('Invalid Avro schema') });
  });
});
