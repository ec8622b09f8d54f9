/**
 * Interop with Confluent's JS client (@confluentinc/schemaregistry 1.10.1) as the oracle:
 * records written by Confluent are read by kafka-csfle and vice versa, for every DEK
 * algorithm, flat and nested schemas, inline and metadata (wildcard) tags.
 */
import { describe, expect, it } from 'vitest';
import type { DekAlgorithm, Metadata } from '../../src/index';
import { customerSchema, customers, encryptedPaths, personMetadata, personSchema, persons, plain, rawDecode } from './fixtures';
import {
  ALGORITHMS,
  ConfluentSide,
  encryptRuleSet,
  KEK_NAME,
  mirrorKeysToConfluent,
  mirrorKeysToOurs,
  OurSide,
  schemaIdOf,
  schemaInfo,
} from './helpers';

const topic = 'interop';
const subject = `${topic}-value`;

interface Shape {
  name: string;
  schema: object;
  metadata?: Metadata;
  records: unknown[];
  /** Leaves that must be encrypted for records[0] (sanity: the selection is not empty/over-broad). */
  expectEncrypted: string[];
}

const shapes: Shape[] = [
  {
    name: 'flat Customer (inline tags, ["null","string"] union)',
    schema: customerSchema,
    records: customers,
    expectEncrypted: ['email', 'name', 'phone', 'ssn'],
  },
  {
    name: 'nested Person (record/array/map/union, inline + **.ssn metadata tags)',
    schema: personSchema,
    metadata: personMetadata,
    records: persons,
    expectEncrypted: [
      'address.ssn',
      'address.street',
      'address.zip',
      'attrs.favorite number',
      'attrs.hair',
      'emails[0]',
      'emails[1]',
      'emails[2]',
      'name',
      'nick',
      'photo',
      'previous[0].street',
      'previous[0].zip',
      'previous[1].ssn',
      'previous[1].street',
      'previous[1].zip',
      'ssn',
      'work.street',
      'work.zip',
    ],
  },
];

describe.each(ALGORITHMS)('interop %s', (algorithm: DekAlgorithm) => {
  describe.each(shapes)('$name', (shape) => {
    const info = schemaInfo(shape.schema, encryptRuleSet(algorithm), shape.metadata);

    it('Confluent AvroSerializer → kafka-csfle AvroDeserializer', async () => {
      const confluent = new ConfluentSide();
      const id = await confluent.register(subject, info, 7);
      const ser = confluent.serializer();
      const written: Buffer[] = [];
      for (const r of shape.records) written.push(await confluent.serialize(ser, topic, r));
      expect(schemaIdOf(written[0]!)).toBe(id);
      expect(encryptedPaths(shape.records[0], rawDecode(shape.schema, written[0]!))).toEqual(shape.expectEncrypted);

      const ours = new OurSide();
      expect(await ours.schemas.register(subject, info, { id })).toBe(id);
      await mirrorKeysToOurs(confluent, ours, subject, algorithm);
      const deser = ours.deserializer();
      for (let i = 0; i < written.length; i++) {
        expect(plain(await deser.deserialize(topic, written[i]!))).toEqual(plain(shape.records[i]));
      }
    });

    it('kafka-csfle AvroSerializer → Confluent AvroDeserializer', async () => {
      const ours = new OurSide();
      const id = await ours.schemas.register(subject, info);
      const ser = ours.serializer();
      const written: Buffer[] = [];
      for (const r of shape.records) written.push(await ser.serialize(topic, r));
      expect(schemaIdOf(written[0]!)).toBe(id);
      expect(encryptedPaths(shape.records[0], rawDecode(shape.schema, written[0]!))).toEqual(shape.expectEncrypted);
      // The serializer does not mutate the caller's record.
      expect(encryptedPaths(shape.records[0], shape.records[0])).toEqual([]);

      const confluent = new ConfluentSide();
      await confluent.register(subject, info, id);
      expect(await mirrorKeysToConfluent(ours, confluent, subject, algorithm)).toEqual([1]);
      const deser = confluent.deserializer();
      for (let i = 0; i < written.length; i++) {
        expect(plain(await deser.deserialize(topic, written[i]!))).toEqual(plain(shape.records[i]));
      }
    });

    it('both select the same fields and produce the same payload sizes', async () => {
      const confluent = new ConfluentSide();
      const id = await confluent.register(subject, info);
      const ours = new OurSide();
      await ours.schemas.register(subject, info, { id });
      const ser = confluent.serializer();
      const first = await confluent.serialize(ser, topic, shape.records[0]);
      await mirrorKeysToOurs(confluent, ours, subject, algorithm);
      const mine = await ours.serializer().serialize(topic, shape.records[0]);
      // Same DEK (mirrored): same framing, same selection, same ciphertext lengths.
      expect(mine.length).toBe(first.length);
      expect(mine.subarray(0, 5)).toEqual(first.subarray(0, 5));
      expect(encryptedPaths(shape.records[0], rawDecode(shape.schema, mine))).toEqual(
        encryptedPaths(shape.records[0], rawDecode(shape.schema, first)),
      );
      if (algorithm === 'AES256_SIV') {
        // Deterministic: byte-identical output for the same DEK and the same record.
        expect(mine.toString('hex')).toBe(first.toString('hex'));
        for (const r of shape.records) {
          expect((await ours.serializer().serialize(topic, r)).toString('hex')).toBe((await confluent.serialize(ser, topic, r)).toString('hex'));
        }
      } else {
        // Randomized IVs: two encryptions of the same record differ.
        expect(mine.equals(first)).toBe(false);
      }
    });
  });

  it('DEK created by kafka-csfle is used by Confluent for writing (same DEK, no new version)', async () => {
    const info = schemaInfo(customerSchema, encryptRuleSet(algorithm));
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    const mine = await ours.serializer().serialize(topic, customers[0]);
    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    await mirrorKeysToConfluent(ours, confluent, subject, algorithm);
    const theirs = await confluent.serialize(confluent.serializer(), topic, customers[0]);
    const ourDek = await ours.deks.getDek(KEK_NAME, subject, { algorithm, version: 1 });
    const theirDek = await confluent.dekClient.getDek(KEK_NAME, subject, algorithm, 1, false);
    expect(theirDek.encryptedKeyMaterial).toBe(ourDek!.encryptedKeyMaterial);
    if (algorithm === 'AES256_SIV') expect(theirs.toString('hex')).toBe(mine.toString('hex'));
    expect(plain(await ours.deserializer().deserialize(topic, theirs))).toEqual(plain(customers[0]));
  });
});
