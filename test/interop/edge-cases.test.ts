/**
 * Schema edge cases against Confluent (AES256_SIV, so that with the same DEK both writers must
 * produce identical bytes): unions of records, mixed unions, logical types, namespaces, tagged
 * record-typed fields; plus the two write-side policies where kafka-csfle deliberately differs
 * from Confluent's JS client (data stays readable both ways).
 */
import { describe, expect, it } from 'vitest';
import { plain, rawDecode } from './fixtures';
import { ConfluentSide, encryptRuleSet, mirrorKeysToConfluent, mirrorKeysToOurs, OurSide, schemaInfo } from './helpers';
import { CsfleError, type Metadata } from '../../src/index';

const topic = 'edge';
const subject = `${topic}-value`;
const PII = ['PII'];

const shapes: { name: string; schema: object; metadata?: Metadata; values: unknown[]; encrypted: boolean }[] = [
  {
    name: 'union of two records (avsc wraps it: {"n.B": {...}})',
    schema: {
      type: 'record',
      name: 'P',
      namespace: 'n',
      fields: [
        {
          name: 'u',
          type: [
            'null',
            { type: 'record', name: 'A', fields: [{ name: 's', type: 'string', 'confluent:tags': PII }] },
            { type: 'record', name: 'B', fields: [{ name: 't', type: 'string', 'confluent:tags': PII }] },
          ],
        },
      ],
    },
    values: [{ u: { 'n.B': { t: 'bee' } } }, { u: { 'n.A': { s: 'ay' } } }, { u: null }],
    encrypted: true,
  },
  {
    name: 'tagged ["string","int"] union holding a string',
    schema: { type: 'record', name: 'P', namespace: 'n', fields: [{ name: 'u', type: ['string', 'int'], 'confluent:tags': PII }] },
    values: [{ u: 'text' }],
    encrypted: true,
  },
  {
    name: 'logical types: string/uuid and bytes/decimal',
    schema: {
      type: 'record',
      name: 'P',
      namespace: 'n',
      fields: [
        { name: 'id', type: { type: 'string', logicalType: 'uuid' }, 'confluent:tags': PII },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 }, 'confluent:tags': PII },
      ],
    },
    values: [{ id: '6f1b2c1e-2b8a-4a47-9d9a-1f0c2d3e4f50', amount: Buffer.from([0x01, 0xe2, 0x40]) }],
    encrypted: true,
  },
  {
    name: 'nested record with its own namespace, tagged by metadata with that namespace',
    schema: {
      type: 'record',
      name: 'Order',
      namespace: 'com.shop',
      fields: [
        { name: 'geo', type: { type: 'record', name: 'Geo', namespace: 'org.geo', fields: [{ name: 'lat', type: 'string' }, { name: 'lon', type: 'string' }] } },
        { name: 'lat', type: 'string' },
      ],
    },
    metadata: { tags: { 'org.geo.Geo.*': PII } },
    values: [{ geo: { lat: '51.5', lon: '-0.12' }, lat: 'not tagged: com.shop.Order.lat' }],
    encrypted: true,
  },
];

describe.each(shapes)('$name', ({ schema, metadata, values, encrypted }) => {
  const info = schemaInfo(schema, encryptRuleSet('AES256_SIV'), metadata);

  it('same bytes from both writers (same DEK); each reads the other', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const ser = confluent.serializer();
    const theirs: Buffer[] = [];
    for (const v of values) theirs.push(await confluent.serialize(ser, topic, v));
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    if (encrypted) await mirrorKeysToOurs(confluent, ours, subject, 'AES256_SIV');
    const mine: Buffer[] = [];
    for (const v of values) mine.push(await ours.serializer().serialize(topic, v));
    expect(mine.map((b) => b.toString('hex'))).toEqual(theirs.map((b) => b.toString('hex')));
    if (encrypted) expect(plain(rawDecode(schema, mine[0]!))).not.toEqual(plain(values[0]));
    else expect(plain(rawDecode(schema, mine[0]!))).toEqual(plain(values[0]));
    const deser = ours.deserializer();
    const cdeser = confluent.deserializer();
    for (let i = 0; i < values.length; i++) {
      expect(plain(await deser.deserialize(topic, theirs[i]!))).toEqual(plain(values[i]));
      expect(plain(await cdeser.deserialize(topic, mine[i]!))).toEqual(plain(values[i]));
    }
  });
});

