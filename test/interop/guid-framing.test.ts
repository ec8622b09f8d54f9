/**
 * Interop of schema-GUID framing with Confluent's JS client (@confluentinc/schemaregistry 1.10.1):
 * Confluent writes encrypted records with a V1 prefix (`0x01` + GUID, through a custom
 * `schemaIdSerializer` built on `SchemaId.guidToBytes`) and with header framing
 * (`HeaderSchemaIdSerializer`: `__value_schema_id` / `__key_schema_id`, unprefixed payload);
 * kafka-csfle reads them after mirroring the schema (same id and same GUID) and the keys.
 */
import { HeaderSchemaIdSerializer, SerdeType, type SchemaIdSerializerFunc } from '@confluentinc/schemaregistry';
import * as avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import type { DekAlgorithm, RuleSet } from '../../src/index';
import { formatGuid, KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER, type RecordHeaders } from '../../src/serde/framing';
import { customerSchema, customers, encryptedPaths, plain } from './fixtures';
import { ALGORITHMS, ConfluentSide, encryptRuleSet, KEK_NAME, KMS_KEY_ID, KMS_TYPE, mirrorKeysToOurs, OurSide, schemaInfo } from './helpers';

const topic = 'guids';
const type = avsc.Type.forSchema(customerSchema as avsc.Schema);

/** V1 prefix framing: Confluent's `SchemaId.guidToBytes()` (magic 1 + GUID) before the payload. */
const prefixGuidSerializer: SchemaIdSerializerFunc = (_topic, _serdeType, payload, schemaId) => Buffer.concat([schemaId.guidToBytes(), payload]);

/** Registers on Confluent's mock, mirrors schema (same id, same GUID) and keys into ours. */
async function setup(subject: string, info: ReturnType<typeof schemaInfo>, algorithm: DekAlgorithm, write: (c: ConfluentSide) => Promise<void>) {
  const confluent = new ConfluentSide();
  const id = await confluent.register(subject, info, 21);
  const { guid } = await confluent.client.getLatestSchemaMetadata(subject);
  expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await write(confluent);
  const ours = new OurSide();
  expect(await ours.schemas.register(subject, info, { id, guid: guid! })).toBe(id);
  await mirrorKeysToOurs(confluent, ours, subject, algorithm);
  return { confluent, ours, id, guid: guid! };
}

describe.each(ALGORITHMS)('GUID framing interop %s', (algorithm: DekAlgorithm) => {
  const subject = `${topic}-value`;
  const info = schemaInfo(customerSchema, encryptRuleSet(algorithm));

  it('Confluent V1 prefix (magic 1 + GUID) → kafka-csfle', async () => {
    const written: Buffer[] = [];
    const { ours, guid, confluent } = await setup(subject, info, algorithm, async (c) => {
      const ser = c.serializer({ schemaIdSerializer: prefixGuidSerializer });
      for (const r of customers) written.push(await c.serialize(ser, topic, r));
    });
    const first = written[0]!;
    expect(first[0]).toBe(1);
    expect(formatGuid(first.subarray(1, 17))).toBe(guid);
    expect(encryptedPaths(customers[0], type.fromBuffer(first.subarray(17)))).toEqual(['email', 'name', 'phone', 'ssn']);

    const deser = ours.deserializer();
    for (let i = 0; i < written.length; i++) {
      expect(plain(await deser.deserialize(topic, written[i]!))).toEqual(plain(customers[i]));
    }
    // Oracle sanity: Confluent's default (Dual) deserializer reads its own V1 records too.
    expect(plain(await confluent.deserializer().deserialize(topic, first))).toEqual(plain(customers[0]));
  });

  it('Confluent header framing (HeaderSchemaIdSerializer) → kafka-csfle', async () => {
    const written: Array<{ value: Buffer; headers: RecordHeaders }> = [];
    const { ours, guid, confluent } = await setup(subject, info, algorithm, async (c) => {
      const ser = c.serializer({ schemaIdSerializer: HeaderSchemaIdSerializer });
      for (const r of customers) {
        const headers: RecordHeaders = {};
        written.push({ value: await ser.serialize(topic, structuredClone(r), headers), headers });
      }
    });
    const { value, headers } = written[0]!;
    const header = headers[VALUE_SCHEMA_ID_HEADER] as Buffer;
    expect(Buffer.isBuffer(header)).toBe(true);
    expect(header.length).toBe(17);
    expect(header[0]).toBe(1);
    expect(formatGuid(header.subarray(1))).toBe(guid);
    // No prefix at all: the value is the Avro payload.
    expect(encryptedPaths(customers[0], type.fromBuffer(value))).toEqual(['email', 'name', 'phone', 'ssn']);

    const deser = ours.deserializer();
    for (let i = 0; i < written.length; i++) {
      expect(plain(await deser.deserialize(topic, written[i]!.value, written[i]!.headers))).toEqual(plain(customers[i]));
    }
    // As a consumer may see it: a repeated header (the last value counts) next to other headers.
    const repeated = { trace: 'abc', [VALUE_SCHEMA_ID_HEADER]: [Buffer.of(0, 0, 0, 0, 99), header] };
    expect(plain(await deser.deserialize(topic, value, repeated))).toEqual(plain(customers[0]));
    expect(plain(await confluent.deserializer().deserialize(topic, value, headers))).toEqual(plain(customers[0]));
  });
});

