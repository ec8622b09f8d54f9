/**
 * Adding and changing a rule set on an existing subject against real AxonOps, which keeps one
 * schema id for an unchanged schema text (deviation 4 in docs/dek-registry.md): the producer
 * resolves the version it registered instead of failing RULE_SET_DROPPED, and a fresh consumer
 * reads with the subject's newest rules.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { AvroDeserializer, AvroSerializer, CsfleError, HttpSchemaSource } from '../../src/index';
import { customers, piiHidden, SECRET } from './e2e-fixtures';
import { customerNoteSchema, ENCRYPT_RULES } from './fixtures';
import { requireEnv, uniq } from './helpers';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

const kms = { 'local-kms': { secret: SECRET } };

function schemaText(ns: string): string {
  return JSON.stringify(customerNoteSchema(ns));
}

const serializer = (schema: object) =>
  new AvroSerializer({ schemaRegistry: new HttpSchemaSource({ url }), dekRegistry: new DekRegistryClient({ url }), kms, schema });
const deserializer = () => new AvroDeserializer({ schemaRegistry: new HttpSchemaSource({ url }), dekRegistry: new DekRegistryClient({ url }), kms });

describe('AxonOps: adding and changing a rule set on an existing subject', () => {
  it('adding encryption to a subject with the same schema text works (no false RULE_SET_DROPPED); fresh consumers decrypt', async () => {
    const ns = uniq('rc').replace(/[^A-Za-z0-9_]/g, '_');
    const topic = `t_${ns}`;
    const text = schemaText(ns);
    const plainBytes = await serializer({ schema: text }).serialize(topic, customers[0]);
    expect(plainBytes.toString('latin1')).toContain(customers[0]!.name);

    const kek1 = uniq('kek');
    const encrypting = serializer({ schema: text, ruleSet: ENCRYPT_RULES(kek1, 'mykey') });
    const encrypted = await encrypting.serialize(topic, customers[1]);
    expect(piiHidden(encrypted, customers[1]!)).toBe(true);
    expect(encrypted.readInt32BE(1)).toBe(plainBytes.readInt32BE(1)); // AxonOps reused the schema id
    expect(await deserializer().deserialize(topic, encrypted)).toEqual(customers[1]);

    // Changing the rule set (another KEK) on the unchanged schema: the new rules apply.
    const kek2 = uniq('kek');
    const changed = await serializer({ schema: text, ruleSet: ENCRYPT_RULES(kek2, 'mykey') }).serialize(topic, customers[2]);
    expect(piiHidden(changed, customers[2]!)).toBe(true);
    expect(await new DekRegistryClient({ url }).getDek(kek2, `${topic}-value`)).toBeDefined();
    expect(await deserializer().deserialize(topic, changed)).toEqual(customers[2]);

    // The cost of one id for several rule sets: a fresh consumer applies the newest rules to the
    // records written before them (here: plaintext), which fail to decrypt — typed, not silent.
    const err = await deserializer()
      .deserialize(topic, plainBytes)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsfleError);
    expect(String((err as Error).message)).not.toContain(customers[0]!.name);
  });
});
