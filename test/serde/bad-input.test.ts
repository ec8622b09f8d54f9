import * as avsc from 'avsc';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  frame,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  parseFrame,
  type RuleSet,
} from '../../src/index';
import { csfleRejection } from '../helpers/csfle-rejection';
import { customer, customerSchema, LOCAL_KMS as kms, localRules, SECRET } from '../helpers/fixtures';

const type = avsc.Type.forSchema(customerSchema as avsc.Schema);

async function produce(ruleSet: RuleSet = localRules(), dekRegistry = new InMemoryDekRegistry()) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet } });
  const bytes = await serializer.serialize('customers', customer);
  return { schemaRegistry, dekRegistry, bytes };
}

/** Replaces the `name` field of a framed record (ciphertext, base64) through `edit`. */
function editName(bytes: Buffer, edit: (ct: Buffer) => Buffer): Buffer {
  const { schemaId, payload } = parseFrame(bytes);
  const rec = type.fromBuffer(payload) as typeof customer;
  rec.name = edit(Buffer.from(rec.name, 'base64')).toString('base64');
  return frame(schemaId, type.toBuffer(rec));
}

async function failure(p: Promise<unknown>): Promise<CsfleError> {
  const e = await csfleRejection(p);
  const everything = `${e.message} ${JSON.stringify(e.context)} ${inspect(e, { depth: 5 })}`;
  for (const secret of [customer.name, customer.email, customer.ssn, SECRET]) expect(everything).not.toContain(secret);
  return e;
}

