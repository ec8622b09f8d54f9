/**
 * Schema GUID lookups over HTTP (`GET /schemas/guids/{guid}`) in HttpSchemaSource: against a stub
 * answering like Confluent Schema Registry, and against real AxonOps (which has no such endpoint).
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AvroDeserializer, AvroSerializer, InMemoryDekRegistry, InMemorySchemaRegistry, parseFrame } from '../../src/index';
import { frameGuid, guidHeaderValue, VALUE_SCHEMA_ID_HEADER } from '../../src/serde/framing';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { KafkajsSchemaSource } from '../../src/serde/kafkajs-schema-source';
import { customer, customerSchema, encryptRuleSet, SECRET } from '../helpers/fixtures';
import { requireEnv, StubServer, uniq } from '../registry/helpers';
import { csfleRejection as failure } from '../helpers/csfle-rejection';

const GUID = '0123abcd-4567-89ef-fedc-ba9876543210';
const kms = { 'local-kms': { secret: SECRET } };
const ruleSet = encryptRuleSet({ 'encrypt.kms.type': 'local-kms' });
const topic = 'customers';

let stubs: StubServer[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.stop()));
  stubs = [];
});

/** Writes one encrypted record with our serializer; returns the keys, payload and schema. */
async function produce() {
  const schemas = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const serializer = new AvroSerializer({ schemaRegistry: schemas, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet } });
  const { schemaId, payload } = parseFrame(await serializer.serialize(topic, customer));
  return { dekRegistry, payload, schema: await schemas.getById(schemaId) };
}

/** A registry stub answering `GET /schemas/guids/{GUID}` like Confluent (no `id` in the answer). */
async function confluentLikeStub(schema: { schema: string; ruleSet?: unknown }): Promise<StubServer> {
  const s = await new StubServer((r) => {
    if (r.method === 'GET' && r.path === `/schemas/guids/${GUID}`) {
      return { status: 200, body: { schemaType: 'AVRO', schema: schema.schema, ruleSet: schema.ruleSet, guid: GUID } };
    }
    return { status: 404, body: { error_code: 40403, message: 'Schema not found' } };
  }).start();
  stubs.push(s);
  return s;
}

describe('HttpSchemaSource.getByGuid against a Confluent-like registry', () => {
  it('GET /schemas/guids/{guid}: schema with rule set; cached for good, concurrent misses coalesced', async () => {
    const { schema } = await produce();
    const stub = await confluentLikeStub(schema);
    const source = new HttpSchemaSource({ url: stub.url, maxRetries: 0 });
    const [a, b] = await Promise.all([source.getByGuid(GUID), source.getByGuid(GUID.toUpperCase())]);
    expect(a).toMatchObject({ guid: GUID, schema: schema.schema, ruleSet: schema.ruleSet });
    expect(b).toEqual(a);
    expect(a.id).toBe(-1); // Confluent's answer has no id
    await source.getByGuid(GUID);
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /schemas/guids/${GUID}`]);
    source.clearCache();
    await source.getByGuid(GUID);
    expect(stub.requests).toHaveLength(2);
  });

  it('an unknown GUID is SCHEMA_NOT_FOUND (40403)', async () => {
    const { schema } = await produce();
    const source = new HttpSchemaSource({ url: (await confluentLikeStub(schema)).url, maxRetries: 0 });
    const err = await failure(source.getByGuid('11111111-2222-3333-4444-555555555555'));
    expect(err.code).toBe('SCHEMA_NOT_FOUND');
    expect(err.message).not.toMatch(/may not support/);
  });

  it('AvroDeserializer over HttpSchemaSource reads V1-prefix and header-framed records', async () => {
    const { schema, dekRegistry, payload } = await produce();
    const stub = await confluentLikeStub(schema);
    const d = new AvroDeserializer({ schemaRegistry: { url: stub.url, maxRetries: 0 }, dekRegistry, kms });
    expect(await d.deserialize(topic, frameGuid(GUID, payload))).toEqual(customer);
    expect(await d.deserialize(topic, payload, { [VALUE_SCHEMA_ID_HEADER]: guidHeaderValue(GUID) })).toEqual(customer);
    expect(stub.requests).toHaveLength(1);
  });
});

describe('KafkajsSchemaSource has no GUID lookup', () => {
  it('no getByGuid; the deserializer rejects GUID framing with INVALID_FRAMING naming the limitation', async () => {
    const source = new KafkajsSchemaSource(new SchemaRegistry({ host: 'http://127.0.0.1:9', retry: { retries: 0 } }));
    expect(source.getByGuid).toBeUndefined();
    const { dekRegistry, payload } = await produce();
    const d = new AvroDeserializer({ schemaRegistry: source, dekRegistry, kms });
    const err = await failure(d.deserialize(topic, frameGuid(GUID, payload)));
    expect(err.code).toBe('INVALID_FRAMING');
    expect(err.message).toMatch(/cannot resolve schema GUIDs/);
  });
});

describe('AxonOps deviation 15: no GET /schemas/guids/{guid} (HttpSchemaSource.getByGuid)', () => {
  let url: string;
  beforeAll(() => {
    url = requireEnv('SCHEMA_REGISTRY_URL');
  });

  it('404 -> SCHEMA_NOT_FOUND saying the registry may not support GUID lookups; V0 records still read', async () => {
    const source = new HttpSchemaSource({ url, maxRetries: 0 });
    const err = await failure(source.getByGuid(GUID));
    expect(err.code).toBe('SCHEMA_NOT_FOUND');
    expect(err.message).toMatch(/may not support GET \/schemas\/guids/);
    expect(err.context.status).toBe(404);

    const subject = `${uniq('guid')}-value`;
    const dekRegistry = new InMemoryDekRegistry();
    const serializer = new AvroSerializer({ schemaRegistry: source, dekRegistry, kms, subjectNameStrategy: () => subject, schema: { schema: JSON.stringify(customerSchema), ruleSet } });
    const v0 = await serializer.serialize(topic, customer);
    const d = new AvroDeserializer({ schemaRegistry: source, dekRegistry, kms, subjectNameStrategy: () => subject });
    expect(await d.deserialize(topic, v0)).toEqual(customer);
    const viaGuid = await failure(d.deserialize(topic, frameGuid(GUID, parseFrame(v0).payload)));
    expect(viaGuid.code).toBe('SCHEMA_NOT_FOUND');
  });
});
