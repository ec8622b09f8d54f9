/**
 * Schema-GUID framing (V1 prefix `0x01` + 16-byte GUID) and header framing
 * (`__value_schema_id` / `__key_schema_id`), as Confluent's DualSchemaIdDeserializer reads them.
 */
import * as avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  parseFrame,
  type RegisteredSchema,
  type SchemaInfo,
  type SchemaSource,
} from '../../src/index';
import {
  formatGuid,
  frame,
  frameGuid,
  guidHeaderValue,
  guidToBytes,
  headerBytes,
  isGuid,
  KEY_SCHEMA_ID_HEADER,
  parseSchemaIdFrame,
  parseSchemaIdHeader,
  VALUE_SCHEMA_ID_HEADER,
} from '../../src/serde/framing';
import { countingSchemaRegistry, customer, customerSchema, encryptRuleSet, SECRET } from '../helpers/fixtures';

const GUID = '0123abcd-4567-89ef-fedc-ba9876543210';
const GUID_BYTES = Buffer.from('0123abcd456789effedcba9876543210', 'hex');
const kms = { 'local-kms': { secret: SECRET } };
const type = avsc.Type.forSchema(customerSchema as avsc.Schema);

async function failure(p: Promise<unknown> | (() => unknown)): Promise<CsfleError> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CsfleError);
  return err as CsfleError;
}

describe('framing: GUIDs', () => {
  it('formats 16 bytes as a textual UUID, hex pairs left to right, and back', () => {
    expect(formatGuid(GUID_BYTES)).toBe(GUID);
    expect(guidToBytes(GUID)).toEqual(GUID_BYTES);
    expect(guidToBytes(GUID.toUpperCase())).toEqual(GUID_BYTES);
    expect(isGuid(GUID)).toBe(true);
    expect(isGuid('0123abcd')).toBe(false);
    expect(() => guidToBytes('not-a-guid')).toThrow(CsfleError);
  });

  it('parses a V1 prefix: magic 1 + GUID, payload after 17 bytes', () => {
    const bytes = Buffer.concat([Buffer.of(1), GUID_BYTES, Buffer.from('payload')]);
    const f = parseSchemaIdFrame(bytes);
    expect(f.guid).toBe(GUID);
    expect(f.schemaId).toBeUndefined();
    expect(f.payload.toString()).toBe('payload');
    expect(frameGuid(GUID, Buffer.from('payload'))).toEqual(bytes);
    // An empty payload is a valid frame.
    expect(parseSchemaIdFrame(bytes.subarray(0, 17)).payload.length).toBe(0);
  });

  it('parses a V0 prefix unchanged (parseSchemaIdFrame and parseFrame agree)', () => {
    const bytes = frame(0x01020304, Buffer.from('abc'));
    expect(bytes.subarray(0, 5)).toEqual(Buffer.from('0001020304', 'hex'));
    const f = parseSchemaIdFrame(bytes);
    expect(f.schemaId).toBe(0x01020304);
    expect(f.guid).toBeUndefined();
    expect(f.payload.toString()).toBe('abc');
    expect(parseFrame(bytes)).toEqual({ schemaId: 0x01020304, payload: Buffer.from('abc') });
  });

  it('rejects a truncated GUID frame with INVALID_FRAMING, without quoting the bytes', async () => {
    const truncated = Buffer.concat([Buffer.of(1), GUID_BYTES.subarray(0, 10)]);
    const err = await failure(() => parseSchemaIdFrame(truncated, 't'));
    expect(err.code).toBe('INVALID_FRAMING');
    expect(err.message).toMatch(/too short/);
    expect(err.message).not.toContain(GUID_BYTES.subarray(0, 10).toString('hex'));
    expect(err.message).not.toContain('0123abcd');
  });

  it('rejects unknown magic bytes and short input with INVALID_FRAMING', async () => {
    for (const bytes of [Buffer.from([2, 0, 0, 0, 1, 9, 9]), Buffer.from('{"json":true}'), Buffer.alloc(0), Buffer.of(0, 0, 1)]) {
      expect((await failure(() => parseSchemaIdFrame(bytes))).code).toBe('INVALID_FRAMING');
    }
    expect((await failure(() => parseSchemaIdFrame(Buffer.from([7, 1, 2, 3, 4, 5])))).message).toMatch(/Unknown magic byte 7/);
    expect((await failure(() => parseSchemaIdFrame('x' as unknown as Buffer))).code).toBe('INVALID_FRAMING');
  });

  it('parseFrame keeps reading V0 only (its schemaId is always a number)', async () => {
    const err = await failure(() => parseFrame(frameGuid(GUID, Buffer.from('x'))));
    expect(err.code).toBe('INVALID_FRAMING');
    expect(err.message).toMatch(/magic byte 1/);
    expect((await failure(() => parseFrame(Buffer.of(0, 1)))).message).toMatch(/too short/);
  });
});