describe('GUID framing interop: key serdes, payload encryption, mirroring', () => {
  it('key serde: Confluent writes __key_schema_id; kafka-csfle (isKey) reads it', async () => {
    const subject = `${topic}-key`;
    const info = schemaInfo(customerSchema, encryptRuleSet('AES256_SIV'));
    let value!: Buffer;
    const headers: RecordHeaders = {};
    const { ours } = await setup(subject, info, 'AES256_SIV', async (c) => {
      const ser = c.serializer({ schemaIdSerializer: HeaderSchemaIdSerializer }, SerdeType.KEY);
      value = await ser.serialize(topic, structuredClone(customers[1]), headers);
    });
    expect(Object.keys(headers)).toEqual([KEY_SCHEMA_ID_HEADER]);
    expect(plain(await ours.deserializer({ isKey: true }).deserialize(topic, value, headers))).toEqual(plain(customers[1]));
    // A value serde does not look at the key header: the unprefixed payload is not framed.
    const err = await ours.deserializer().deserialize(topic, value, headers).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(err?.code).toBe('INVALID_FRAMING');
  });

  it('ENCRYPT_PAYLOAD with field encryption, header framing and V1 prefix', async () => {
    const subject = `${topic}-value`;
    const ruleSet: RuleSet = {
      domainRules: encryptRuleSet('AES256_GCM').domainRules,
      encodingRules: [
        {
          name: 'encrypt-payload',
          kind: 'TRANSFORM',
          mode: 'WRITEREAD',
          type: 'ENCRYPT_PAYLOAD',
          params: { 'encrypt.kek.name': KEK_NAME, 'encrypt.kms.type': KMS_TYPE, 'encrypt.kms.key.id': KMS_KEY_ID, 'encrypt.dek.algorithm': 'AES256_GCM' },
          onFailure: 'ERROR,ERROR',
        },
      ],
    };
    const info = schemaInfo(customerSchema, ruleSet);
    const headers: RecordHeaders = {};
    let viaHeader!: Buffer;
    let viaPrefix!: Buffer;
    const { ours } = await setup(subject, info, 'AES256_GCM', async (c) => {
      viaHeader = await c.serializer({ schemaIdSerializer: HeaderSchemaIdSerializer }).serialize(topic, structuredClone(customers[0]), headers);
      viaPrefix = await c.serialize(c.serializer({ schemaIdSerializer: prefixGuidSerializer }), topic, customers[0]);
    });
    expect(viaHeader.includes(Buffer.from(customers[0]!.email))).toBe(false);
    expect(viaPrefix[0]).toBe(1);
    const deser = ours.deserializer();
    expect(plain(await deser.deserialize(topic, viaHeader, headers))).toEqual(plain(customers[0]));
    expect(plain(await deser.deserialize(topic, viaPrefix))).toEqual(plain(customers[0]));
  });

  it('V0 and GUID-framed records of one schema interleave on one deserializer', async () => {
    const subject = `${topic}-value`;
    const info = schemaInfo(customerSchema, encryptRuleSet('AES256_GCM'));
    const records: Array<[Buffer, RecordHeaders | undefined]> = [];
    const { ours } = await setup(subject, info, 'AES256_GCM', async (c) => {
      const v0 = c.serializer();
      const v1 = c.serializer({ schemaIdSerializer: prefixGuidSerializer });
      const hdr = c.serializer({ schemaIdSerializer: HeaderSchemaIdSerializer });
      for (const r of customers) {
        records.push([await c.serialize(v0, topic, r), undefined]);
        records.push([await c.serialize(v1, topic, r), undefined]);
        const headers: RecordHeaders = {};
        records.push([await hdr.serialize(topic, structuredClone(r), headers), headers]);
      }
    });
    const deser = ours.deserializer();
    for (let i = 0; i < records.length; i++) {
      const [bytes, headers] = records[i]!;
      expect(plain(await deser.deserialize(topic, bytes, headers))).toEqual(plain(customers[Math.floor(i / 3)]));
    }
  });

  it('a schema mirrored without its GUID cannot resolve GUID-framed records (SCHEMA_NOT_FOUND)', async () => {
    const subject = `${topic}-value`;
    const info = schemaInfo(customerSchema, encryptRuleSet('AES256_GCM'));
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 5);
    const bytes = await confluent.serialize(confluent.serializer({ schemaIdSerializer: prefixGuidSerializer }), topic, customers[0]);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id }); // random GUID on our side
    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_GCM');
    const err = await ours.deserializer().deserialize(topic, bytes).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(err?.code).toBe('SCHEMA_NOT_FOUND');
  });
});
