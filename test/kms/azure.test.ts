/**
 * azure-kms driver (the real @azure/keyvault-keys + @azure/identity clients, client-secret
 * credential through a custom authority) against an in-test HTTPS Key Vault + Entra ID server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureKmsDriver, parseAzureKeyUrl, splitAzureVersionPrefix } from '../../src/kms/azure';
import { newKmsClient, registerKmsDriver } from '../../src/kms/registry';
import { dek } from './helpers/dek';
import { failure, withSilentServer } from './helpers/faults';
import { startFakeKeyVault, type FakeKeyVault } from './fakes/azure-key-vault';

let kv: FakeKeyVault;
const SECRET = 'client-secret-VERY-SECRET-42';

function cfg(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'tenant.id': kv.tenant,
    'client.id': 'app-1',
    'client.secret': SECRET,
    'azure.authority.host': kv.url,
    'azure.disable.challenge.resource.verification': 'true',
    'ssl.ca.location': kv.caFile,
    'kms.timeout.ms': '5000',
    ...extra,
  };
}
const keyUrl = (name: string, version?: string): string => `${kv.url}/keys/${name}${version ? `/${version}` : ''}`;

beforeAll(async () => {
  kv = await startFakeKeyVault();
  kv.clients.set('app-1', SECRET);
  kv.addKey('k1');
  kv.addKey('alt');
  registerKmsDriver(azureKmsDriver);
});
afterAll(async () => kv?.close());

describe('azure-kms key URL and prefix', () => {
  it('parses versioned and unversioned key URLs', () => {
    expect(parseAzureKeyUrl('https://v1.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef')).toEqual({
      vault: 'https://v1.vault.azure.net',
      name: 'k',
      version: '0123456789abcdef0123456789abcdef',
    });
    expect(parseAzureKeyUrl('https://v1.vault.azure.net/keys/k')).toEqual({ vault: 'https://v1.vault.azure.net', name: 'k' });
    expect(() => parseAzureKeyUrl('http://v1.vault.azure.net/keys/k')).toThrow(expect.objectContaining({ code: 'KMS_CONFIG_INVALID' }));
    expect(() => parseAzureKeyUrl('https://v1.vault.azure.net/secrets/k')).toThrow(expect.objectContaining({ code: 'KMS_CONFIG_INVALID' }));
  });

  it('splits only a well-formed azure:v1:<32 hex>: prefix', () => {
    const v = '0123456789abcdef0123456789ABCDEF';
    expect(splitAzureVersionPrefix(Buffer.from(`azure:v1:${v}:xyz`))).toEqual({ version: v, ciphertext: Buffer.from('xyz') });
    expect(splitAzureVersionPrefix(Buffer.from(`azure:v1:${v.slice(1)}g:xyz`))).toBeUndefined();
    expect(splitAzureVersionPrefix(Buffer.from(`azure:v1:${v};xyz`))).toBeUndefined();
    expect(splitAzureVersionPrefix(randomBytes(256))).toBeUndefined();
  });
});

describe('azure-kms round trip', () => {
  it('wraps with RSA-OAEP-256 (modulus-size ciphertext) and unwraps, using a client-secret credential', async () => {
    const version = kv.keys.get('k1')!.versions[0]!.version;
    const client = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('k1', version), config: cfg() });
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(ct).toHaveLength(256);
    expect(await client.unwrap(ct)).toEqual(pt);
    expect(kv.seen.some(([m, p]) => m === 'POST' && p === `/keys/k1/${version}/encrypt`)).toBe(true);
  });

  it('with encrypt.azure.key.version.save=true writes the version prefix, and reads it after a rotation', async () => {
    kv.addKey('rot');
    const v1 = kv.keys.get('rot')!.versions[0]!.version;
    const client = await newKmsClient('azure-kms', keyUrl('rot'), cfg(), { 'encrypt.azure.key.version.save': 'true' });
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(ct.subarray(0, 42).toString('latin1')).toBe(`azure:v1:${v1}:`);
    expect(ct).toHaveLength(42 + 256);
    kv.rotate('rot'); // the unversioned URL now means v2
    const reader = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('rot'), config: cfg() }); // flag off: still honours the prefix
    expect(await reader.unwrap(ct)).toEqual(pt);
    expect(kv.seen.at(-1)).toEqual(['POST', `/keys/rot/${v1}/decrypt`]);
  });

  it('without the flag writes raw RSA bytes', async () => {
    const client = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('k1'), config: cfg() });
    const ct = await client.wrap(dek());
    expect(ct).toHaveLength(256);
  });

  it('reaches the vault through an endpoint override', async () => {
    const version = kv.keys.get('k1')!.versions[0]!.version;
    const client = await azureKmsDriver.newClient({
      kmsKeyId: `https://myvault.vault.azure.net/keys/k1/${version}`,
      config: cfg({ endpoint: kv.url, 'azure.disable.challenge.resource.verification': undefined }),
    });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
  });

  it('uses encrypt.alternate.kms.key.ids when the primary key is missing', async () => {
    const client = await newKmsClient('azure-kms', keyUrl('missing'), cfg(), { 'encrypt.alternate.kms.key.ids': keyUrl('alt') });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
  });
});

describe('azure-kms faults', () => {
  it('a disabled key gives KMS_KEY_DISABLED', async () => {
    kv.addKey('off').versions[0]!.enabled = false;
    const client = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('off'), config: cfg() });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_KEY_DISABLED');
    expect(err.context.status).toBe(403);
  });

  it('a deleted key gives KMS_KEY_NOT_FOUND', async () => {
    kv.addKey('gone').deleted = true;
    const client = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('gone'), config: cfg() });
    expect((await failure(client.wrap(dek()))).code).toBe('KMS_KEY_NOT_FOUND');
  });

  it('a wrong client secret gives KMS_ACCESS_DENIED without the secret anywhere in the error', async () => {
    const wrong = 'wrong-client-secret-SECRET-99';
    const client = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('k1'), config: cfg({ 'client.secret': wrong }) });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.retryable).toBe(false);
    for (const s of [wrong, SECRET]) {
      expect(err.message).not.toContain(s);
      expect(String(err.stack)).not.toContain(s);
      expect(JSON.stringify(err.context)).not.toContain(s);
    }
  });

  it('rejects partial client-secret fields with KMS_CONFIG_INVALID', () => {
    expect(() => azureKmsDriver.newClient({ kmsKeyId: keyUrl('k1'), config: { 'tenant.id': 't', 'client.secret': SECRET } })).toThrow(
      expect.objectContaining({ code: 'KMS_CONFIG_INVALID' }),
    );
  });

  it('retries 429 and 503 then succeeds; persistent 429 ends in KMS_THROTTLED', async () => {
    const client = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('k1'), config: cfg({ 'kms.retry.backoff.ms': '20' }) });
    await client.wrap(dek()); // token + key fetched
    kv.failNext = { status: 429, count: 1, code: 'Throttled' };
    const from = kv.seen.length;
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(kv.seen.slice(from).filter(([m]) => m === 'POST')).toHaveLength(2);
    kv.failNext = { status: 503, count: 1, code: 'ServiceUnavailable' };
    expect(await client.unwrap(ct)).toEqual(pt);

    const c2 = await azureKmsDriver.newClient({ kmsKeyId: keyUrl('k1'), config: cfg({ 'kms.retry.backoff.ms': '5', 'kms.max.retries': '1' }) });
    await c2.wrap(dek());
    kv.failNext = { status: 429, count: 2, code: 'Throttled' };
    const err = await failure(c2.wrap(dek()));
    expect([err.code, err.retryable]).toEqual(['KMS_THROTTLED', true]);
    kv.failNext = { status: 0, count: 0, code: '' };
  });

  it('a stopped vault gives KMS_UNAVAILABLE and a silent one KMS_TIMEOUT, within the timeout', async () => {
    const other = await startFakeKeyVault();
    other.clients.set('app-1', SECRET);
    other.addKey('k');
    const config = {
      ...cfg(),
      'azure.authority.host': other.url,
      'ssl.ca.location': other.caFile,
      'kms.timeout.ms': '2000',
      'kms.retry.backoff.ms': '20',
    };
    const client = await azureKmsDriver.newClient({ kmsKeyId: `${other.url}/keys/k`, config });
    const ct = await client.wrap(dek());
    await other.close();
    let t0 = Date.now();
    const down = await failure(client.unwrap(ct));
    expect(down.code).toBe('KMS_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(3200);

    await withSilentServer(async (port) => {
      const c2 = await azureKmsDriver.newClient({
        kmsKeyId: `https://localhost:${port}/keys/k`,
        config: { ...cfg(), 'kms.timeout.ms': '800' },
      });
      t0 = Date.now();
      const slow = await failure(c2.wrap(dek()));
      expect(slow.code).toBe('KMS_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });
});
