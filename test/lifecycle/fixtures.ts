/**
 * A small key world for the lifecycle suites: records written under three DEK versions of one KEK
 * (subject A with versions 1 and 2, AES256_GCM with rotation; subject B, AES256_SIV), readable
 * again by a fresh consumer.
 */
import { expect } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  newKmsClient,
  type Dek,
  type DekRegistryAdmin,
  type KmsConfig,
  type SchemaSource,
} from '../../src/index';
import { generateTinkKey } from '../../src/crypto/tink-key';
import { encryptPiiRules } from '../registry/fixtures';

export interface KeyWorld {
  kek: string;
  kmsType: string;
  kmsKeyId: string;
  kms: Record<string, KmsConfig>;
  /** topic -> framed records */
  records: Map<string, Buffer[]>;
  values: Map<string, Array<Record<string, unknown>>>;
}

export const SCHEMA = (kek: string) =>
  JSON.stringify({
    type: 'record',
    name: 'Person',
    namespace: `lifecycle.${kek.replace(/[^A-Za-z0-9_]/g, '_')}`,
    fields: [
      { name: 'id', type: 'int' },
      { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
      { name: 'city', type: 'string' },
    ],
  });

const person = (id: number) => ({ id, name: `Person Number ${id}`, city: 'Lyon' });

/**
 * Writes records: topic `<kek>-a` under DEK v1 then v2 (v2 registered by hand, as a rotation
 * would), topic `<kek>-b` under an AES256_SIV v1.
 */
export async function writeWorld(opts: {
  schemaRegistry: () => SchemaSource | { url: string };
  dekRegistry: DekRegistryAdmin;
  dekRegistryForSerde: () => DekRegistryAdmin | { url: string };
  kek: string;
  kmsType: string;
  kmsKeyId: string;
  kms: Record<string, KmsConfig>;
}): Promise<KeyWorld> {
  const { kek, kmsType, kmsKeyId, kms } = opts;
  const world: KeyWorld = { kek, kmsType, kmsKeyId, kms, records: new Map(), values: new Map() };
  const write = async (topic: string, params: Record<string, string>, ids: number[]) => {
    const serializer = new AvroSerializer({
      schemaRegistry: opts.schemaRegistry(),
      dekRegistry: opts.dekRegistryForSerde(),
      kms,
      schema: { schemaType: 'AVRO', schema: SCHEMA(kek), ruleSet: encryptPiiRules(kek, kmsType, kmsKeyId, params) },
      keyRing: { latestTtlMs: 0 },
    });
    for (const id of ids) {
      const value = person(id);
      const bytes = await serializer.serialize(topic, value);
      expect(bytes.toString('latin1')).not.toContain(value.name);
      world.records.set(topic, [...(world.records.get(topic) ?? []), bytes]);
      world.values.set(topic, [...(world.values.get(topic) ?? []), value]);
    }
  };
  const rotating = { 'encrypt.dek.expiry.days': '30' };
  await write(`${kek}-a`, rotating, [1, 2]);
  const client = await newKmsClient(kmsType, kmsKeyId, kms[kmsType] ?? {});
  const proto = generateTinkKey('AES256_GCM');
  await opts.dekRegistry.registerDek(kek, {
    subject: `${kek}-a-value`,
    version: 2,
    algorithm: 'AES256_GCM',
    encryptedKeyMaterial: (await client.wrap(proto)).toString('base64'),
  });
  proto.fill(0);
  await write(`${kek}-a`, rotating, [3, 4]);
  await write(`${kek}-b`, { 'encrypt.dek.algorithm': 'AES256_SIV' }, [5]);
  return world;
}

/** The DEK records of the world's three versions (soft-deleted included). */
export async function worldDeks(registry: DekRegistryAdmin, kek: string): Promise<Dek[]> {
  const ids: Array<[string, 'AES256_GCM' | 'AES256_SIV', number]> = [
    [`${kek}-a-value`, 'AES256_GCM', 1],
    [`${kek}-a-value`, 'AES256_GCM', 2],
    [`${kek}-b-value`, 'AES256_SIV', 1],
  ];
  const out: Dek[] = [];
  for (const [subject, algorithm, version] of ids) {
    const dek = await registry.getDek(kek, subject, { algorithm, version, deleted: true });
    expect(dek, `${subject} ${algorithm} v${version}`).toBeDefined();
    out.push(dek!);
  }
  return out;
}

/** Reads every record of the world with a fresh deserializer (empty caches) and compares values. */
export async function expectReadable(
  world: KeyWorld,
  schemaRegistry: SchemaSource | { url: string },
  dekRegistry: DekRegistryAdmin | { url: string },
): Promise<void> {
  const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: world.kms });
  for (const [topic, records] of world.records) {
    const read = [];
    for (const r of records) read.push(await deserializer.deserialize(topic, r));
    expect(read).toEqual(world.values.get(topic));
  }
}
