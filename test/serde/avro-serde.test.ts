import { beforeEach, describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  parseFrame,
  type RuleSet,
} from '../../src/index';
import { countingDekRegistry, countingSchemaRegistry, customer, customerSchema, encryptRuleSet, kmsCalls, resetKmsCalls, SECRET, total } from '../helpers/fixtures';

const kms = { 'counting-kms': { secret: SECRET }, 'local-kms': { secret: SECRET } };

function setup(ruleSet: RuleSet = encryptRuleSet(), schema: object = customerSchema) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(schema), ruleSet } });
  const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
  return { schemaRegistry, dekRegistry, serializer, deserializer };
}

describe('AvroSerializer / AvroDeserializer round trip', () => {
  beforeEach(() => resetKmsCalls());

  it.each(['AES128_GCM', 'AES256_GCM', 'AES256_SIV'])('encrypts the PII fields with %s and decrypts them', async (algorithm) => {
    const { serializer, deserializer, dekRegistry } = setup(encryptRuleSet({ 'encrypt.dek.algorithm': algorithm }));
    const bytes = await serializer.serialize('customers', customer);
    const { schemaId } = parseFrame(bytes);
    expect(schemaId).toBe(1);
    const text = bytes.toString('latin1');
    for (const pii of [customer.name, customer.email, customer.ssn]) expect(text).not.toContain(pii);
    expect(text).toContain('UK');
    expect(await deserializer.deserialize('customers', bytes)).toEqual(customer);
    const dek = await dekRegistry.getDek('kek1', 'customers-value', { algorithm: algorithm as never });
    expect(dek?.version).toBe(1);
    expect(dek?.encryptedKeyMaterial).toBeTruthy();
  });

  it('never mutates the caller object', async () => {
    const { serializer } = setup();
    const rec = structuredClone(customer);
    const frozen = Object.freeze({ ...rec });
    await serializer.serialize('customers', frozen);
    expect(frozen).toEqual(customer);
  });

  it('AES256_SIV is deterministic, AES256_GCM is randomized', async () => {
    const siv = setup(encryptRuleSet({ 'encrypt.dek.algorithm': 'AES256_SIV' }));
    const a = await siv.serializer.serialize('customers', customer);
    const b = await siv.serializer.serialize('customers', customer);
    expect(a.equals(b)).toBe(true);
    const gcm = setup();
    const c = await gcm.serializer.serialize('customers', customer);
    const d = await gcm.serializer.serialize('customers', customer);
    expect(c.equals(d)).toBe(false);
  });

  it('encrypts nested records, arrays, maps, unions and bytes; leaves nulls', async () => {
    const schema = {
      type: 'record',
      name: 'Order',
      namespace: 'com.acme',
      fields: [
        { name: 'id', type: 'string' },
        {
          name: 'buyer',
          type: {
            type: 'record',
            name: 'Person',
            fields: [
              { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
              { name: 'phones', type: { type: 'array', items: 'string' }, 'confluent:tags': ['PII'] },
              { name: 'notes', type: { type: 'map', values: 'string' }, 'confluent:tags': ['PII'] },
              { name: 'photo', type: ['null', 'bytes'], default: null, 'confluent:tags': ['PII'] },
              { name: 'nick', type: ['null', 'string'], default: null, 'confluent:tags': ['PII'] },
            ],
          },
        },
        { name: 'friends', type: { type: 'array', items: 'Person' } },
        { name: 'byId', type: { type: 'map', values: 'Person' } },
      ],
    };
    const { serializer, deserializer } = setup(encryptRuleSet(), schema);
    const person = (n: string) => ({ name: n, phones: [`${n}-555-1`, `${n}-555-2`], notes: { k: `${n}-secret-note` }, photo: Buffer.from(`${n}-jpeg`), nick: null });
    const order = { id: 'o-1', buyer: person('Zedediah'), friends: [person('Yannick'), person('Xiaoming')], byId: { a: person('Wulfric') } };
    const bytes = await serializer.serialize('orders', order);
    const text = bytes.toString('latin1');
    for (const secret of ['Zedediah', 'Yannick', 'Xiaoming', 'Wulfric', 'secret-note', '-555-', '-jpeg']) expect(text).not.toContain(secret);
    expect(text).toContain('o-1');
    const back = (await deserializer.deserialize('orders', bytes)) as typeof order;
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(order)));
    expect(Buffer.isBuffer(back.buyer.photo)).toBe(true);
  });

  it('selects fields with metadata tag patterns (wildcards) and with empty tags = all string fields', async () => {
    const schema = {
      type: 'record',
      name: 'User',
      namespace: 'com.acme',
      fields: [
        { name: 'ssn', type: 'string' },
        { name: 'email', type: 'string' },
        { name: 'city', type: 'string' },
        { name: 'age', type: 'int' },
      ],
    };
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const serializer = new AvroSerializer({
      schemaRegistry,
      dekRegistry,
      kms,
      schema: { schema: JSON.stringify(schema), metadata: { tags: { '**.ssn': ['PII'], 'com.acme.*.email': ['PII'] } }, ruleSet: encryptRuleSet() },
    });
    const user = { ssn: '999-88-7777', email: 'u@x.io', city: 'Paris', age: 33 };
    const bytes = await serializer.serialize('users', user);
    const text = bytes.toString('latin1');
    expect(text).not.toContain('999-88-7777');
    expect(text).not.toContain('u@x.io');
    expect(text).toContain('Paris');
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    expect(await deserializer.deserialize('users', bytes)).toEqual(user);

    const all = setup({ domainRules: [{ ...encryptRuleSet().domainRules![0]!, tags: [] }] }, schema);
    const allBytes = (await all.serializer.serialize('users', user)).toString('latin1');
    expect(allBytes).not.toContain('Paris');
    expect(await all.deserializer.deserialize('users', Buffer.from(allBytes, 'latin1'))).toEqual(user);
  });

  it('takes rule params from schema metadata properties', async () => {
    const ruleSet: RuleSet = { domainRules: [{ name: 'enc', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'] }] };
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const serializer = new AvroSerializer({
      schemaRegistry,
      dekRegistry,
      kms,
      schema: {
        schema: JSON.stringify(customerSchema),
        ruleSet,
        metadata: { properties: { 'encrypt.kek.name': 'kek-meta', 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'k', 'encrypt.dek.algorithm': 'AES256_SIV' } },
      },
    });
    const bytes = await serializer.serialize('customers', customer);
    expect(await dekRegistry.getDek('kek-meta', 'customers-value', { algorithm: 'AES256_SIV' })).toBeTruthy();
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('customers', bytes)).toEqual(customer);
  });

  it('uses a locally supplied rule set when the registry stores none', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const ruleSet = encryptRuleSet();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, ruleSet, schema: JSON.stringify(customerSchema) });
    const bytes = await serializer.serialize('customers', customer);
    expect(bytes.toString('latin1')).not.toContain(customer.ssn);
    expect((await schemaRegistry.getById(1)).ruleSet).toBeUndefined();
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms, ruleSet }).deserialize('customers', bytes)).toEqual(customer);
  });

  it('honours disabled rules, WRITE/READ modes and local overrides', async () => {
    const disabled = setup(encryptRuleSet({}, { disabled: true }));
    expect((await disabled.serializer.serialize('customers', customer)).toString('latin1')).toContain(customer.ssn);

    const { schemaRegistry, dekRegistry } = setup();
    const overridden = new AvroSerializer({
      schemaRegistry,
      dekRegistry,
      kms,
      schema: { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() },
      ruleOverrides: [{ type: 'ENCRYPT', disabled: true }],
    });
    expect((await overridden.serialize('customers', customer)).toString('latin1')).toContain(customer.ssn);

    const writeOnly = setup(encryptRuleSet({}, { mode: 'WRITE' }));
    const bytes = await writeOnly.serializer.serialize('customers', customer);
    const read = (await writeOnly.deserializer.deserialize('customers', bytes)) as typeof customer;
    expect(read.ssn).not.toBe(customer.ssn);
    expect(Buffer.from(read.ssn, 'base64').length).toBe(12 + customer.ssn.length + 16);
  });

  it('onFailure ERROR,NONE: a consumer without the key gets the ciphertext; with ERROR it gets a typed error', async () => {
    const { serializer, schemaRegistry, dekRegistry } = setup(encryptRuleSet({}, { onFailure: 'ERROR,NONE' }));
    const bytes = await serializer.serialize('customers', customer);
    const noKey = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'counting-kms': { secret: 'not-the-secret' } } });
    const seen = (await noKey.deserialize('customers', bytes)) as typeof customer;
    expect(seen.country).toBe('UK');
    expect(seen.name).not.toBe(customer.name);
    expect(Buffer.from(seen.name, 'base64').length).toBe(12 + Buffer.byteLength(customer.name) + 16);

    const strict = new AvroDeserializer({
      schemaRegistry,
      dekRegistry,
      kms: { 'counting-kms': { secret: 'not-the-secret' } },
      ruleOverrides: [{ name: 'encrypt-pii', onFailure: 'ERROR' }],
    });
    const err = await strict.deserialize('customers', bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsfleError);
    expect((err as CsfleError).code).toBe('KMS_ACCESS_DENIED');
    expect((err as CsfleError).message).toContain('kek=kek1');
  });

  it('rotates DEKs with encrypt.dek.expiry.days and reads every version', async () => {
    let now = Date.UTC(2026, 0, 1);
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry({ now: () => now });
    const ruleSet = encryptRuleSet({ 'encrypt.dek.expiry.days': '1' });
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet }, keyRing: { latestTtlMs: 0 } });
    const v1 = await serializer.serialize('customers', customer);
    now += 2 * 86_400_000;
    const v2 = await serializer.serialize('customers', customer);
    expect(await dekRegistry.listDekVersions('kek1', 'customers-value')).toEqual([1, 2]);
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    for (const [bytes, version] of [[v1, 1], [v2, 2]] as const) {
      const raw = (await new AvroDeserializer({ schemaRegistry, dekRegistry, kms, ruleOverrides: [{ type: 'ENCRYPT', disabled: true }] }).deserialize('customers', bytes)) as typeof customer;
      const ct = Buffer.from(raw.name, 'base64');
      expect(ct[0]).toBe(0);
      expect(ct.readInt32BE(1)).toBe(version);
      expect(await deserializer.deserialize('customers', bytes)).toEqual(customer);
    }
  });

  it('supports key serdes and record / topic-record subject strategies', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    for (const [strategy, subject] of [
      ['record', 'com.acme.Customer'],
      ['topic-record', 'customers-com.acme.Customer'],
    ] as const) {
      const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, subjectNameStrategy: strategy, schema: { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() } });
      const bytes = await serializer.serialize('customers', customer);
      expect(await schemaRegistry.getLatest(subject)).toBeTruthy();
      expect(await dekRegistry.getDek('kek1', subject)).toBeTruthy();
      expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms, subjectNameStrategy: strategy }).deserialize('customers', bytes)).toEqual(customer);
    }
    const keySer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, isKey: true, schema: { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() } });
    const keyBytes = await keySer.serialize('customers', customer);
    expect(await dekRegistry.getDek('kek1', 'customers-key')).toBeTruthy();
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms, isKey: true }).deserialize('customers', keyBytes)).toEqual(customer);
  });

  it('autoRegister: false writes with the given schema as registered, never with another version', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'string' }] };
    const v2 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
    await schemaRegistry.register('t-value', { schema: JSON.stringify(v1) });
    await schemaRegistry.register('t-value', { schema: JSON.stringify(v2) });
    const ser = new AvroSerializer({ schemaRegistry, dekRegistry, kms, autoRegister: false, schema: JSON.stringify(v1) });
    const bytes = await ser.serialize('t', { a: 'x', b: 'kept' });
    expect(parseFrame(bytes).schemaId).toBe(1);
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('t', bytes)).toEqual({ a: 'x', b: 'kept' });
    const unknown = new AvroSerializer({ schemaRegistry, dekRegistry, kms, autoRegister: false, schema: JSON.stringify({ ...v2, name: 'Other' }) });
    await expect(unknown.serialize('t', { a: 'x' })).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
  });

  it('record strategies work with schema references', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    await schemaRegistry.register('addr', { schema: JSON.stringify({ type: 'record', name: 'Addr', namespace: 'n', fields: [{ name: 's', type: 'string', 'confluent:tags': ['PII'] }] }) });
    const ser = new AvroSerializer({
      schemaRegistry,
      dekRegistry,
      kms,
      subjectNameStrategy: 'record',
      schema: { schema: JSON.stringify({ type: 'record', name: 'User', namespace: 'n', fields: [{ name: 'a', type: 'n.Addr' }] }), references: [{ name: 'n.Addr', subject: 'addr', version: 1 }], ruleSet: encryptRuleSet() },
    });
    const bytes = await ser.serialize('t', { a: { s: 'Secret Street' } });
    expect(bytes.toString('latin1')).not.toContain('Secret Street');
    expect(await dekRegistry.getDek('kek1', 'n.User')).toBeTruthy();
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms, subjectNameStrategy: 'record' }).deserialize('t', bytes)).toEqual({ a: { s: 'Secret Street' } });
  });

  it('resolves schema references', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const address = { type: 'record', name: 'Address', namespace: 'com.acme', fields: [{ name: 'street', type: 'string', 'confluent:tags': ['PII'] }] };
    await schemaRegistry.register('address-value', { schema: JSON.stringify(address) });
    const person = { type: 'record', name: 'Person', namespace: 'com.acme', fields: [{ name: 'home', type: 'com.acme.Address' }] };
    const serializer = new AvroSerializer({
      schemaRegistry,
      dekRegistry,
      kms,
      schema: { schema: JSON.stringify(person), references: [{ name: 'com.acme.Address', subject: 'address-value', version: 1 }], ruleSet: encryptRuleSet() },
    });
    const bytes = await serializer.serialize('people', { home: { street: '1 Secret Lane' } });
    expect(bytes.toString('latin1')).not.toContain('Secret Lane');
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('people', bytes)).toEqual({ home: { street: '1 Secret Lane' } });
  });

  it('supports ENCRYPT_PAYLOAD encoding rules', async () => {
    const rule = encryptRuleSet().domainRules![0]!;
    const { serializer, deserializer } = setup({ encodingRules: [{ ...rule, name: 'payload', type: 'ENCRYPT_PAYLOAD', tags: [] }] });
    const bytes = await serializer.serialize('customers', customer);
    expect(bytes.toString('latin1')).not.toContain('UK');
    expect(await deserializer.deserialize('customers', bytes)).toEqual(customer);
  });
});

