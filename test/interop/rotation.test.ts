/**
 * DEK rotation (`encrypt.dek.expiry.days`) across implementations: two DEK versions, records
 * of both versions read in both directions, and a mixed producer set sharing one DEK history.
 */
import { describe, expect, it } from 'vitest';
import type { DekAlgorithm } from '../../src/index';
import { customerSchema, customers, plain, rawDecode } from './fixtures';
import {
  ALGORITHMS,
  ConfluentSide,
  DAY_MS,
  dekVersionOf,
  encryptRuleSet,
  KEK_NAME,
  mirrorKeysToConfluent,
  mirrorKeysToOurs,
  OurSide,
  schemaInfo,
} from './helpers';

const topic = 'rotating';
const subject = `${topic}-value`;
const PII = ['name', 'email', 'ssn'] as const;

/** DEK version of each PII field of a framed Customer record (the 5-byte prefix). */
function versionsOf(bytes: Buffer): number[] {
  const raw = rawDecode(customerSchema, bytes) as Record<string, string>;
  return PII.map((f) => dekVersionOf(raw[f]!));
}

describe.each(ALGORITHMS)('DEK rotation %s', (algorithm: DekAlgorithm) => {
  const info = schemaInfo(customerSchema, encryptRuleSet(algorithm, { 'encrypt.dek.expiry.days': '1' }));

  it('Confluent writes v1 and v2 records; kafka-csfle reads both', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 3);
    const ser = confluent.serializer();
    const a = await confluent.serialize(ser, topic, customers[0]);
    confluent.clock.fixedNow += 2 * DAY_MS;
    const b = await confluent.serialize(ser, topic, customers[1]);
    const c = await confluent.serialize(ser, topic, customers[2]);
    expect(versionsOf(a)).toEqual([1, 1, 1]);
    expect(versionsOf(b)).toEqual([2, 2, 2]);
    expect(versionsOf(c)).toEqual([2, 2, 2]);

    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, algorithm, [1, 2]);
    const deser = ours.deserializer();
    // Out of order on purpose: each record names its own DEK version.
    expect(plain(await deser.deserialize(topic, c))).toEqual(plain(customers[2]));
    expect(plain(await deser.deserialize(topic, a))).toEqual(plain(customers[0]));
    expect(plain(await deser.deserialize(topic, b))).toEqual(plain(customers[1]));
  });

  it('kafka-csfle writes v1 and v2 records; Confluent reads both', async () => {
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    ours.now = Date.now() - 2 * DAY_MS; // v1 is created already two days old
    const ser = ours.serializer();
    const a = await ser.serialize(topic, customers[0]);
    ours.now = Date.now();
    const b = await ser.serialize(topic, customers[1]); // v1 expired → v2
    const c = await ser.serialize(topic, customers[2]);
    expect(versionsOf(a)).toEqual([1, 1, 1]);
    expect(versionsOf(b)).toEqual([2, 2, 2]);
    expect(versionsOf(c)).toEqual([2, 2, 2]);
    expect(await ours.deks.listDekVersions(KEK_NAME, subject, { algorithm })).toEqual([1, 2]);

    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    expect(await mirrorKeysToConfluent(ours, confluent, subject, algorithm)).toEqual([1, 2]);
    const deser = confluent.deserializer();
    expect(plain(await deser.deserialize(topic, b))).toEqual(plain(customers[1]));
    expect(plain(await deser.deserialize(topic, a))).toEqual(plain(customers[0]));
    expect(plain(await deser.deserialize(topic, c))).toEqual(plain(customers[2]));

    // Confluent, now sharing the DEK history, writes with the latest (v2); we read it.
    const d = await confluent.serialize(confluent.serializer(), topic, customers[0]);
    expect(versionsOf(d)).toEqual([2, 2, 2]);
    expect(plain(await ours.deserializer().deserialize(topic, d))).toEqual(plain(customers[0]));
    if (algorithm === 'AES256_SIV') {
      // Same DEK v2, deterministic: identical bytes from both writers.
      expect((await ser.serialize(topic, customers[0])).toString('hex')).toBe(d.toString('hex'));
    }
  });

  it('a rotating reader rejects ciphertext written without the version prefix, like Confluent', async () => {
    // Writer rule without rotation; reader side registers the rotating rule under the same id
    // (fact sheet (d): the reader decides from its own rule params). Both must fail.
    const confluent = new ConfluentSide();
    const plainInfo = schemaInfo(customerSchema, encryptRuleSet(algorithm));
    const id = await confluent.register(subject, plainInfo, 1);
    const bytes = await confluent.serialize(confluent.serializer(), topic, customers[0]);
    const ours = new OurSide();
    // Register the *rotating* rule under the writer's id: the reader expects the prefix.
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, algorithm, [1]);
    const other = new ConfluentSide();
    await other.register(subject, info, id);
    await mirrorKeysToConfluent(ours, other, subject, algorithm);
    const theirError = await other.deserializer().deserialize(topic, bytes).then(
      () => undefined,
      (e: Error) => e,
    );
    const ourError = await ours.deserializer().deserialize(topic, bytes).then(
      () => undefined,
      (e: Error) => e,
    );
    // (If a random ciphertext happens to start with 0x00, the "version" is garbage and the DEK
    // lookup fails instead: an error either way.)
    expect(theirError).toBeInstanceOf(Error);
    expect(ourError).toBeInstanceOf(Error);
    expect(ourError!.message).not.toContain(customers[0]!.ssn);
  });
});
