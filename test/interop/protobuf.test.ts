/**
 * Protobuf interop with Confluent's JS client (@confluentinc/schemaregistry 1.10.1) as the
 * oracle, both directions: every DEK algorithm, SIV byte-identical output, message indexes,
 * inline and metadata tags, oneof / optional / bytes fields, rotation and payload encryption.
 * (Tags inside nested, repeated and map values are covered by our own round trips in
 * test/serde/protobuf-serde.test.ts: Confluent's JS client writes those in clear.)
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { HeaderSchemaIdSerializer } from '@confluentinc/schemaregistry';
import { describe, expect, it } from 'vitest';
import { CsfleError, VALUE_SCHEMA_ID_HEADER, type DekAlgorithm, type RecordHeaders } from '../../src/index';
import { ALGORITHMS, ConfluentSide, DAY_MS, dekVersionOf, encryptRuleSet, mirrorKeysToConfluent, mirrorKeysToOurs, OurSide, payloadRuleSet, schemaIdOf } from './helpers';
import {
  auditRecord,
  confluentProtoDeserializer,
  confluentProtoSerializer,
  confluentRegistry,
  customerMetadata,
  customerProto,
  customerRecords,
  expected,
  ourProtoDeserializer,
  ourProtoSerializer,
  parsed,
  plainMessage,
  protoInfo,
  serializedSchema,
} from './protobuf-fixtures';

const topic = 'proto-interop';
const subject = `${topic}-value`;
const p = parsed();
const customer = p.messages.get('acme.v1.Customer')!;
const audit = p.messages.get('acme.v1.Audit')!;

/** The body (after framing and the `[0]` index byte) decoded without decryption. */
function rawCustomer(bytes: Buffer): Record<string, unknown> {
  expect(bytes[5]).toBe(0);
  return fromBinary(customer, bytes.subarray(6)) as unknown as Record<string, unknown>;
}

function checkEncrypted(bytes: Buffer, record: Record<string, unknown>): void {
  const raw = rawCustomer(bytes);
  expect(raw['name']).not.toBe(record['name']);
  expect(Buffer.from(raw['name'] as string, 'base64').length).toBeGreaterThanOrEqual(Buffer.byteLength(record['name'] as string) + 16);
  if (record['ssn'] !== undefined) expect(raw['ssn']).not.toBe(record['ssn']);
  if (record['nick'] !== undefined) expect(raw['nick']).not.toBe(record['nick']);
  if (record['photo'] !== undefined) expect((raw['photo'] as Uint8Array).length).toBeGreaterThan((record['photo'] as Uint8Array).length + 15);
  expect(raw['empty']).not.toBe('');
  const created = create(customer, record as never) as unknown as Record<string, unknown>;
  expect(raw['id']).toBe(created['id']);
  expect(raw['home']).toEqual(created['home']);
}

describe.each(ALGORITHMS)('Protobuf interop %s', (algorithm: DekAlgorithm) => {
  const info = protoInfo(serializedSchema(), encryptRuleSet(algorithm), customerMetadata);

  it('Confluent ProtobufSerializer → kafka-csfle ProtobufDeserializer', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 21);
    const ser = confluentProtoSerializer(confluent, confluentRegistry(p));
    const written: Buffer[] = [];
    for (const r of customerRecords) written.push(await ser.serialize(topic, create(customer, r as never)));
    expect(schemaIdOf(written[0]!)).toBe(id);
    checkEncrypted(written[0]!, customerRecords[0]!);

    const ours = new OurSide();
    expect(await ours.schemas.register(subject, info, { id })).toBe(id);
    await mirrorKeysToOurs(confluent, ours, subject, algorithm);
    const deser = ourProtoDeserializer(ours);
    for (let i = 0; i < written.length; i++) expect(plainMessage(await deser.deserialize(topic, written[i]!))).toEqual(expected(customer, customerRecords[i]!));
  });

  it('kafka-csfle ProtobufSerializer → Confluent ProtobufDeserializer', async () => {
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    const ser = ourProtoSerializer(ours);
    const written: Buffer[] = [];
    for (const r of customerRecords) written.push(await ser.serialize(topic, r));
    expect(schemaIdOf(written[0]!)).toBe(id);
    checkEncrypted(written[0]!, customerRecords[0]!);

    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    await mirrorKeysToConfluent(ours, confluent, subject, algorithm);
    const deser = confluentProtoDeserializer(confluent);
    for (let i = 0; i < written.length; i++) expect(plainMessage(await deser.deserialize(topic, written[i]!))).toEqual(expected(customer, customerRecords[i]!));
  });

  it('same DEK: same framing and sizes (SIV: byte-identical); second message type → indexes [1]', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const ser = confluentProtoSerializer(confluent, confluentRegistry(p));
    const first = await ser.serialize(topic, create(customer, customerRecords[0] as never));
    await mirrorKeysToOurs(confluent, ours, subject, algorithm);
    const mySer = ourProtoSerializer(ours);
    const mine = await mySer.serialize(topic, customerRecords[0]);
    expect(mine.length).toBe(first.length);
    expect(mine.subarray(0, 6)).toEqual(first.subarray(0, 6));
    const theirAudit = await ser.serialize(topic, create(audit, auditRecord));
    const myAudit = await mySer.serialize(topic, create(audit, auditRecord));
    expect(theirAudit.subarray(5, 7)).toEqual(Buffer.from([2, 2]));
    expect(myAudit.subarray(5, 7)).toEqual(Buffer.from([2, 2]));
    const deser = ourProtoDeserializer(ours);
    expect(plainMessage(await deser.deserialize(topic, theirAudit))).toEqual(plainMessage(create(audit, auditRecord)));
    expect(plainMessage(await confluentProtoDeserializer(confluent).deserialize(topic, myAudit))).toEqual(plainMessage(create(audit, auditRecord)));
    if (algorithm === 'AES256_SIV') {
      for (const r of customerRecords) {
        expect((await mySer.serialize(topic, r)).toString('hex')).toBe((await ser.serialize(topic, create(customer, r as never))).toString('hex'));
      }
      expect(myAudit.toString('hex')).toBe(theirAudit.toString('hex'));
    } else {
      expect(mine.equals(first)).toBe(false);
    }
  });
});

