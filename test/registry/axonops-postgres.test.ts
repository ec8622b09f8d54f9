/**
 * AxonOps on PostgreSQL: KEKs, DEKs (including soft-deleted state) and schemas with rule sets
 * survive a registry restart; a fresh-process consumer decrypts what was written before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { AvroSerializer } from '../../src/index';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { consumeInFreshProcess, customers, customerSchema, SECRET } from './e2e-fixtures';
import { AxonOpsProcess, createPgDatabase, uniq } from './helpers';

let env: Record<string, string>;
let ax: AxonOpsProcess;

beforeAll(async () => {
  env = await createPgDatabase('durable');
  ax = await AxonOpsProcess.create(env);
  await ax.start();
});
afterAll(async () => {
  await ax?.stop();
});

describe('AxonOps with PostgreSQL storage', () => {
  it('keys, schemas with rule sets and written records survive a restart', async () => {
    const topic = uniq('durable');
    const subject = `${topic}-value`;
    const kek = uniq('durablekek');
    const producer = new AvroSerializer({
      schemaRegistry: new HttpSchemaSource({ url: ax.url }),
      dekRegistry: new DekRegistryClient({ url: ax.url }),
      kms: { 'local-kms': { secret: SECRET } },
      schema: customerSchema(kek, 'AES256_SIV'),
    });
    const written: Buffer[] = [];
    for (const c of customers) written.push(await producer.serialize(topic, c));
    const id = written[0]!.readUInt32BE(1);

    const admin = new DekRegistryClient({ url: ax.url });
    const dekBefore = await admin.getDek(kek, subject, { algorithm: 'AES256_SIV' });
    const other = uniq('otherkek');
    await admin.registerKek({ name: other, kmsType: 'local-kms', kmsKeyId: 'k2', doc: 'soft-deleted before restart' });
    await admin.registerDek(other, { subject: 'x', encryptedKeyMaterial: 'AAAA' });
    await admin.deleteDek(other, 'x');
    await admin.deleteKek(other);

    // Restart: a new process on a new port, same database.
    await ax.stop();
    ax = await AxonOpsProcess.create(env);
    await ax.start();

    const after = new DekRegistryClient({ url: ax.url });
    expect(await after.getKek(kek)).toMatchObject({ name: kek, kmsType: 'local-kms', kmsKeyId: 'mykey' });
    expect(await after.getDek(kek, subject, { algorithm: 'AES256_SIV' })).toMatchObject({
      version: 1,
      encryptedKeyMaterial: dekBefore?.encryptedKeyMaterial,
    });
    expect(await after.getKek(other)).toBeUndefined();
    expect(await after.getKek(other, { deleted: true })).toMatchObject({ deleted: true, doc: 'soft-deleted before restart' });
    expect(await after.getDek(other, 'x', { deleted: true })).toMatchObject({ deleted: true });

    const schema = await new HttpSchemaSource({ url: ax.url }).getById(id, subject);
    expect(schema.ruleSet).toEqual(customerSchema(kek, 'AES256_SIV').ruleSet);

    const fresh = await consumeInFreshProcess(ax.url, topic, written);
    expect(fresh.lines).toEqual(customers);
  });
});