describe('concurrency and caching', () => {
  beforeEach(() => resetKmsCalls());

  it('1000 concurrent first serialize calls create one DEK with one KMS wrap; 1000 first deserialize calls make one unwrap', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const { registry: dekRegistry, calls } = countingDekRegistry();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() } });
    const all = await Promise.all(Array.from({ length: 1000 }, (_, i) => serializer.serialize('customers', { ...customer, id: i })));
    expect(kmsCalls.wrap).toBe(1);
    expect(kmsCalls.unwrap).toBe(0);
    expect(calls['registerDek']).toBe(1);
    expect(calls['registerKek']).toBe(1);
    expect(await (dekRegistry as InMemoryDekRegistry).listDekVersions('kek1', 'customers-value')).toEqual([1]);

    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    const out = await Promise.all(all.map((b) => deserializer.deserialize('customers', b)));
    expect(kmsCalls.unwrap).toBe(1);
    expect((out as (typeof customer)[]).map((c) => c.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('makes zero KMS and zero registry calls per record after warm-up', async () => {
    const { registry: schemaRegistry, calls: srCalls } = countingSchemaRegistry();
    const { registry: dekRegistry, calls: drCalls } = countingDekRegistry();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() } });
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    await deserializer.deserialize('customers', await serializer.serialize('customers', customer));
    const before = { kms: kmsCalls.wrap + kmsCalls.unwrap, sr: total(srCalls), dr: total(drCalls) };
    for (let i = 0; i < 500; i++) await deserializer.deserialize('customers', await serializer.serialize('customers', { ...customer, id: i }));
    expect(kmsCalls.wrap + kmsCalls.unwrap).toBe(before.kms);
    expect(total(srCalls)).toBe(before.sr);
    expect(total(drCalls)).toBe(before.dr);
  });

  it('two producers racing for the first DEK end up with one DEK and both decrypt', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const mk = () => new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() } });
    const [a, b] = await Promise.all([mk().serialize('customers', customer), mk().serialize('customers', { ...customer, id: 7 })]);
    expect(await dekRegistry.listDekVersions('kek1', 'customers-value')).toEqual([1]);
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    expect(await deserializer.deserialize('customers', a)).toEqual(customer);
    expect(await deserializer.deserialize('customers', b)).toEqual({ ...customer, id: 7 });
  });
});