describe('framing: schema-id header values', () => {
  it('reads a Buffer header (magic 1 + GUID; trailing bytes ignored)', () => {
    expect(parseSchemaIdHeader(guidHeaderValue(GUID))).toEqual({ guid: GUID, headerRest: Buffer.alloc(0) });
    // Bytes after the GUID are the Protobuf message indexes, kept for the format.
    expect(parseSchemaIdHeader(Buffer.concat([guidHeaderValue(GUID), Buffer.of(0)]))).toEqual({ guid: GUID, headerRest: Buffer.of(0) });
  });

  it('reads a string header as its UTF-8 bytes', () => {
    // A header string whose UTF-8 bytes are magic 1 + GUID bytes (all bytes < 0x80 here).
    const ascii = Buffer.concat([Buffer.of(1), Buffer.from('0123456789abcdef')]);
    const asString = ascii.toString('utf8');
    expect(headerBytes(asString)).toEqual(ascii);
    expect(parseSchemaIdHeader(asString)).toMatchObject({ guid: formatGuid(Buffer.from('0123456789abcdef')) });
    // A string is not decoded as latin1/binary: a char ≥ 0x80 takes two bytes.
    expect(headerBytes('\u0001\u00ff')).toEqual(Buffer.of(1, 0xc3, 0xbf));
  });

  it('takes the last value of a repeated header; an empty array or no value means "no header"', () => {
    const other = '11111111-2222-3333-4444-555555555555';
    expect(parseSchemaIdHeader([guidHeaderValue(other), guidHeaderValue(GUID)])).toMatchObject({ guid: GUID });
    expect(parseSchemaIdHeader([])).toBeUndefined();
    expect(parseSchemaIdHeader(undefined)).toBeUndefined();
    expect(parseSchemaIdHeader(null)).toBeUndefined();
  });

  it('accepts magic 0 + schema id in a header, like Confluent', () => {
    expect(parseSchemaIdHeader(frame(42, Buffer.alloc(0)))).toEqual({ schemaId: 42, headerRest: Buffer.alloc(0) });
  });

  it('rejects a truncated or unknown header value with INVALID_FRAMING naming the header', async () => {
    const truncated = await failure(() => parseSchemaIdHeader(guidHeaderValue(GUID).subarray(0, 9), 't', KEY_SCHEMA_ID_HEADER));
    expect(truncated.code).toBe('INVALID_FRAMING');
    expect(truncated.message).toContain(KEY_SCHEMA_ID_HEADER);
    expect(truncated.message).not.toContain('0123abcd');
    expect((await failure(() => parseSchemaIdHeader(Buffer.of(5, 1, 2, 3, 4, 5)))).message).toMatch(/Unknown magic byte 5 in header __value_schema_id/);
    expect((await failure(() => parseSchemaIdHeader(Buffer.alloc(0)))).code).toBe('INVALID_FRAMING');
    expect((await failure(() => parseSchemaIdHeader(Buffer.of(0, 1)))).code).toBe('INVALID_FRAMING');
  });
});

describe('InMemorySchemaRegistry GUIDs', () => {
  const info: SchemaInfo = { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet({ 'encrypt.kms.type': 'local-kms' }) };

  it('assigns a random GUID per stored schema and resolves it', async () => {
    const reg = new InMemorySchemaRegistry();
    const id = await reg.register('a-value', info);
    const byId = await reg.getById(id);
    expect(isGuid(byId.guid)).toBe(true);
    expect((await reg.getLatest('a-value')).guid).toBe(byId.guid);
    // The same schema in another subject: same id, same GUID.
    expect(await reg.register('b-value', info)).toBe(id);
    expect((await reg.getLatest('b-value')).guid).toBe(byId.guid);
    const byGuid = await reg.getByGuid(byId.guid!.toUpperCase());
    expect(byGuid).toMatchObject({ id, guid: byId.guid, schema: info.schema });
    expect(byGuid.ruleSet).toEqual(info.ruleSet);
    const other = await reg.register('c-value', { schema: '"string"' });
    expect((await reg.getById(other)).guid).not.toBe(byId.guid);
    expect((await failure(reg.getByGuid(GUID))).code).toBe('SCHEMA_NOT_FOUND');
  });

  it('imports a schema under a given id and GUID, and refuses conflicting GUIDs', async () => {
    const reg = new InMemorySchemaRegistry();
    expect(await reg.register('a-value', info, { id: 7, guid: GUID.toUpperCase() })).toBe(7);
    expect(await reg.getByGuid(GUID)).toMatchObject({ id: 7, guid: GUID });
    // Same schema, same GUID: idempotent.
    expect(await reg.register('a-value', info, { id: 7, guid: GUID })).toBe(7);
    // Same schema with another GUID; another schema with this GUID; a malformed GUID.
    expect((await failure(reg.register('a-value', info, { guid: '11111111-2222-3333-4444-555555555555' }))).code).toBe('CONFLICT');
    expect((await failure(reg.register('b-value', { schema: '"string"' }, { guid: GUID }))).code).toBe('CONFLICT');
    expect((await failure(reg.register('b-value', { schema: '"string"' }, { guid: 'nope' }))).code).toBe('INVALID_REQUEST');
  });
});

