/**
 * Interop beyond the basic field rule: payload encryption (ENCRYPT_PAYLOAD), KEK params taken
 * from schema metadata properties, key serdes (`<topic>-key`), record-name subjects, and the
 * `ERROR,NONE` read path without key access.
 */
import { SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry';
import { describe, expect, it } from 'vitest';
import type { DekAlgorithm, RuleSet } from '../../src/index';
import { customerSchema, customers, encryptedPaths, plain, rawDecode } from './fixtures';
import { ConfluentSide, encryptRuleSet, KEK_NAME, KMS_KEY_ID, KMS_TYPE, mirrorKeysToConfluent, mirrorKeysToOurs, OurSide, payloadRuleSet, schemaInfo } from './helpers';

const topic = 'features';

describe.each(['AES256_GCM', 'AES256_SIV'] as DekAlgorithm[])('ENCRYPT_PAYLOAD %s', (algorithm) => {
  describe.each([false, true])('with field rule too: %s', (withFieldRule) => {
    const subject = `${topic}-value`;
    const info = schemaInfo(customerSchema, payloadRuleSet(algorithm, withFieldRule));

    it('Confluent → kafka-csfle', async () => {
      const confluent = new ConfluentSide();
      const id = await confluent.register(subject, info, 11);
      const bytes = await confluent.serialize(confluent.serializer(), topic, customers[0]);
      // The whole payload is ciphertext: no plaintext string in it, even with the field rule off.
      expect(bytes.includes(Buffer.from(customers[0]!.email))).toBe(false);
      const ours = new OurSide();
      await ours.schemas.register(subject, info, { id });
      await mirrorKeysToOurs(confluent, ours, subject, algorithm);
      expect(plain(await ours.deserializer().deserialize(topic, bytes))).toEqual(plain(customers[0]));
    });

    it('kafka-csfle → Confluent (SIV: byte-identical)', async () => {
      const ours = new OurSide();
      const id = await ours.schemas.register(subject, info);
      const mine = await ours.serializer().serialize(topic, customers[0]);
      const confluent = new ConfluentSide();
      await confluent.register(subject, info, id);
      await mirrorKeysToConfluent(ours, confluent, subject, algorithm);
      expect(plain(await confluent.deserializer().deserialize(topic, mine))).toEqual(plain(customers[0]));
      const theirs = await confluent.serialize(confluent.serializer(), topic, customers[0]);
      expect(theirs.length).toBe(mine.length);
      if (algorithm === 'AES256_SIV') expect(theirs.toString('hex')).toBe(mine.toString('hex'));
    });
  });
});

describe('KEK params from schema metadata properties (rule params only name the algorithm)', () => {
  const ruleSet: RuleSet = {
    domainRules: [{ name: 'enc', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'], params: { 'encrypt.dek.algorithm': 'AES256_SIV' } }],
  };
  const metadata = { properties: { 'encrypt.kek.name': KEK_NAME, 'encrypt.kms.type': KMS_TYPE, 'encrypt.kms.key.id': KMS_KEY_ID } };
  const info = schemaInfo(customerSchema, ruleSet, metadata);
  const subject = `${topic}-value`;

  it('both directions, byte-identical (SIV)', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const theirs = await confluent.serialize(confluent.serializer(), topic, customers[0]);
    expect(encryptedPaths(customers[0], rawDecode(customerSchema, theirs))).toEqual(['email', 'name', 'phone', 'ssn']);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_SIV');
    expect(plain(await ours.deserializer().deserialize(topic, theirs))).toEqual(plain(customers[0]));
    const mine = await ours.serializer().serialize(topic, customers[0]);
    expect(mine.toString('hex')).toBe(theirs.toString('hex'));
  });
});

describe('key serde: subject <topic>-key', () => {
  const info = schemaInfo(customerSchema, encryptRuleSet('AES256_GCM'));
  const subject = `${topic}-key`;

  it('Confluent KEY serializer → our isKey deserializer, and back', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const theirs = await confluent.serialize(confluent.serializer({}, SerdeType.KEY), topic, customers[1]);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_GCM');
    expect(plain(await ours.deserializer({ isKey: true }).deserialize(topic, theirs))).toEqual(plain(customers[1]));
    const mine = await ours.serializer({ isKey: true }).serialize(topic, customers[2]);
    expect(plain(await confluent.deserializer({}, SerdeType.KEY).deserialize(topic, mine))).toEqual(plain(customers[2]));
    // A value deserializer looks for DEKs of <topic>-value: there are none.
    await expect(ours.deserializer().deserialize(topic, theirs)).rejects.toThrow();
  });
});

describe('record name subject strategy (DEK subject = record full name)', () => {
  const info = schemaInfo(customerSchema, encryptRuleSet('AES256_SIV'));
  const subject = 'com.example.Customer';

  it('ours (record) → Confluent (RECORD), Confluent → ours', async () => {
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    const mine = await ours.serializer({ subjectNameStrategy: 'record', schema: info }).serialize(topic, customers[0]);
    expect(await ours.deks.listDekSubjects(KEK_NAME)).toEqual([subject]);
    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    await mirrorKeysToConfluent(ours, confluent, subject, 'AES256_SIV');
    const deser = confluent.deserializer({ subjectNameStrategyType: SubjectNameStrategyType.RECORD });
    expect(plain(await deser.deserialize(topic, mine))).toEqual(plain(customers[0]));
    // Confluent's serializer cannot combine RECORD with useLatestVersion (no schema to name
    // the record): give it the equivalent subject function.
    const theirs = await confluent.serialize(confluent.serializer({ subjectNameStrategy: () => subject }), topic, customers[0]);
    expect(theirs.toString('hex')).toBe(mine.toString('hex'));
    expect(plain(await ours.deserializer({ subjectNameStrategy: 'record' }).deserialize(topic, theirs))).toEqual(plain(customers[0]));
  });
});

describe("onFailure 'ERROR,NONE': a reader without the DEK gets the ciphertext, like Confluent", () => {
  it('same passthrough record on both sides', async () => {
    const ruleSet = encryptRuleSet('AES256_GCM');
    ruleSet.domainRules![0]!.onFailure = 'ERROR,NONE';
    const info = schemaInfo(customerSchema, ruleSet);
    const subject = `${topic}-value`;
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const bytes = await confluent.serialize(confluent.serializer(), topic, customers[0]);
    const wire = plain(rawDecode(customerSchema, bytes));
    // Our reader: schema known, KEK known, DEK missing → fields stay encrypted.
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    await ours.deks.registerKek({ name: KEK_NAME, kmsType: KMS_TYPE, kmsKeyId: KMS_KEY_ID, shared: false });
    expect(plain(await ours.deserializer().deserialize(topic, bytes))).toEqual(wire);
    // Confluent's reader in the same situation (KEK known, DEK missing) behaves the same.
    const other = new ConfluentSide();
    await other.register(subject, info, id);
    await other.dekClient.registerKek(KEK_NAME, KMS_TYPE, KMS_KEY_ID, false);
    expect(plain(await other.deserializer().deserialize(topic, bytes))).toEqual(wire);
  });
});
