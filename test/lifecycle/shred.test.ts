/**
 * Crypto-shredding against AxonOps: the shredded subject's records are unreadable for a cold
 * consumer (DEK_NOT_FOUND with onFailure ERROR, ciphertext with NONE); other subjects are not
 * touched; shredding again finds nothing.
 */
import { describe, expect, it } from 'vitest';
import { AvroDeserializer, CsfleError, DekRegistryClient, InMemoryDekRegistry, InMemorySchemaRegistry, shredDeks } from '../../src/index';
import { runCli } from '../helpers/run-cli';
import { requireEnv, uniq } from '../registry/helpers';
import { expectReadable, writeWorld, type KeyWorld } from './fixtures';

const kms = { 'local-kms': { secret: 'shred-secret' } };

async function expectShredded(world: KeyWorld, schemaRegistry: () => object, dekRegistry: () => object): Promise<void> {
  const topic = `${world.kek}-a`;
  for (const record of world.records.get(topic)!) {
    const strict = new AvroDeserializer({ schemaRegistry: schemaRegistry() as never, dekRegistry: dekRegistry() as never, kms });
    const err = await strict.deserialize(topic, record).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsfleError);
    expect((err as CsfleError).code).toBe('DEK_NOT_FOUND');
    const lenient = new AvroDeserializer({
      schemaRegistry: schemaRegistry() as never,
      dekRegistry: dekRegistry() as never,
      kms,
      ruleOverrides: [{ name: 'encryptPII', onFailure: 'ERROR,NONE' }],
    });
    const seen = (await lenient.deserialize(topic, record)) as { name: string; city: string };
    expect(seen.city).toBe('Lyon');
    expect(seen.name).not.toContain('Person Number');
    expect(Buffer.from(seen.name, 'base64').length).toBeGreaterThan(16);
  }
}

describe('shredDeks', () => {
  it('AxonOps: a cold consumer can no longer read the shredded subject; the other subject still reads', async () => {
    const url = requireEnv('SCHEMA_REGISTRY_URL');
    const kek = uniq('shred');
    const admin = new DekRegistryClient({ url, cacheCapacity: 0 });
    const world = await writeWorld({ schemaRegistry: () => ({ url }), dekRegistry: admin, dekRegistryForSerde: () => ({ url }), kek, kmsType: 'local-kms', kmsKeyId: 'k', kms });
    const report = await shredDeks({ dekRegistry: { url }, kekName: kek, subject: `${kek}-a-value` });
    expect(report).toEqual({
      kekName: kek,
      subject: `${kek}-a-value`,
      destroyed: [
        { subject: `${kek}-a-value`, algorithm: 'AES256_GCM', version: 1 },
        { subject: `${kek}-a-value`, algorithm: 'AES256_GCM', version: 2 },
      ],
    });
    expect(await admin.listDekVersions(kek, `${kek}-a-value`, { deleted: true })).toEqual([]);
    await expectShredded(world, () => ({ url }), () => ({ url }));
    const rest = { ...world, records: new Map([[`${kek}-b`, world.records.get(`${kek}-b`)!]]) };
    await expectReadable(rest, { url }, { url });
    const again = await shredDeks({ dekRegistry: { url }, kekName: kek, subject: `${kek}-a-value` }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'DEK_NOT_FOUND' });
  });

  it('CLI: dek shred refuses without --yes (CONFIRMATION_REQUIRED, nothing deleted); with --yes prints what it destroyed', async () => {
    const url = requireEnv('SCHEMA_REGISTRY_URL');
    const kek = uniq('shredcli');
    const admin = new DekRegistryClient({ url, cacheCapacity: 0 });
    await writeWorld({ schemaRegistry: () => ({ url }), dekRegistry: admin, dekRegistryForSerde: () => ({ url }), kek, kmsType: 'local-kms', kmsKeyId: 'k', kms });
    const cli = (...argv: string[]) => runCli([...argv, '--url', url]);
    const refused = await cli('dek', 'shred', kek, `${kek}-b-value`);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.err)).toMatchObject({ error: { code: 'CONFIRMATION_REQUIRED', kekName: kek } });
    expect(await admin.listDekVersions(kek, `${kek}-b-value`, { algorithm: 'AES256_SIV' })).toEqual([1]);
    const done = await cli('dek', 'shred', kek, `${kek}-b-value`, '--algorithm', 'AES256_SIV', '--yes');
    expect(done.code, done.err).toBe(0);
    expect(JSON.parse(done.out)).toEqual({ kekName: kek, subject: `${kek}-b-value`, destroyed: [{ subject: `${kek}-b-value`, algorithm: 'AES256_SIV', version: 1 }] });
    expect(await admin.listDekVersions(kek, `${kek}-b-value`, { algorithm: 'AES256_SIV', deleted: true })).toEqual([]);
    expect((await cli('dek', 'shred', kek, `${kek}-a-value`, '--version', 'x', '--yes')).code).toBe(2);
  });

  it('one version and one algorithm only; a soft-deleted version left by a killed run is finished', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const world = await writeWorld({ schemaRegistry: () => schemaRegistry, dekRegistry, dekRegistryForSerde: () => dekRegistry, kek: 'k1', kmsType: 'local-kms', kmsKeyId: 'k', kms });
    await dekRegistry.deleteDek('k1', 'k1-a-value', { algorithm: 'AES256_GCM', version: 2 }); // as a killed shred leaves it
    const one = await shredDeks({ dekRegistry, kekName: 'k1', subject: 'k1-a-value', version: 2, algorithm: 'AES256_GCM' });
    expect(one.destroyed).toEqual([{ subject: 'k1-a-value', algorithm: 'AES256_GCM', version: 2 }]);
    expect(await dekRegistry.listDekVersions('k1', 'k1-a-value', { deleted: true })).toEqual([1]);
    const wrongAlg = await shredDeks({ dekRegistry, kekName: 'k1', subject: 'k1-a-value', algorithm: 'AES256_SIV' }).catch((e: unknown) => e);
    expect(wrongAlg).toMatchObject({ code: 'DEK_NOT_FOUND' });
    // records of v1 still read; v2's do not
    const v1Only = { ...world, records: new Map([['k1-a', world.records.get('k1-a')!.slice(0, 2)]]), values: new Map([['k1-a', world.values.get('k1-a')!.slice(0, 2)]]) };
    await expectReadable(v1Only, schemaRegistry, dekRegistry);
    const reader = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    expect(await reader.deserialize('k1-a', world.records.get('k1-a')![2]!).catch((e: unknown) => e)).toMatchObject({ code: 'DEK_NOT_FOUND' });
  });

  it('a consumer that was already running loses the shredded key within keyRing.maxKeyAgeMs', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const world = await writeWorld({ schemaRegistry: () => schemaRegistry, dekRegistry, dekRegistryForSerde: () => dekRegistry, kek: 'k2', kmsType: 'local-kms', kmsKeyId: 'k', kms });
    const running = new AvroDeserializer({ schemaRegistry, dekRegistry, kms, keyRing: { maxKeyAgeMs: 1_000 } });
    const record = world.records.get('k2-b')![0]!;
    expect(await running.deserialize('k2-b', record)).toEqual(world.values.get('k2-b')![0]);
    await shredDeks({ dekRegistry, kekName: 'k2', subject: 'k2-b-value' });
    expect(await running.deserialize('k2-b', record)).toEqual(world.values.get('k2-b')![0]); // still in memory
    await new Promise((ok) => setTimeout(ok, 1_500));
    expect(await running.deserialize('k2-b', record).catch((e: unknown) => e)).toMatchObject({ code: 'DEK_NOT_FOUND' });
  });
});