describe.each(['AES256_GCM', 'AES256_SIV'] as DekAlgorithm[])('Protobuf %s', (algorithm) => {
  it('rotation: Confluent writes v1 and v2, we read both; we write v2 and Confluent reads it', async () => {
    const info = protoInfo(serializedSchema(), encryptRuleSet(algorithm, { 'encrypt.dek.expiry.days': '1' }), customerMetadata);
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 4);
    const ser = confluentProtoSerializer(confluent, confluentRegistry(p));
    const a = await ser.serialize(topic, create(customer, customerRecords[0] as never));
    confluent.clock.fixedNow += 2 * DAY_MS;
    const b = await ser.serialize(topic, create(customer, customerRecords[1] as never));
    expect(dekVersionOf(rawCustomer(a)['name'] as string)).toBe(1);
    expect(dekVersionOf(rawCustomer(b)['name'] as string)).toBe(2);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, algorithm, [1, 2]);
    const deser = ourProtoDeserializer(ours);
    expect(plainMessage(await deser.deserialize(topic, b))).toEqual(expected(customer, customerRecords[1]!));
    expect(plainMessage(await deser.deserialize(topic, a))).toEqual(expected(customer, customerRecords[0]!));
    const c = await ourProtoSerializer(ours).serialize(topic, customerRecords[2]);
    expect(dekVersionOf(rawCustomer(c)['name'] as string)).toBe(2);
    expect(plainMessage(await confluentProtoDeserializer(confluent).deserialize(topic, c))).toEqual(expected(customer, customerRecords[2]!));
  });

  it('rotation: we write v1 and v2; Confluent reads both', async () => {
    const info = protoInfo(serializedSchema(), encryptRuleSet(algorithm, { 'encrypt.dek.expiry.days': '1' }), customerMetadata);
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    ours.now = Date.now() - 2 * DAY_MS;
    const ser = ourProtoSerializer(ours);
    const a = await ser.serialize(topic, customerRecords[0]);
    ours.now = Date.now();
    const b = await ser.serialize(topic, customerRecords[1]);
    expect(dekVersionOf(rawCustomer(b)['name'] as string)).toBe(2);
    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    expect(await mirrorKeysToConfluent(ours, confluent, subject, algorithm)).toEqual([1, 2]);
    const deser = confluentProtoDeserializer(confluent);
    expect(plainMessage(await deser.deserialize(topic, a))).toEqual(expected(customer, customerRecords[0]!));
    expect(plainMessage(await deser.deserialize(topic, b))).toEqual(expected(customer, customerRecords[1]!));
  });

  describe.each([false, true])('ENCRYPT_PAYLOAD (field rule too: %s)', (withFieldRule) => {
    it('both directions; message indexes stay in clear', async () => {
      const info = protoInfo(serializedSchema(), payloadRuleSet(algorithm, withFieldRule), customerMetadata);
      const confluent = new ConfluentSide();
      const id = await confluent.register(subject, info, 9);
      const ser = confluentProtoSerializer(confluent, confluentRegistry(p));
      const theirs = await ser.serialize(topic, create(customer, customerRecords[0] as never));
      expect(theirs[5]).toBe(0);
      expect(theirs.includes(Buffer.from('London'))).toBe(false);
      const ours = new OurSide();
      await ours.schemas.register(subject, info, { id });
      await mirrorKeysToOurs(confluent, ours, subject, algorithm);
      expect(plainMessage(await ourProtoDeserializer(ours).deserialize(topic, theirs))).toEqual(expected(customer, customerRecords[0]!));
      const mine = await ourProtoSerializer(ours).serialize(topic, customerRecords[0]);
      expect(mine.length).toBe(theirs.length);
      if (algorithm === 'AES256_SIV') expect(mine.equals(theirs)).toBe(true);
      const theirAudit = await ser.serialize(topic, create(audit, auditRecord));
      expect(theirAudit.subarray(5, 7)).toEqual(Buffer.from([2, 2]));
      expect(plainMessage(await ourProtoDeserializer(ours).deserialize(topic, theirAudit))).toEqual(plainMessage(create(audit, auditRecord)));
      expect(plainMessage(await confluentProtoDeserializer(confluent).deserialize(topic, mine))).toEqual(expected(customer, customerRecords[0]!));
    });
  });
});

