/**
 * JSON Schema interop with Confluent's JS client (@confluentinc/schemaregistry 1.10.1) as the
 * oracle, both directions: every DEK algorithm, SIV byte-identical output, nested schemas
 * ($ref/definitions, arrays, type arrays, allOf/oneOf/anyOf), inline and metadata tags.
 */
import { describe, expect, it } from 'vitest';
import { CsfleError, type DekAlgorithm } from '../../src/index';
import { ALGORITHMS, ConfluentSide, encryptRuleSet, mirrorKeysToConfluent, mirrorKeysToOurs, OurSide, schemaIdOf } from './helpers';
import {
  changedStrings,
  confluentJsonDeserializer,
  confluentJsonSerializer,
  jsonBody,
  jsonInfo,
  ourJsonDeserializer,
  ourJsonSerializer,
  personJsonMetadata,
  personJsonSchema,
  personJsonSchemaUnencryptableTags,
  personRecords,
} from './json-fixtures';

const topic = 'json-interop';
const subject = `${topic}-value`;

const EXPECTED = [
  'address.ssn',
  'address.street',
  'alias',
  'contact.number',
  'emails[0]',
  'emails[1]',
  'name',
  'nick',
  'note.text',
  'previous[0].street',
  'previous[1].ssn',
  'ssn',
];

describe.each(ALGORITHMS)('JSON Schema interop %s', (algorithm: DekAlgorithm) => {
  const info = jsonInfo(personJsonSchema, encryptRuleSet(algorithm), personJsonMetadata);

  it('Confluent JsonSerializer → kafka-csfle JsonDeserializer', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info, 11);
    const ser = confluentJsonSerializer(confluent);
    const written: Buffer[] = [];
    for (const r of personRecords) written.push(await ser.serialize(topic, structuredClone(r)));
    expect(schemaIdOf(written[0]!)).toBe(id);
    expect(changedStrings(personRecords[0], jsonBody(written[0]!))).toEqual(EXPECTED);

    const ours = new OurSide();
    expect(await ours.schemas.register(subject, info, { id })).toBe(id);
    await mirrorKeysToOurs(confluent, ours, subject, algorithm);
    const deser = ourJsonDeserializer(ours, { validate: true });
    for (let i = 0; i < written.length; i++) expect(await deser.deserialize(topic, written[i]!)).toEqual(personRecords[i]);
  });

  it('kafka-csfle JsonSerializer → Confluent JsonDeserializer', async () => {
    const ours = new OurSide();
    const id = await ours.schemas.register(subject, info);
    const ser = ourJsonSerializer(ours);
    const written: Buffer[] = [];
    for (const r of personRecords) written.push(await ser.serialize(topic, r));
    expect(schemaIdOf(written[0]!)).toBe(id);
    expect(changedStrings(personRecords[0], jsonBody(written[0]!))).toEqual(EXPECTED);
    expect(changedStrings(personRecords[0], structuredClone(personRecords[0]))).toEqual([]);

    const confluent = new ConfluentSide();
    await confluent.register(subject, info, id);
    await mirrorKeysToConfluent(ours, confluent, subject, algorithm);
    const deser = confluentJsonDeserializer(confluent);
    for (let i = 0; i < written.length; i++) expect(await deser.deserialize(topic, written[i]!)).toEqual(personRecords[i]);
  });

  it('same DEK: same framing, same selection, same sizes (SIV: byte-identical)', async () => {
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const ser = confluentJsonSerializer(confluent);
    const first = await ser.serialize(topic, structuredClone(personRecords[0]));
    await mirrorKeysToOurs(confluent, ours, subject, algorithm);
    const mySer = ourJsonSerializer(ours);
    const mine = await mySer.serialize(topic, personRecords[0]);
    expect(mine.length).toBe(first.length);
    expect(mine.subarray(0, 5)).toEqual(first.subarray(0, 5));
    if (algorithm === 'AES256_SIV') {
      for (const r of personRecords) {
        expect((await mySer.serialize(topic, r)).toString('hex')).toBe((await ser.serialize(topic, structuredClone(r))).toString('hex'));
      }
    } else {
      expect(mine.equals(first)).toBe(false);
    }
  });
});

describe('a tag on a property that cannot be encrypted (fail closed on produce)', () => {
  it('tagged object property: Confluent writes it in clear; ours refuses the write and reads theirs with one warning', async () => {
    const schema = { ...personJsonSchemaUnencryptableTags, properties: { ...personJsonSchemaUnencryptableTags.properties, age: { type: 'integer' } } };
    const info = jsonInfo(schema, encryptRuleSet('AES256_SIV'), personJsonMetadata);
    const record = personRecords[0]!;
    const confluent = new ConfluentSide();
    const id = await confluent.register(subject, info);
    const theirs = await confluentJsonSerializer(confluent).serialize(topic, structuredClone(record));
    expect(jsonBody(theirs)['public']).toEqual({ motto: 'Analyse' });
    expect(jsonBody(theirs)['name']).not.toBe('Ada');

    const ours = new OurSide();
    await ours.schemas.register(subject, info, { id });
    const err = (await ourJsonSerializer(ours)
      .serialize(topic, record)
      .catch((e: unknown) => e)) as CsfleError;
    expect(err).toBeInstanceOf(CsfleError);
    expect(err.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(err.context).toMatchObject({ fieldPath: '$.public', ruleName: 'encrypt-pii', subject });
    expect(err.message).toContain("rule 'encrypt-pii'");
    expect(err.message).not.toMatch(/Analyse|Ada/);

    await mirrorKeysToOurs(confluent, ours, subject, 'AES256_SIV');
    const warnings: { message: string; context: unknown }[] = [];
    const deser = ourJsonDeserializer(ours, { logger: { warn: (message, context) => warnings.push({ message, context }) } });
    for (let i = 0; i < 20; i++) expect(await deser.deserialize(topic, theirs)).toEqual(record);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('$.public');
    expect(JSON.stringify(warnings)).not.toMatch(/Analyse|Ada/);
  });
});