describe('bad input gives typed errors that name KEK / subject / version / field, never plaintext or keys', () => {
  it('tampered ciphertext', async () => {
    const { schemaRegistry, dekRegistry, bytes } = await produce();
    const tampered = editName(bytes, (ct) => {
      ct[ct.length - 3]! ^= 0x01;
      return ct;
    });
    const e = await failure(new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('customers', tampered));
    expect(e.code).toBe('DECRYPTION_FAILED');
    expect(e.context).toMatchObject({ kekName: 'kek1', subject: 'customers-value', fieldPath: 'com.acme.Customer.name', dekVersion: 1, topic: 'customers' });
    expect(e.message).toContain('field=com.acme.Customer.name');
  });

  it('wrong secret', async () => {
    const { schemaRegistry, dekRegistry, bytes } = await produce();
    const e = await failure(new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret: 'wrong' } } }).deserialize('customers', bytes));
    expect(e.code).toBe('KMS_ACCESS_DENIED');
    expect(e.context).toMatchObject({ kekName: 'kek1', subject: 'customers-value', dekVersion: 1 });
  });

  it('unknown DEK version', async () => {
    const { schemaRegistry, dekRegistry, bytes } = await produce(localRules({ 'encrypt.dek.expiry.days': '30' }));
    const forged = editName(bytes, (ct) => {
      ct.writeInt32BE(99, 1);
      return ct;
    });
    const e = await failure(new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('customers', forged));
    expect(e.code).toBe('DEK_NOT_FOUND');
    expect(e.context).toMatchObject({ kekName: 'kek1', subject: 'customers-value', dekVersion: 99 });
  });

  it('missing version prefix when the rule rotates', async () => {
    const { schemaRegistry, dekRegistry, bytes } = await produce(localRules({ 'encrypt.dek.expiry.days': '30' }));
    const forged = editName(bytes, (ct) => Buffer.concat([Buffer.from([7]), ct.subarray(1)]));
    const e = await failure(new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('customers', forged));
    expect(e.code).toBe('INVALID_CIPHERTEXT');
    expect(e.context.fieldPath).toBe('com.acme.Customer.name');
  });

  it('truncated and non-Confluent framing, unknown schema id, garbage payload', async () => {
    const { schemaRegistry, dekRegistry, bytes } = await produce();
    const d = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    expect((await failure(d.deserialize('customers', bytes.subarray(0, 3)))).code).toBe('INVALID_FRAMING');
    expect((await failure(d.deserialize('customers', Buffer.from('{"json":true}')))).code).toBe('INVALID_FRAMING');
    const unknown = Buffer.from(bytes);
    unknown.writeInt32BE(4242, 1);
    const e = await failure(d.deserialize('customers', unknown));
    expect(e.code).toBe('SCHEMA_NOT_FOUND');
    expect(e.context.schemaId).toBe(4242);
    expect((await failure(d.deserialize('customers', bytes.subarray(0, 12)))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('unknown kmsType', async () => {
    const e = await failure(produce(localRules({ 'encrypt.kms.type': 'nope-kms' })));
    expect(e.code).toBe('KMS_UNKNOWN_TYPE');
    expect(e.context).toMatchObject({ kmsType: 'nope-kms', subject: 'customers-value' });
  });

  it('missing KEK on consume', async () => {
    const { schemaRegistry, bytes } = await produce();
    const e = await failure(new AvroDeserializer({ schemaRegistry, dekRegistry: new InMemoryDekRegistry(), kms }).deserialize('customers', bytes));
    expect(e.code).toBe('KEK_NOT_FOUND');
    expect(e.context).toMatchObject({ kekName: 'kek1', subject: 'customers-value' });
  });

  it('missing KEK on produce without kms params', async () => {
    const e = await failure(produce({ domainRules: [{ name: 'r', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'], params: { 'encrypt.kek.name': 'absent' } }] }));
    expect(e.code).toBe('KEK_NOT_FOUND');
    expect(e.message).toContain('encrypt.kms.type');
  });

  it.each([
    [{ 'encrypt.kek.name': '' }, 'encrypt.kek.name'],
    [{ 'encrypt.kek.name': '9bad name' }, 'encrypt.kek.name'],
    [{ 'encrypt.dek.algorithm': 'AES512_GCM' }, 'encrypt.dek.algorithm'],
    [{ 'encrypt.dek.expiry.days': '-1' }, 'encrypt.dek.expiry.days'],
    [{ 'encrypt.dek.expiry.days': 'soon' }, 'encrypt.dek.expiry.days'],
  ])('invalid rule params %j', async (params, name) => {
    const e = await failure(produce(localRules(params)));
    expect(e.code).toBe('INVALID_RULE');
    expect(e.message).toContain(name);
    expect(e.context).toMatchObject({ ruleName: 'encrypt-pii', subject: 'customers-value' });
  });

  it('invalid onFailure action and a tagged non-string field', async () => {
    expect((await failure(produce(localRules({}, { onFailure: 'EXPLODE' })))).code).toBe('INVALID_RULE');
    const schema = { ...customerSchema, fields: customerSchema.fields.map((f) => (f.name === 'balance' ? { ...f, 'confluent:tags': ['PII'] } : f)) };
    const serializer = new AvroSerializer({ schemaRegistry: new InMemorySchemaRegistry(), dekRegistry: new InMemoryDekRegistry(), kms, schema: { schema: JSON.stringify(schema), ruleSet: localRules() } });
    const e = await failure(serializer.serialize('customers', customer));
    expect(e.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(e.context.fieldPath).toBe('com.acme.Customer.balance');
  });

  it('a value that does not match the schema is reported by path, without its content', async () => {
    const serializer = new AvroSerializer({ schemaRegistry: new InMemorySchemaRegistry(), dekRegistry: new InMemoryDekRegistry(), kms, schema: JSON.stringify(customerSchema) });
    const e = await failure(serializer.serialize('customers', { ...customer, id: 'Ada Lovelace' as unknown as number }));
    expect(e.code).toBe('SERIALIZATION_FAILED');
    expect(e.message).toContain('id');
  });

  it('KMS, key ring and cipher objects never print key material', async () => {
    const dekRegistry = new InMemoryDekRegistry();
    const { bytes, schemaRegistry } = await produce(localRules(), dekRegistry);
    const d = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    await d.deserialize('customers', bytes);
    const dek = (await dekRegistry.getDek('kek1', 'customers-value'))!;
    const printed = inspect(d, { depth: 10, showHidden: true }) + JSON.stringify(d);
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(dek.encryptedKeyMaterial);
  });
});

describe('CsfleError.withContext', () => {
  it('keeps class, code and retryable, merges context and chains the cause', async () => {
    const { KmsError } = await import('../../src/index');
    const inner = new KmsError('KMS_UNAVAILABLE', 'KMS unreachable', { kmsType: 'aws-kms', retryable: true });
    const outer = inner.withContext({ kekName: 'k', subject: 's' });
    expect(outer).toBeInstanceOf(KmsError);
    expect(outer.code).toBe('KMS_UNAVAILABLE');
    expect(outer.retryable).toBe(true);
    expect(outer.cause).toBe(inner);
    expect(outer.detail).toBe('KMS unreachable');
    expect(outer.message).toBe('KMS unreachable [subject=s, kek=k, kmsType=aws-kms]');
  });
});