describe('Protobuf GUID framing from Confluent', () => {
  it('header framing (GUID + message indexes in the header, bare body) and V1 prefix → kafka-csfle', async () => {
    const algorithm: DekAlgorithm = 'AES256_GCM';
    const info = protoInfo(serializedSchema(), encryptRuleSet(algorithm), customerMetadata);
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 31);
    const { guid } = await confluent.client.getLatestSchemaMetadata(subject);
    const headerSer = confluentProtoSerializer(confluent, confluentRegistry(p), { schemaIdSerializer: HeaderSchemaIdSerializer });
    const headers: RecordHeaders = {};
    const value = await headerSer.serialize(topic, create(audit, auditRecord), headers);
    const header = headers[VALUE_SCHEMA_ID_HEADER] as Buffer;
    expect(header.length).toBe(19); // 0x01 + GUID + indexes [1] (02 02)
    expect(header.subarray(17)).toEqual(Buffer.from([2, 2]));
    const prefixSer = confluentProtoSerializer(confluent, confluentRegistry(p), {
      schemaIdSerializer: (_t, _s, payload, schemaId) => Buffer.concat([schemaId.guidToBytes(), payload]),
    });
    const v1 = await prefixSer.serialize(topic, create(customer, customerRecords[0] as never));
    expect(v1[0]).toBe(1);

    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id, guid: guid! });
    await mirrorKeysToOurs(confluent, ours, subject, algorithm);
    const deser = ourProtoDeserializer(ours);
    expect(plainMessage(await deser.deserialize(topic, value, headers))).toEqual(plainMessage(create(audit, auditRecord)));
    expect(plainMessage(await deser.deserialize(topic, v1))).toEqual(expected(customer, customerRecords[0]!));
  });
});

describe('a tag on a field that cannot be encrypted (fail closed on produce)', () => {
  const taggedProto = customerProto.replace('Address home = 8;', 'Address home = 8 [(confluent.field_meta).tags = "PII"];');
  const tp = parsed(taggedProto);
  const tcustomer = tp.messages.get('acme.v1.Customer')!;

  it('tagged message field: Confluent writes it in clear; ours refuses the write and reads theirs with one warning', async () => {
    const info = protoInfo(serializedSchema(taggedProto), encryptRuleSet('AES256_SIV'));
    const record = customerRecords[0]!;
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const theirs = await confluentProtoSerializer(confluent, confluentRegistry(tp)).serialize(topic, create(tcustomer, record as never));
    const raw = fromBinary(tcustomer, theirs.subarray(6)) as unknown as Record<string, unknown>;
    expect(plainMessage(raw['home'])).toEqual({ city: 'London', street: '1 Main St' });
    expect(raw['name']).not.toBe(record['name']);

    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const err = (await ourProtoSerializer(ours)
      .serialize(topic, record)
      .catch((e: unknown) => e)) as CsfleError;
    expect(err).toBeInstanceOf(CsfleError);
    expect(err.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(err.context).toMatchObject({ fieldPath: 'acme.v1.Customer.home', ruleName: 'encrypt-pii', subject });
    expect(err.message).toContain("rule 'encrypt-pii'");
    expect(err.message).not.toMatch(/London|Main St|Ada/);

    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_SIV');
    const warnings: { message: string; context: unknown }[] = [];
    const deser = ourProtoDeserializer(ours, { logger: { warn: (message, context) => warnings.push({ message, context }) } });
    for (let i = 0; i < 20; i++) expect(plainMessage(await deser.deserialize(topic, theirs))).toEqual(expected(tcustomer, record));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('acme.v1.Customer.home');
    expect(JSON.stringify(warnings)).not.toMatch(/London|Main St|Ada/);
  });
});
