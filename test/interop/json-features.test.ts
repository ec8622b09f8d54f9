/**
 * JSON Schema interop beyond the basic field rule, Confluent's JS client as the oracle: DEK
 * rotation (version prefix), payload encryption, metadata-only tags, and a 2020-12 schema with
 * `$defs` and a schema reference — both directions.
 */
import { describe, expect, it } from 'vitest';
import type { DekAlgorithm, SchemaInfo } from '../../src/index';
import { ConfluentSide, DAY_MS, dekVersionOf, encryptRuleSet, KEK_NAME, mirrorKeysToConfluent, mirrorKeysToOurs, OurSide, payloadRuleSet } from './helpers';
import {
  changedStrings,
  confluentJsonDeserializer,
  confluentJsonSerializer,
  jsonBody,
  jsonInfo,
  ourJsonDeserializer,
  ourJsonSerializer,
  personJsonSchema,
  personRecords,
} from './json-fixtures';

const topic = 'json-features';
const subject = `${topic}-value`;

describe.each(['AES256_GCM', 'AES256_SIV'] as DekAlgorithm[])('JSON Schema %s', (algorithm) => {
  it('rotation: Confluent writes v1 and v2; kafka-csfle reads both, then writes v2 that Confluent reads', async () => {
    const info = jsonInfo(personJsonSchema, encryptRuleSet(algorithm, { 'encrypt.dek.expiry.days': '1' }));
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 5);
    const ser = confluentJsonSerializer(confluent);
    const a = await ser.serialize(topic, structuredClone(personRecords[0]));
    confluent.clock.fixedNow += 2 * DAY_MS;
    const b = await ser.serialize(topic, structuredClone(personRecords[1]));
    expect(dekVersionOf(jsonBody(a)['name'] as string)).toBe(1);
    expect(dekVersionOf(jsonBody(b)['name'] as string)).toBe(2);

    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, algorithm, [1, 2]);
    const deser = ourJsonDeserializer(ours);
    expect(await deser.deserialize(topic, b)).toEqual(personRecords[1]);
    expect(await deser.deserialize(topic, a)).toEqual(personRecords[0]);
    const c = await ourJsonSerializer(ours).serialize(topic, personRecords[2]);
    expect(dekVersionOf(jsonBody(c)['name'] as string)).toBe(2);
    expect(await confluentJsonDeserializer(confluent).deserialize(topic, c)).toEqual(personRecords[2]);
  });

  it('rotation: kafka-csfle writes v1 and v2; Confluent reads both', async () => {
    const info = jsonInfo(personJsonSchema, encryptRuleSet(algorithm, { 'encrypt.dek.expiry.days': '1' }));
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    ours.now = Date.now() - 2 * DAY_MS;
    const ser = ourJsonSerializer(ours);
    const a = await ser.serialize(topic, personRecords[0]);
    ours.now = Date.now();
    const b = await ser.serialize(topic, personRecords[1]);
    expect(dekVersionOf(jsonBody(a)['name'] as string)).toBe(1);
    expect(dekVersionOf(jsonBody(b)['name'] as string)).toBe(2);
    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    expect(await mirrorKeysToConfluent(ours, confluent, subject, algorithm)).toEqual([1, 2]);
    const deser = confluentJsonDeserializer(confluent);
    expect(await deser.deserialize(topic, a)).toEqual(personRecords[0]);
    expect(await deser.deserialize(topic, b)).toEqual(personRecords[1]);
  });

  describe.each([false, true])('ENCRYPT_PAYLOAD (field rule too: %s)', (withFieldRule) => {
    const info = jsonInfo(personJsonSchema, payloadRuleSet(algorithm, withFieldRule));
    it('both directions', async () => {
      const confluent = new ConfluentSide();
      const id = await confluent.register(subject, info, 9);
      const theirs = await confluentJsonSerializer(confluent).serialize(topic, structuredClone(personRecords[0]));
      expect(theirs.includes(Buffer.from('London'))).toBe(false);
      const ours = new OurSide();
      await ours.schemas.register(subject, info, { id });
      await mirrorKeysToOurs(confluent, ours, subject, algorithm);
      expect(await ourJsonDeserializer(ours).deserialize(topic, theirs)).toEqual(personRecords[0]);
      const mine = await ourJsonSerializer(ours).serialize(topic, personRecords[0]);
      expect(mine.includes(Buffer.from('London'))).toBe(false);
      expect(mine.length).toBe(theirs.length);
      if (algorithm === 'AES256_SIV') expect(mine.equals(theirs)).toBe(true);
      expect(await confluentJsonDeserializer(confluent).deserialize(topic, mine)).toEqual(personRecords[0]);
    });
  });

  it('2020-12 $defs, a schema reference by name, metadata-only tags: both directions', async () => {
    const address = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'address.json',
      type: 'object',
      properties: { street: { type: 'string', 'confluent:tags': ['PII'] }, zip: { type: 'string' } },
    };
    const order = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Order',
      type: 'object',
      properties: {
        id: { type: 'string' },
        ship: { $ref: 'address.json' },
        bill: { $ref: '#/$defs/Card' },
      },
      $defs: { Card: { type: 'object', properties: { pan: { type: 'string' }, holder: { type: 'string' } } } },
    };
    const metadata = { tags: { '$.bill.pan': ['PII'], '$.*.zip': ['PII'] } };
    const refInfo: SchemaInfo = { schemaType: 'JSON', schema: JSON.stringify(address) };
    const info = jsonInfo(order, encryptRuleSet(algorithm), metadata, [{ name: 'address.json', subject: 'address', version: 1 }]);
    const record = { id: 'o-1', ship: { street: '1 Main St', zip: 'E1' }, bill: { pan: '4111111111111111', holder: 'Ada' } };

    const confluent = new ConfluentSide();
    await confluent.register('address', refInfo);
    const id = await confluent.register(subject, info);
    const theirs = await confluentJsonSerializer(confluent).serialize(topic, structuredClone(record));
    expect(changedStrings(record, jsonBody(theirs))).toEqual(['bill.pan', 'ship.street', 'ship.zip']);

    const ours = new OurSide();
    await ours.schemas.register('address', refInfo);
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, algorithm);
    expect(await ourJsonDeserializer(ours, { validate: true }).deserialize(topic, theirs)).toEqual(record);
    const mine = await ourJsonSerializer(ours).serialize(topic, record);
    expect(changedStrings(record, jsonBody(mine))).toEqual(['bill.pan', 'ship.street', 'ship.zip']);
    expect(await confluentJsonDeserializer(confluent).deserialize(topic, mine)).toEqual(record);
    expect(await ours.deks.listDekSubjects(KEK_NAME)).toEqual([subject]);
  });
});
