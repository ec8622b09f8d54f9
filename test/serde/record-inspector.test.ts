/**
 * RecordInspector (behind `kafka-csfle inspect`): schema, subject, tagged fields and whether each
 * looks like ciphertext or clear text, DEK versions — without any key. Records from kafka-csfle
 * and from Confluent's JS client (the interop oracle).
 */
import { describe, expect, it } from 'vitest';
import { AvroSerializer, InMemoryDekRegistry, InMemorySchemaRegistry, JsonSerializer, ProtobufSerializer, RecordInspector, type RuleSet } from '../../src/index';
import { customer, customerSchema, encryptRuleSet, SECRET } from '../helpers/fixtures';
import { ConfluentSide, encryptRuleSet as confluentRuleSet, OurSide, schemaInfo } from '../interop/helpers';

const kms = { 'counting-kms': { secret: SECRET } };

async function produce(ruleSet: RuleSet, value: object = customer, producerKms = kms) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const schema = { schema: JSON.stringify(customerSchema), ruleSet };
  await new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema }).serialize('customers', customer); // DEK under the right secret
  const bytes = await new AvroSerializer({ schemaRegistry, dekRegistry, kms: producerKms, schema }).serialize('customers', value);
  return { bytes, inspector: new RecordInspector({ schemaRegistry }) };
}

describe('RecordInspector', () => {
  it('a kafka-csfle record: schema, subject, writer schema, each tagged field as ciphertext, DEK versions', async () => {
    const { bytes, inspector } = await produce(encryptRuleSet());
    const r = await inspector.inspect(bytes, { topic: 'customers' });
    expect(r).toMatchObject({ framing: 'schema-id', schemaId: 1, subject: 'customers-value', writerSchema: 'com.acme.Customer', decoded: true });
    expect(r.rules).toEqual([
      { name: 'encrypt-pii', type: 'ENCRYPT', kekName: 'kek1', algorithm: 'AES256_GCM', dekExpiryDays: 0, fields: ['com.acme.Customer.name', 'com.acme.Customer.email', 'com.acme.Customer.ssn'] },
    ]);
    expect(r.fields.map((f) => [f.path, f.state, f.encoding, f.length, f.dekVersion])).toEqual([
      ['com.acme.Customer.name', 'ciphertext', 'base64', 28 + Buffer.byteLength(customer.name), 1],
      ['com.acme.Customer.email', 'ciphertext', 'base64', 28 + Buffer.byteLength(customer.email), 1],
      ['com.acme.Customer.ssn', 'ciphertext', 'base64', 28 + Buffer.byteLength(customer.ssn), 1],
    ]);
    expect(r.dekVersions).toEqual([{ kekName: 'kek1', algorithm: 'AES256_GCM', version: 1 }]);
    expect(JSON.stringify(r)).not.toContain(customer.ssn);
  });

  it('values written in clear, and null fields', async () => {
    const { bytes, inspector } = await produce(encryptRuleSet({}, { onFailure: 'NONE' }), { ...customer, ssn: null }, { 'counting-kms': { secret: 'wrong' } });
    const r = await inspector.inspect(bytes, { subject: 'customers-value' });
    expect(r.fields.map((f) => [f.path, f.state, f.reason])).toEqual([
      ['com.acme.Customer.name', 'clear', 'not-base64'],
      ['com.acme.Customer.email', 'clear', 'not-base64'],
      ['com.acme.Customer.ssn', 'null', undefined],
    ]);
    expect(r.dekVersions).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(customer.name);
  });

  it('an encrypted payload (ENCRYPT_PAYLOAD) is reported as ciphertext, fields unread', async () => {
    const { bytes, inspector } = await produce({
      encodingRules: [{ name: 'p', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT_PAYLOAD', params: { 'encrypt.kek.name': 'kek1', 'encrypt.kms.type': 'counting-kms', 'encrypt.kms.key.id': 'k', 'encrypt.dek.expiry.days': '7' } }],
    });
    const r = await inspector.inspect(bytes, { topic: 'customers' });
    expect(r.decoded).toBe(false);
    expect(r.payload).toMatchObject({ ruleName: 'p', state: 'ciphertext', dekVersion: 1 });
    expect(r.dekVersions).toEqual([{ kekName: 'kek1', algorithm: 'AES256_GCM', version: 1 }]);
  });

  it('needs a topic or a subject', async () => {
    const { bytes, inspector } = await produce(encryptRuleSet());
    await expect(inspector.inspect(bytes, {})).rejects.toMatchObject({ code: 'DESERIALIZATION_FAILED' });
  });

  it.each(['AES256_GCM', 'AES256_SIV'] as const)("records from Confluent's JS client (%s, rotating DEKs)", async (algorithm) => {
    const confluent = new ConfluentSide();
    const ours = new OurSide();
    const info = schemaInfo(customerSchema, confluentRuleSet(algorithm, { 'encrypt.dek.expiry.days': '30' }));
    await confluent.register('customers-value', info, 1);
    await ours.schemas.register('customers-value', info);
    const bytes = await confluent.serialize(confluent.serializer(), 'customers', customer);
    const r = await new RecordInspector({ schemaRegistry: ours.schemas }).inspect(bytes, { topic: 'customers' });
    expect(r).toMatchObject({ framing: 'schema-id', schemaId: 1, subject: 'customers-value', writerSchema: 'com.acme.Customer' });
    const overhead = algorithm === 'AES256_SIV' ? 16 : 28;
    expect(r.fields.map((f) => [f.state, f.length, f.dekVersion])).toEqual(
      [customer.name, customer.email, customer.ssn].map((v) => ['ciphertext', 5 + overhead + Buffer.byteLength(v), 1]),
    );
    expect(r.dekVersions).toEqual([{ kekName: 'kek1', algorithm, version: 1 }]);
  });

  it('JSON Schema and Protobuf records', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const jsonSchema = JSON.stringify({
      type: 'object',
      title: 'Person',
      properties: { name: { type: 'string', 'confluent:tags': ['PII'] }, age: { type: 'integer' } },
    });
    const json = new JsonSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: jsonSchema, schemaType: 'JSON', ruleSet: encryptRuleSet() } });
    const proto = `syntax = "proto3";
package p;
import "confluent/meta.proto";
message Person {
  string name = 1 [(confluent.field_meta).tags = "PII"];
  bytes card = 2 [(confluent.field_meta).tags = "PII"];
}
`;
    const pb = new ProtobufSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: proto, schemaType: 'PROTOBUF', ruleSet: encryptRuleSet({ 'encrypt.kek.name': 'kek2' }) } });
    const inspector = new RecordInspector({ schemaRegistry });
    const j = await inspector.inspect(await json.serialize('people-json', { name: 'Ada', age: 36 }), { topic: 'people-json' });
    expect(j.fields.map((f) => [f.state, f.encoding, f.length])).toEqual([['ciphertext', 'base64', 28 + 3]]);
    const p = await inspector.inspect(await pb.serialize('people-pb', { name: 'Ada', card: Buffer.from('4111') }), { topic: 'people-pb' });
    expect(p.writerSchema).toBe('p.Person');
    expect(p.fields.map((f) => [f.state, f.encoding, f.length])).toEqual([
      ['ciphertext', 'base64', 28 + 3],
      ['ciphertext', 'bytes', 28 + 4],
    ]);
  });
});
