import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  frame,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  parseFrame,
  type RuleSet,
} from '../../src/index';
import { csfleRejection as rejects } from '../helpers/csfle-rejection';
import { encryptRuleSet, LOCAL_KMS as kms } from '../helpers/fixtures';


const withArray = { type: 'record', name: 'A', fields: [{ name: 'id', type: 'long' }, { name: 'xs', type: { type: 'array', items: 'string' } }] };
const withMap = { type: 'record', name: 'M', fields: [{ name: 'id', type: 'long' }, { name: 'm', type: { type: 'map', values: 'long' } }] };
const withNulls = { type: 'record', name: 'N', fields: [{ name: 'id', type: 'long' }, { name: 'ns', type: { type: 'array', items: 'null' } }] };
const withString = { type: 'record', name: 'S', fields: [{ name: 'id', type: 'long' }, { name: 's', type: 'string' }] };
const linked = {
  type: 'record',
  name: 'Node',
  fields: [
    { name: 'v', type: 'long' },
    { name: 'next', type: ['null', 'Node'], default: null },
  ],
};

async function registered(schema: object, subject = 't-value', ruleSet?: RuleSet) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const id = await schemaRegistry.register(subject, { schema: JSON.stringify(schema), ...(ruleSet ? { ruleSet } : {}) });
  const dekRegistry = new InMemoryDekRegistry();
  return { schemaRegistry, dekRegistry, id, deserializer: new AvroDeserializer({ schemaRegistry, dekRegistry, kms }) };
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('decoding is bounded by the bytes present', () => {
  it('the 11-byte record with an array count of 2^31-1 is DESERIALIZATION_FAILED (no heap exhaustion)', async () => {
    const { id, deserializer } = await registered(withArray);
    const e = await rejects(deserializer.deserialize('t', frame(id, hex('02 feffffff0f'))));
    expect(e.code).toBe('DESERIALIZATION_FAILED');
    expect(e.context).toMatchObject({ topic: 't', subject: 't-value', schemaId: id });
    // 5e7 as the count
    expect((await rejects(deserializer.deserialize('t', frame(id, hex('02 80c2d72f'))))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('the same bytes against a map field are rejected (no event-loop block)', async () => {
    const { id, deserializer } = await registered(withMap);
    expect((await rejects(deserializer.deserialize('t', frame(id, hex('02 feffffff0f'))))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('a negative block count with a block size larger than the payload is rejected', async () => {
    const { id, deserializer } = await registered(withArray);
    // count -1 (zig-zag 01), block size 2^31 (varint), then nothing
    expect((await rejects(deserializer.deserialize('t', frame(id, hex('02 01 8080808010'))))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('string lengths beyond the payload, negative lengths and over-long varints are rejected', async () => {
    const { id, deserializer } = await registered(withString);
    for (const payload of ['02 feffffff0f 41', '02 01', '02 ffffffffffffffffffff01', '02 06 4142']) {
      expect((await rejects(deserializer.deserialize('t', frame(id, hex(payload))))).code).toBe('DESERIALIZATION_FAILED');
    }
    expect(await deserializer.deserialize('t', frame(id, hex('02 06 414243')))).toEqual({ id: 1, s: 'ABC' });
  });

  it('trailing bytes are rejected', async () => {
    const { id, deserializer } = await registered(withString);
    expect((await rejects(deserializer.deserialize('t', frame(id, hex('02 02 41 00'))))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('arrays of null: small counts decode, huge counts are rejected', async () => {
    const { id, deserializer } = await registered(withNulls);
    expect(await deserializer.deserialize('t', frame(id, hex('02 14 00')))).toEqual({ id: 1, ns: new Array(10).fill(null) });
    expect((await rejects(deserializer.deserialize('t', frame(id, hex('02 feffffff0f 00'))))).code).toBe('DESERIALIZATION_FAILED');
    // many blocks, each under the budget, together over it
    const blocks = Buffer.concat([hex('02'), ...Array.from({ length: 40 }, () => hex('80 89 7a')), hex('00')]); // 40 × 1,000,000 nulls
    expect((await rejects(deserializer.deserialize('t', frame(id, blocks)))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('block-encoded arrays (negative counts with sizes, as other writers may use) decode', async () => {
    const { id, deserializer } = await registered(withArray);
    // id 1; block of -2 items, 4 bytes: "A", "B"; block of 1 item "C"; end
    expect(await deserializer.deserialize('t', frame(id, hex('02 03 08 02 41 02 42 02 02 43 00')))).toEqual({ id: 1, xs: ['A', 'B', 'C'] });
  });

  it('nesting depth is bounded (recursive schema)', async () => {
    const { schemaRegistry, dekRegistry, id, deserializer } = await registered(linked);
    const chain = (n: number): unknown => {
      let node: unknown = null;
      for (let i = 0; i < n; i++) node = { v: i, next: node };
      return node;
    };
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: linked });
    expect(await serializer.schemaId('t')).toBe(id);
    const ok = await serializer.serialize('t', chain(100));
    expect(await deserializer.deserialize('t', ok)).toEqual(chain(100));
    // 10,000 levels in 30 kB: avsc would recurse until the stack overflows
    const deep = Buffer.concat([...Array.from({ length: 10_000 }, () => hex('00 02')), hex('00 00')]);
    expect((await rejects(deserializer.deserialize('t', frame(id, deep)))).code).toBe('DESERIALIZATION_FAILED');
  });

  it('the ENCRYPT_PAYLOAD inner payload is bounded too', async () => {
    // The poison bytes 02 feffffff0f are what a { x: 1, y: 2^31-1 } record of two longs encodes
    // to: a producer with that schema makes a validly encrypted poison payload for `withArray`.
    const rule = encryptRuleSet({ 'encrypt.kms.type': 'local-kms' }).domainRules![0]!;
    const ruleSet: RuleSet = { encodingRules: [{ ...rule, name: 'payload', type: 'ENCRYPT_PAYLOAD', tags: [] }] };
    const { schemaRegistry, dekRegistry, id, deserializer } = await registered(withArray, 't-value', ruleSet);
    const twoLongs = { type: 'record', name: 'L', fields: [{ name: 'x', type: 'long' }, { name: 'y', type: 'long' }] };
    const poisoner = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(twoLongs), ruleSet } });
    const poisoned = parseFrame(await poisoner.serialize('t', { x: 1, y: 2 ** 31 - 1 }));
    const e = await rejects(deserializer.deserialize('t', frame(id, poisoned.payload)));
    expect(e.code).toBe('DESERIALIZATION_FAILED');
    expect(e.context).toMatchObject({ subject: 't-value', schemaId: id });
    // and a good record with that rule set still reads
    const good = await new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(withArray), ruleSet } }).serialize('t', { id: 7, xs: ['a', 'b'] });
    expect(await deserializer.deserialize('t', good)).toEqual({ id: 7, xs: ['a', 'b'] });
  });
});

describe('special map keys and field names round-trip as own properties', () => {
  const piiMap = {
    type: 'record',
    name: 'P',
    fields: [
      { name: 'attrs', type: { type: 'map', values: 'string' }, 'confluent:tags': ['PII'] },
      { name: 'plain', type: { type: 'map', values: 'long' } },
      { name: '__proto__', type: 'string', 'confluent:tags': ['PII'] },
    ],
  };
  const own = (entries: [string, unknown][]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  };

  it('a PII map entry under __proto__ (and constructor, toString, hasOwnProperty) is kept', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const ruleSet = encryptRuleSet({ 'encrypt.kms.type': 'local-kms' });
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(piiMap), ruleSet } });
    const keys: [string, string][] = [['__proto__', 'p-secret'], ['constructor', 'c-secret'], ['toString', 't-secret'], ['hasOwnProperty', 'h-secret'], ['', 'e-secret']];
    const value = own([
      ['attrs', own(keys)],
      ['plain', own([['__proto__', 1], ['valueOf', 2]])],
      ['__proto__', 'field-secret'],
    ]);
    const bytes = await serializer.serialize('p', value);
    for (const [, secret] of keys) expect(bytes.toString('latin1')).not.toContain(secret);
    const out = (await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('p', bytes)) as Record<string, Record<string, unknown>>;
    const attrs = out['attrs']!;
    for (const [k, v] of keys) {
      expect(Object.prototype.hasOwnProperty.call(attrs, k)).toBe(true);
      expect(attrs[k]).toBe(v);
    }
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.keys(out['plain']!).sort()).toEqual(['__proto__', 'valueOf']);
    expect(Object.getOwnPropertyDescriptor(out['plain'], '__proto__')?.value).toBe(1);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('field-secret');
  });
});

describe('tombstones', () => {
  it('serialize(null | undefined) → null and deserialize(null | undefined) → null, for value and key serdes', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    for (const isKey of [false, true]) {
      const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, isKey, schema: withString });
      const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms, isKey });
      expect(await serializer.serialize('t', null)).toBeNull();
      expect(await serializer.serialize('t', undefined)).toBeNull();
      expect(await deserializer.deserialize('t', null)).toBeNull();
      expect(await deserializer.deserialize('t', undefined)).toBeNull();
      expect(await deserializer.deserialize('t', null, { __value_schema_id: Buffer.from([0, 0, 0, 0, 1]) })).toBeNull();
      const bytes = await serializer.serialize('t', { id: 3, s: 'x' });
      expect(await deserializer.deserialize('t', bytes)).toEqual({ id: 3, s: 'x' });
    }
  });
});