describe('write-side policies where kafka-csfle differs from Confluent JS 1.10.1 (reads still interoperate)', () => {
  it('a tagged ["null","int"] union: both refuse the write (ours at schema compile time, naming field and rule)', async () => {
    const schema = { type: 'record', name: 'P', namespace: 'n', fields: [{ name: 'i', type: ['null', 'int'], 'confluent:tags': PII }, { name: 's', type: 'string', 'confluent:tags': PII }] };
    const info = schemaInfo(schema, encryptRuleSet('AES256_SIV'));
    const value = { i: 7, s: 'secret' };
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    await expect(confluent.serialize(confluent.serializer(), topic, value)).rejects.toThrow(/INT not supported/);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const err = await ours.serializer().serialize(topic, { i: null, s: 'secret' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_FIELD_TYPE', context: { fieldPath: 'n.P.i', ruleName: 'encrypt-pii' } });
  });

  it('a tagged record-typed field: Confluent writes it in clear; ours refuses the write, and reads theirs with one warning', async () => {
    const schema = {
      type: 'record',
      name: 'P',
      namespace: 'n',
      fields: [
        { name: 'a', type: { type: 'record', name: 'A', fields: [{ name: 's', type: 'string' }] }, 'confluent:tags': PII },
        { name: 'list', type: { type: 'array', items: 'A' }, 'confluent:tags': PII },
        { name: 'secret', type: 'string', 'confluent:tags': PII },
      ],
    };
    const info = schemaInfo(schema, encryptRuleSet('AES256_SIV'));
    const value = { a: { s: 'visible' }, list: [{ s: 'also visible' }], secret: 'hidden' };
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const theirs = await confluent.serialize(confluent.serializer(), topic, value);
    expect(plain(rawDecode(schema, theirs))).toMatchObject({ a: { s: 'visible' }, list: [{ s: 'also visible' }] });

    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const err = (await ours.serializer().serialize(topic, value).catch((e: unknown) => e)) as CsfleError;
    expect(err).toBeInstanceOf(CsfleError);
    expect(err.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(err.context).toMatchObject({ fieldPath: 'n.P.a', ruleName: 'encrypt-pii', subject });
    expect(err.message).toContain("rule 'encrypt-pii'");
    expect(err.message).not.toContain('visible');

    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_SIV');
    const warnings: { message: string; context: unknown }[] = [];
    const deser = ours.deserializer({ logger: { warn: (message, context) => warnings.push({ message, context }) } });
    for (let i = 0; i < 20; i++) expect(plain(await deser.deserialize(topic, theirs))).toEqual(plain(value));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('n.P.a, n.P.list');
    expect(JSON.stringify(warnings)).not.toMatch(/visible|hidden/);
  });

  it('a rule with empty tags over a record with an int field: Confluent JS fails the write; ours encrypts every string/bytes field', async () => {
    const schema = { type: 'record', name: 'P', namespace: 'n', fields: [{ name: 'i', type: 'int' }, { name: 's', type: 'string' }, { name: 'b', type: 'bytes' }] };
    const info = schemaInfo(schema, encryptRuleSet('AES256_SIV', {}, []));
    const value = { i: 7, s: 'secret', b: Buffer.from('raw') };
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    await expect(confluent.serialize(confluent.serializer(), topic, value)).rejects.toThrow(/INT not supported/);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const mine = await ours.serializer().serialize(topic, value);
    const wire = rawDecode(schema, mine) as { i: number; s: string; b: Buffer };
    expect(wire.i).toBe(7);
    expect(wire.s).not.toBe('secret');
    expect(wire.b.equals(value.b)).toBe(false);
    await mirrorKeysToConfluent(ours, confluent, subject, 'AES256_SIV');
    expect(plain(await confluent.deserializer().deserialize(topic, mine))).toEqual(plain(value));
  });

  it('a tagged plain int / enum / fixed field: both refuse the write', async () => {
    for (const type of ['int', { type: 'enum', name: 'E', symbols: ['A'] }, { type: 'fixed', name: 'F', size: 2 }]) {
      const schema = { type: 'record', name: 'P', namespace: 'n', fields: [{ name: 'x', type, 'confluent:tags': PII }] };
      const value = { x: type === 'int' ? 1 : typeof type === 'object' && type.type === 'enum' ? 'A' : Buffer.from([1, 2]) };
      const info = schemaInfo(schema, encryptRuleSet('AES256_SIV'));
      const confluent = new ConfluentSide();
      await confluent.register(subject, info);
      await expect(confluent.serialize(confluent.serializer(), topic, value)).rejects.toThrow(/not supported/);
      const ours = new OurSide();
      await ours.schemas.register(subject, info);
      await expect(ours.serializer().serialize(topic, value)).rejects.toThrow(/only string and bytes/);
    }
  });
});

describe('schema references: tags inside a referenced schema', () => {
  const address = {
    type: 'record',
    name: 'Address',
    namespace: 'com.acme',
    fields: [
      { name: 'street', type: 'string', 'confluent:tags': PII },
      { name: 'city', type: 'string' },
    ],
  };
  const person = {
    type: 'record',
    name: 'Person',
    namespace: 'com.acme',
    fields: [
      { name: 'name', type: 'string', 'confluent:tags': PII },
      { name: 'home', type: 'com.acme.Address' },
      { name: 'ssn', type: 'string' },
    ],
  };
  const metadata: Metadata = { tags: { '**.ssn': PII } };
  const value = { name: 'Ada', home: { street: '12 St James Sq', city: 'London' }, ssn: '123' };
  const refInfo = { schemaType: 'AVRO' as const, schema: JSON.stringify(address) };
  const info = {
    ...schemaInfo(person, encryptRuleSet('AES256_SIV'), metadata),
    references: [{ name: 'com.acme.Address', subject: 'address', version: 1 }],
  };

  it('same bytes from both writers; each reads the other', async () => {
    const confluent = new ConfluentSide();
    const refId = await confluent.register('address', refInfo);
    const id = await confluent.register(subject, info);
    const theirs = await confluent.serialize(confluent.serializer(), topic, value);
    const ours = new OurSide();
    await ours.schemas.register('address', refInfo, { id: refId });
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_SIV');
    const mine = await ours.serializer().serialize(topic, value);
    expect(mine.toString('hex')).toBe(theirs.toString('hex'));
    const avscSchema = { ...person, fields: [person.fields[0], { name: 'home', type: address }, person.fields[2]] };
    const wire = rawDecode(avscSchema, mine) as typeof value;
    expect([wire.name === value.name, wire.home.street === value.home.street, wire.home.city === value.home.city, wire.ssn === value.ssn]).toEqual([
      false,
      false,
      true,
      false,
    ]);
    expect(plain(await ours.deserializer().deserialize(topic, theirs))).toEqual(value);
    expect(plain(await confluent.deserializer().deserialize(topic, mine))).toEqual(value);
  });
});