describe('AvroDeserializer: GUID and header framing', () => {
  const topic = 'customers';
  const ruleSet = encryptRuleSet({ 'encrypt.kms.type': 'local-kms' });

  /** Our serializer writes V0; the same payload is re-framed with the schema GUID. */
  async function produce(isKey = false) {
    const { registry, calls } = countingSchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const serializer = new AvroSerializer({ schemaRegistry: registry, dekRegistry, kms, isKey, schema: { schema: JSON.stringify(customerSchema), ruleSet } });
    const v0 = await serializer.serialize(topic, customer);
    const { schemaId, payload } = parseFrame(v0);
    const guid = (await registry.getById(schemaId)).guid!;
    for (const k of Object.keys(calls)) delete calls[k];
    return { registry, calls, dekRegistry, v0, schemaId, payload, guid, v1: frameGuid(guid, payload) };
  }

  it('reads a V1 prefix (magic 1 + GUID) and decrypts', async () => {
    const p = await produce();
    // The encrypted fields really are ciphertext in the payload.
    expect((type.fromBuffer(p.payload) as typeof customer).ssn).not.toBe(customer.ssn);
    const d = new AvroDeserializer({ schemaRegistry: p.registry, dekRegistry: p.dekRegistry, kms });
    expect(await d.deserialize(topic, p.v1)).toEqual(customer);
    expect(await d.deserialize(topic, p.v0)).toEqual(customer);
  });

  it('reads header framing (Buffer, string, repeated) with an unprefixed payload', async () => {
    const p = await produce();
    const d = new AvroDeserializer({ schemaRegistry: p.registry, dekRegistry: p.dekRegistry, kms });
    const h = guidHeaderValue(p.guid);
    expect(await d.deserialize(topic, p.payload, { [VALUE_SCHEMA_ID_HEADER]: h })).toEqual(customer);
    expect(await d.deserialize(topic, p.payload, { [VALUE_SCHEMA_ID_HEADER]: [Buffer.of(9), h], other: 'x' })).toEqual(customer);
    // A magic 0 + id header works too.
    expect(await d.deserialize(topic, p.payload, { [VALUE_SCHEMA_ID_HEADER]: frame(p.schemaId, Buffer.alloc(0)) })).toEqual(customer);
    // Headers without ours (or an empty repeated header): the prefix applies.
    expect(await d.deserialize(topic, p.v1, { [KEY_SCHEMA_ID_HEADER]: h, [VALUE_SCHEMA_ID_HEADER]: [] })).toEqual(customer);
    expect(await d.deserialize(topic, p.v0, {})).toEqual(customer);
  });

  it('reads a string header taken as UTF-8 bytes (a GUID whose bytes are all ASCII)', async () => {
    const asciiGuid = formatGuid(Buffer.from('0123456789abcdef'));
    const p = await produce();
    const registry = new InMemorySchemaRegistry();
    await registry.register(`${topic}-value`, await p.registry.getById(p.schemaId), { id: p.schemaId, guid: asciiGuid });
    const d = new AvroDeserializer({ schemaRegistry: registry, dekRegistry: p.dekRegistry, kms });
    const header = guidHeaderValue(asciiGuid).toString('utf8');
    expect(typeof header).toBe('string');
    expect(await d.deserialize(topic, p.payload, { [VALUE_SCHEMA_ID_HEADER]: header })).toEqual(customer);
  });

  it('the header wins over a prefix-looking payload; a key serde reads __key_schema_id', async () => {
    const p = await produce(true);
    const key = new AvroDeserializer({ schemaRegistry: p.registry, dekRegistry: p.dekRegistry, kms, isKey: true });
    const headers = { [KEY_SCHEMA_ID_HEADER]: guidHeaderValue(p.guid), [VALUE_SCHEMA_ID_HEADER]: Buffer.of(7, 7, 7) };
    expect(await key.deserialize(topic, p.payload, headers)).toEqual(customer);
    // With the header present, a V0-framed payload is not unwrapped: it fails to decode.
    expect((await failure(key.deserialize(topic, p.v0, headers))).code).toBe('DESERIALIZATION_FAILED');
    // The value serde reads __value_schema_id (here garbage) and refuses it.
    const value = new AvroDeserializer({ schemaRegistry: p.registry, dekRegistry: p.dekRegistry, kms });
    expect((await failure(value.deserialize(topic, p.payload, headers))).code).toBe('INVALID_FRAMING');
  });

  it('caches GUID → context: one registry lookup for many records, coalesced', async () => {
    const p = await produce();
    const d = new AvroDeserializer({ schemaRegistry: p.registry, dekRegistry: p.dekRegistry, kms });
    const headers = { [VALUE_SCHEMA_ID_HEADER]: guidHeaderValue(p.guid) };
    await Promise.all([d.deserialize(topic, p.v1), d.deserialize(topic, p.payload, headers), d.deserialize(topic, p.v1)]);
    for (let i = 0; i < 20; i++) await d.deserialize(topic, i % 2 ? p.v1 : p.payload, i % 2 ? undefined : headers);
    expect(p.calls.getByGuid).toBe(1);
    expect(p.calls.getById ?? 0).toBe(0);
  });

  it('an unknown GUID is SCHEMA_NOT_FOUND; a truncated V1 frame is INVALID_FRAMING', async () => {
    const p = await produce();
    const d = new AvroDeserializer({ schemaRegistry: p.registry, dekRegistry: p.dekRegistry, kms });
    const unknown = await failure(d.deserialize(topic, frameGuid(GUID, p.payload)));
    expect(unknown.code).toBe('SCHEMA_NOT_FOUND');
    expect(unknown.message).toContain(GUID);
    const truncated = await failure(d.deserialize(topic, p.v1.subarray(0, 12)));
    expect(truncated.code).toBe('INVALID_FRAMING');
    expect(truncated.message).not.toContain(p.guid.slice(0, 8));
  });

  it('a schema source without getByGuid: INVALID_FRAMING naming the limitation; V0 still works', async () => {
    const p = await produce();
    const inner = p.registry;
    const noGuid: SchemaSource = {
      register: (s, i) => inner.register(s, i),
      getById: (id, s) => inner.getById(id, s),
      getLatest: (s) => inner.getLatest(s),
      getByVersion: (s, v) => inner.getByVersion(s, v),
    };
    const d = new AvroDeserializer({ schemaRegistry: noGuid, dekRegistry: p.dekRegistry, kms });
    const err = await failure(d.deserialize(topic, p.v1));
    expect(err.code).toBe('INVALID_FRAMING');
    expect(err.name).toBe('SerdeError');
    expect(err.message).toMatch(/cannot resolve schema GUIDs \(it has no getByGuid\)/);
    const viaHeader = await failure(d.deserialize(topic, p.payload, { [VALUE_SCHEMA_ID_HEADER]: guidHeaderValue(p.guid) }));
    expect(viaHeader.code).toBe('INVALID_FRAMING');
    expect(await d.deserialize(topic, p.v0)).toEqual(customer);
  });

  it('a GUID resolved without an id (registry answers without one) still decrypts', async () => {
    const p = await produce();
    const inner = p.registry;
    const source: SchemaSource = {
      register: (s, i) => inner.register(s, i),
      getById: (id, s) => inner.getById(id, s),
      getLatest: (s) => inner.getLatest(s),
      getByVersion: (s, v) => inner.getByVersion(s, v),
      async getByGuid(guid): Promise<RegisteredSchema> {
        const { id: _id, ...rest } = await inner.getByGuid(guid);
        void _id;
        return { ...rest, id: -1 };
      },
    };
    const d = new AvroDeserializer({ schemaRegistry: source, dekRegistry: p.dekRegistry, kms });
    expect(await d.deserialize(topic, p.v1)).toEqual(customer);
    // Errors then carry no (bogus) schema id.
    const corrupt = Buffer.concat([p.v1.subarray(0, 17), Buffer.of(0xff, 0xff)]);
    const err = await failure(d.deserialize(topic, corrupt));
    expect(err.code).toBe('DESERIALIZATION_FAILED');
    expect(err.context.schemaId).toBeUndefined();
  });
});
