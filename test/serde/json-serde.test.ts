/**
 * JsonSerializer / JsonDeserializer through the public API: validation on write and read, bad
 * input as typed errors without plaintext, recursive schemas, bounded decoding, and a fuzz run
 * (mutated and random frames never hang or crash the consumer: value or CsfleError).
 */
import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  CsfleError,
  frame,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  JsonDeserializer,
  JsonSerializer,
  type RuleSet,
} from '../../src/index';
import { csfleRejectionWithout } from '../helpers/csfle-rejection';
import { encryptRuleSet, SECRET } from '../helpers/fixtures';
import { fuzzFrames } from '../helpers/fuzz-frames';

const kms = { 'local-kms': { secret: SECRET } };
const rules = (params: Record<string, string> = {}): RuleSet => encryptRuleSet({ 'encrypt.kms.type': 'local-kms', ...params });

const schema = {
  type: 'object',
  title: 'Customer',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string', 'confluent:tags': ['PII'] },
    ssn: { type: 'string', pattern: '^[0-9-]+$', 'confluent:tags': ['PII'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['id', 'name'],
  additionalProperties: false,
};
const customer = { id: 1, name: 'Ada Lovelace', ssn: '123-45-6789', tags: ['a'] };

function setup(schemaObj: object = schema, ruleSet: RuleSet = rules()) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const info = { schemaType: 'JSON' as const, schema: JSON.stringify(schemaObj), ruleSet };
  const ser = (extra = {}) => new JsonSerializer({ schemaRegistry, dekRegistry, kms, schema: info, ...extra });
  const deser = (extra = {}) => new JsonDeserializer({ schemaRegistry, dekRegistry, kms, ...extra });
  return { schemaRegistry, dekRegistry, ser, deser };
}

const failure = (p: Promise<unknown>, secrets: string[] = [customer.name, customer.ssn, SECRET]): Promise<CsfleError> =>
  csfleRejectionWithout(p, secrets);

describe('JsonSerializer / JsonDeserializer', () => {
  it('round trip; tagged strings are base64 ciphertext; the caller object is untouched', async () => {
    const { ser, deser } = setup();
    const input = structuredClone(customer);
    const bytes = await ser().serialize('c', input);
    expect(input).toEqual(customer);
    const body = JSON.parse(bytes.subarray(5).toString()) as Record<string, string>;
    expect(body['name']).not.toBe(customer.name);
    expect(Buffer.from(body['name']!, 'base64').length).toBe(Buffer.byteLength(customer.name) + 28);
    expect(body['tags']).toEqual(['a']);
    expect(await deser().deserialize('c', bytes)).toEqual(customer);
  });

  it('validates on write by default (plaintext), reports paths not values; validate:false skips it', async () => {
    const { ser } = setup();
    const bad = { ...customer, ssn: 'Ada Lovelace secret', extra: 1 };
    const e = await failure(ser().serialize('c', bad), ['Ada Lovelace secret']);
    expect(e.code).toBe('SERIALIZATION_FAILED');
    expect(e.message).toMatch(/\/ssn \(pattern\)|additionalProperties/);
    await expect(ser({ validate: false }).serialize('c', bad)).resolves.toBeInstanceOf(Buffer);
  });

  it('validates on read when asked (after decryption)', async () => {
    const { ser, deser } = setup();
    const bytes = await ser({ validate: false }).serialize('c', { id: 'x', name: 'Ada Lovelace' });
    expect(await deser().deserialize('c', bytes)).toEqual({ id: 'x', name: 'Ada Lovelace' });
    const e = await failure(deser({ validate: true }).deserialize('c', bytes));
    expect(e.code).toBe('DESERIALIZATION_FAILED');
    expect(e.message).toContain('/id (type)');
  });

  it('a tagged non-string property fails the write with UNSUPPORTED_FIELD_TYPE', async () => {
    const { ser } = setup({ type: 'object', properties: { n: { type: 'integer', 'confluent:tags': ['PII'] } } });
    const e = await failure(ser().serialize('c', { n: 5 }));
    expect(e.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(e.context.fieldPath).toBe('$.n');
  });

  it('recursive schemas: nested records are encrypted at every level; too deep fails cleanly', async () => {
    const tree = {
      $ref: '#/definitions/Node',
      definitions: {
        Node: { type: 'object', properties: { label: { type: 'string', 'confluent:tags': ['PII'] }, kids: { type: 'array', items: { $ref: '#/definitions/Node' } } } },
      },
    };
    const { ser, deser } = setup(tree);
    const nest = (d: number): object => (d === 0 ? { label: 'leaf' } : { label: `n${d}`, kids: [nest(d - 1)] });
    const value = nest(10);
    const bytes = await ser().serialize('t', value);
    expect(bytes.includes(Buffer.from('"n5"'))).toBe(false);
    expect(bytes.includes(Buffer.from('"leaf"'))).toBe(false);
    expect(await deser().deserialize('t', bytes)).toEqual(value);
    const e = await failure(ser({ validate: false }).serialize('t', nest(200)), []);
    expect(e.code).toBe('RULE_FAILED');
  });

  it('bad payloads are typed errors: not JSON, too large, wrong schema type', async () => {
    const { schemaRegistry, ser, deser } = setup();
    const bytes = await ser().serialize('c', customer);
    const id = bytes.readInt32BE(1);
    expect((await failure(deser().deserialize('c', frame(id, Buffer.from('{"name": "Ada Lovelace"'))))).code).toBe('DESERIALIZATION_FAILED');
    expect((await failure(deser({ maxPayloadBytes: 10 }).deserialize('c', bytes))).code).toBe('DESERIALIZATION_FAILED');
    const avro = new AvroDeserializer({ schemaRegistry, dekRegistry: new InMemoryDekRegistry(), kms });
    expect((await failure(avro.deserialize('c', bytes))).message).toContain('JSON cannot be read by the AVRO serde');
  });

  it('record subject name strategies use the schema title; a key serde uses <topic>-key', async () => {
    const { schemaRegistry, ser, deser } = setup();
    const bytes = await ser({ subjectNameStrategy: 'topic-record' }).serialize('c', customer);
    expect(await schemaRegistry.getLatest('c-Customer')).toMatchObject({ id: bytes.readInt32BE(1), schemaType: 'JSON' });
    expect(await deser({ subjectNameStrategy: 'topic-record' }).deserialize('c', bytes)).toEqual(customer);
    const key = await ser({ isKey: true }).serialize('c', customer);
    expect(await schemaRegistry.getLatest('c-key')).toMatchObject({ id: key.readInt32BE(1) });
    expect(await deser({ isKey: true }).deserialize('c', key)).toEqual(customer);
  });

  it('fuzz: mutated and random frames resolve to a value or reject with a CsfleError', async () => {
    const { ser, deser } = setup();
    const d = deser({ validate: true });
    const good = await ser().serialize('c', customer);
    const { values, errors } = await fuzzFrames(good, (input) => d.deserialize('c', input), { seed: 12345, maxBody: 64 });
    expect(values + errors).toBe(3000);
    expect(errors).toBeGreaterThan(1000);
  });
});
