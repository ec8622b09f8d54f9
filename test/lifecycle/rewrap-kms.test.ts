/**
 * KEK rewrap across KMSs: Vault transit (test double) and Azure Key Vault (test double, version
 * prefix) with a rotated key whose old version is then retired, and AWS KMS (moto). Records written before stay readable by a fresh consumer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsKmsDriver, azureKmsDriver, hcVaultDriver, InMemoryDekRegistry, InMemorySchemaRegistry, newKmsClient, registerKmsDriver, rewrapKek, type KmsConfig } from '../../src/index';
import { startFakeVault, type FakeVault } from '../kms/fakes/vault-transit';
import { startFakeKeyVault, type FakeKeyVault } from '../kms/fakes/azure-key-vault';
import { requireEnv } from '../kms/helpers/env';
import { createKey, TEST_CREDS } from '../kms/helpers/moto';
import { expectReadable, worldDeks, writeWorld } from './fixtures';

let vault: FakeVault;
let kv: FakeKeyVault;
const TOKEN = 'hvs.lifecycle-token';

beforeAll(async () => {
  registerKmsDriver(hcVaultDriver);
  registerKmsDriver(awsKmsDriver);
  registerKmsDriver(azureKmsDriver);
  kv = await startFakeKeyVault();
  kv.clients.set('app-1', 'azure-client-secret');
  vault = await startFakeVault();
  vault.tokens.add(TOKEN);
});
afterAll(async () => {
  await vault?.close();
  await kv?.close();
});

async function world(kmsType: string, kmsKeyId: string, kms: Record<string, KmsConfig>) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const w = await writeWorld({ schemaRegistry: () => schemaRegistry, dekRegistry, dekRegistryForSerde: () => dekRegistry, kek: 'kek1', kmsType, kmsKeyId, kms });
  const journalPath = path.join(mkdtempSync(path.join(tmpdir(), 'rewrap-kms-')), 'j');
  return { schemaRegistry, dekRegistry, world: w, journalPath };
}

describe('rewrapKek with Vault transit', () => {
  it('after a key rotation, rewraps to the new key version (transit rewrap); records still decrypt once the old version is retired', async () => {
    const key = vault.addKey('transit', 'orders');
    const kms = { hcvault: { 'token.id': TOKEN } };
    const { schemaRegistry, dekRegistry, world: w, journalPath } = await world('hcvault', `${vault.url}/transit/keys/orders`, kms);
    const before = await worldDeks(dekRegistry, 'kek1');
    for (const d of before) expect(Buffer.from(d.encryptedKeyMaterial!, 'base64').toString()).toMatch(/^vault:v1:/);

    key.versions.push(randomBytes(32)); // vault write -f transit/keys/orders/rotate
    const from = vault.seen.length;
    const report = await rewrapKek({ dekRegistry, kms, kekName: 'kek1', journalPath });
    expect(report).toMatchObject({ total: 3, rewrapped: 3, failed: 0 });
    expect(vault.seen.slice(from).filter((s) => s.path.includes('/rewrap/'))).toHaveLength(3);
    for (const d of await worldDeks(dekRegistry, 'kek1')) expect(Buffer.from(d.encryptedKeyMaterial!, 'base64').toString()).toMatch(/^vault:v2:/);

    key.minDecryptionVersion = 2; // v1 can no longer decrypt
    const client = await newKmsClient('hcvault', `${vault.url}/transit/keys/orders`, kms.hcvault);
    await expect(client.unwrap(Buffer.from(before[0]!.encryptedKeyMaterial!, 'base64'))).rejects.toMatchObject({ code: 'KMS_KEY_DISABLED' });
    await expectReadable(w, schemaRegistry, dekRegistry);
    expect(await rewrapKek({ dekRegistry, kms, kekName: 'kek1', journalPath })).toMatchObject({ rewrapped: 0, unchanged: 3 });
  });
});

describe('rewrapKek with AWS KMS (moto)', () => {
  it('re-encrypts every DEK with the key as AWS holds it now; records still decrypt', async () => {
    const endpoint = requireEnv('MOTO_ENDPOINT', 'moto');
    const arn = await createKey(endpoint, 'us-east-1');
    const kms = { 'aws-kms': { 'access.key.id': TEST_CREDS.accessKeyId, 'secret.access.key': TEST_CREDS.secretAccessKey, endpoint } };
    const { schemaRegistry, dekRegistry, world: w, journalPath } = await world('aws-kms', arn, kms);
    const before = await worldDeks(dekRegistry, 'kek1');
    const report = await rewrapKek({ dekRegistry, kms, kekName: 'kek1', journalPath });
    expect(report).toMatchObject({ kmsType: 'aws-kms', kmsKeyId: arn, total: 3, rewrapped: 3, failed: 0 });
    const after = await worldDeks(dekRegistry, 'kek1');
    after.forEach((d, i) => expect(d.encryptedKeyMaterial).not.toBe(before[i]!.encryptedKeyMaterial));
    await expectReadable(w, schemaRegistry, dekRegistry);
  });
});

describe('rewrapKek with Azure Key Vault', () => {
  it('with encrypt.azure.key.version.save: after a rotation, DEKs carry the current version prefix; records decrypt once the old version is disabled', async () => {
    const key = kv.addKey('orders');
    const v1 = key.versions[0]!.version;
    const kms = {
      'azure-kms': {
        'tenant.id': kv.tenant,
        'client.id': 'app-1',
        'client.secret': 'azure-client-secret',
        'azure.authority.host': kv.url,
        'azure.disable.challenge.resource.verification': 'true',
        'ssl.ca.location': kv.caFile,
        'encrypt.azure.key.version.save': 'true',
      },
    };
    const { schemaRegistry, dekRegistry, world: w, journalPath } = await world('azure-kms', `${kv.url}/keys/orders`, kms);
    const prefix = (d: { encryptedKeyMaterial?: string }) => Buffer.from(d.encryptedKeyMaterial!, 'base64').subarray(0, 42).toString('latin1');
    for (const d of await worldDeks(dekRegistry, 'kek1')) expect(prefix(d)).toBe(`azure:v1:${v1}:`);
    const v2 = kv.rotate('orders').version;
    expect(await rewrapKek({ dekRegistry, kms, kekName: 'kek1', journalPath })).toMatchObject({ total: 3, rewrapped: 3, failed: 0 });
    for (const d of await worldDeks(dekRegistry, 'kek1')) expect(prefix(d)).toBe(`azure:v1:${v2}:`);
    key.versions[0]!.enabled = false;
    await expectReadable(w, schemaRegistry, dekRegistry);
  });
});
