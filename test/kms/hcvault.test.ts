/**
 * hcvault driver against an in-test HTTP server speaking Vault's transit and AppRole endpoints
 * (no Vault server can be installed in this environment).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hcVaultDriver, parseVaultKeyUrl } from '../../src/kms/hcvault';
import { newKmsClient, registerKmsDriver } from '../../src/kms/registry';
import { dek } from './helpers/dek';
import { failure, withSilentServer } from './helpers/faults';
import { startFakeVault, type FakeVault } from './fakes/vault-transit';

let vault: FakeVault;
const TOKEN = 'hvs.test-root-token-SECRET';

beforeAll(async () => {
  vault = await startFakeVault();
  vault.tokens.add(TOKEN);
  vault.addKey('transit', 'k1');
  vault.addKey('kafka/transit', 'k2');
  vault.addKey('transit', 'alt');
  vault.approles.set('role-1', 'secret-id-VERY-SECRET');
  registerKmsDriver(hcVaultDriver);
});
afterAll(async () => vault?.close());

describe('hcvault key URL', () => {
  it('takes the mount from the URL and assumes https without a scheme', () => {
    expect(parseVaultKeyUrl('https://vault.example:8200/transit/keys/my-key')).toEqual({
      origin: 'https://vault.example:8200',
      mount: 'transit',
      name: 'my-key',
    });
    expect(parseVaultKeyUrl('vault.example/team/a/transit/keys/k')).toEqual({
      origin: 'https://vault.example',
      mount: 'team/a/transit',
      name: 'k',
    });
    expect(() => parseVaultKeyUrl('https://vault.example/transit/k')).toThrow(expect.objectContaining({ code: 'KMS_CONFIG_INVALID' }));
  });
});

describe('hcvault transit', () => {
  it('wraps to UTF-8 vault:v1: bytes and unwraps, with token.id and namespace', async () => {
    const client = await hcVaultDriver.newClient({
      kmsKeyId: `${vault.url}/transit/keys/k1`,
      config: { 'token.id': TOKEN, namespace: 'team-a' },
    });
    const pt = dek();
    const from = vault.seen.length;
    const ct = await client.wrap(pt);
    expect(ct.toString('utf8')).toMatch(/^vault:v1:[A-Za-z0-9+/=]+$/);
    expect(await client.unwrap(ct)).toEqual(pt);
    expect(vault.seen.slice(from)).toEqual([
      { path: '/v1/transit/encrypt/k1', namespace: 'team-a', token: TOKEN },
      { path: '/v1/transit/decrypt/k1', namespace: 'team-a', token: TOKEN },
    ]);
  });

  it('uses a multi-segment mount from the URL', async () => {
    const client = await hcVaultDriver.newClient({ kmsKeyId: `${vault.url}/kafka/transit/keys/k2`, config: { 'token.id': TOKEN } });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
    expect(vault.seen.at(-1)!.path).toBe('/v1/kafka/transit/decrypt/k2');
  });

  it('falls back to VAULT_TOKEN and VAULT_NAMESPACE', async () => {
    process.env.VAULT_TOKEN = TOKEN;
    process.env.VAULT_NAMESPACE = 'ns-env';
    try {
      const client = await hcVaultDriver.newClient({ kmsKeyId: `${vault.url}/transit/keys/k1`, config: {} });
      await client.wrap(dek());
      expect(vault.seen.at(-1)).toMatchObject({ token: TOKEN, namespace: 'ns-env' });
    } finally {
      delete process.env.VAULT_TOKEN;
      delete process.env.VAULT_NAMESPACE;
    }
  });

  it('logs in with AppRole and uses the returned token', async () => {
    const client = await hcVaultDriver.newClient({
      kmsKeyId: `${vault.url}/transit/keys/k1`,
      config: { 'approle.role.id': 'role-1', 'approle.secret.id': 'secret-id-VERY-SECRET' },
    });
    const from = vault.seen.length;
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
    const seen = vault.seen.slice(from);
    expect(seen.map((s) => s.path)).toEqual(['/v1/auth/approle/login', '/v1/transit/encrypt/k1', '/v1/transit/decrypt/k1']);
    expect(seen[1]!.token).toMatch(/^hvs\./);
    expect(seen[1]!.token).not.toBe(TOKEN);
  });

  it('logs in again once when the AppRole token was revoked', async () => {
    const client = await hcVaultDriver.newClient({
      kmsKeyId: `${vault.url}/transit/keys/k1`,
      config: { 'approle.role.id': 'role-1', 'approle.secret.id': 'secret-id-VERY-SECRET' },
    });
    await client.wrap(dek());
    vault.tokens.delete(vault.seen.at(-1)!.token);
    const from = vault.seen.length;
    await client.wrap(dek());
    expect(vault.seen.slice(from).map((s) => s.path)).toEqual([
      '/v1/transit/encrypt/k1',
      '/v1/auth/approle/login',
      '/v1/transit/encrypt/k1',
    ]);
  });

  it('uses encrypt.alternate.kms.key.ids when the primary key is missing', async () => {
    const primary = `${vault.url}/transit/keys/missing`;
    const alt = `${vault.url}/transit/keys/alt`;
    const client = await newKmsClient('hcvault', primary, { 'token.id': TOKEN }, { 'encrypt.alternate.kms.key.ids': alt });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
  });
});

describe('hcvault faults', () => {
  const k1 = (): string => `${vault.url}/transit/keys/k1`;

  it('a wrong token gives KMS_ACCESS_DENIED without the token in the message', async () => {
    const bad = 'hvs.WRONG-token-SECRET';
    const client = await hcVaultDriver.newClient({ kmsKeyId: k1(), config: { 'token.id': bad } });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.message).not.toContain(bad);
    expect(err.context.status).toBe(403);
  });

  it('a wrong AppRole secret gives KMS_ACCESS_DENIED without the secret', async () => {
    const secret = 'wrong-secret-id-SECRET';
    const client = await hcVaultDriver.newClient({ kmsKeyId: k1(), config: { 'approle.role.id': 'role-1', 'approle.secret.id': secret } });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.message).not.toContain(secret);
  });

  it('no credentials at all give KMS_CONFIG_INVALID', async () => {
    const client = await hcVaultDriver.newClient({ kmsKeyId: k1(), config: {} });
    expect((await failure(client.wrap(dek()))).code).toBe('KMS_CONFIG_INVALID');
  });

  it('a missing key gives KMS_KEY_NOT_FOUND, a missing mount too', async () => {
    const a = await hcVaultDriver.newClient({ kmsKeyId: `${vault.url}/transit/keys/nope`, config: { 'token.id': TOKEN } });
    expect((await failure(a.unwrap(Buffer.from('vault:v1:AAAA')))).code).toBe('KMS_KEY_NOT_FOUND');
    const b = await hcVaultDriver.newClient({ kmsKeyId: `${vault.url}/nomount/keys/k1`, config: { 'token.id': TOKEN } });
    expect((await failure(b.wrap(dek()))).code).toBe('KMS_KEY_NOT_FOUND');
  });

  it('a key version below min_decryption_version gives KMS_KEY_DISABLED', async () => {
    const key = vault.addKey('transit', 'rotated');
    const client = await hcVaultDriver.newClient({ kmsKeyId: `${vault.url}/transit/keys/rotated`, config: { 'token.id': TOKEN } });
    const ct = await client.wrap(dek());
    key.versions.push(randomBytes(32));
    key.minDecryptionVersion = 2;
    expect((await failure(client.unwrap(ct))).code).toBe('KMS_KEY_DISABLED');
  });

  it('retries 429 and 503 (sealed) and then succeeds', async () => {
    const client = await hcVaultDriver.newClient({ kmsKeyId: k1(), config: { 'token.id': TOKEN, 'kms.retry.backoff.ms': '20' } });
    vault.failNext = { status: 429, count: 1, error: 'request path "transit/encrypt/k1": rate limit quota exceeded' };
    const from = vault.seen.length;
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(vault.seen.length - from).toBe(2);
    vault.failNext = { status: 503, count: 2, error: 'Vault is sealed' };
    expect(await client.unwrap(ct)).toEqual(pt);
  });

  it('persistent throttling ends in KMS_THROTTLED, persistent 503 in KMS_UNAVAILABLE (retryable)', async () => {
    const client = await hcVaultDriver.newClient({
      kmsKeyId: k1(),
      config: { 'token.id': TOKEN, 'kms.retry.backoff.ms': '5', 'kms.max.retries': '2' },
    });
    vault.failNext = { status: 429, count: 3, error: 'rate limit quota exceeded' };
    const t = await failure(client.wrap(dek()));
    expect([t.code, t.retryable]).toEqual(['KMS_THROTTLED', true]);
    vault.failNext = { status: 503, count: 3, error: 'Vault is sealed' };
    const u = await failure(client.wrap(dek()));
    expect([u.code, u.retryable]).toEqual(['KMS_UNAVAILABLE', true]);
    vault.failNext = { status: 0, count: 0, error: '' };
  });

  it('a stopped server gives KMS_UNAVAILABLE and a silent one KMS_TIMEOUT, within the timeout', async () => {
    const other = await startFakeVault();
    other.tokens.add(TOKEN);
    other.addKey('transit', 'k');
    const client = await hcVaultDriver.newClient({
      kmsKeyId: `${other.url}/transit/keys/k`,
      config: { 'token.id': TOKEN, 'kms.timeout.ms': '1500', 'kms.retry.backoff.ms': '20' },
    });
    const ct = await client.wrap(dek());
    await other.close();
    let t0 = Date.now();
    const down = await failure(client.unwrap(ct));
    expect(down.code).toBe('KMS_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(2700);

    await withSilentServer(async (port) => {
      const c2 = await hcVaultDriver.newClient({
        kmsKeyId: `http://127.0.0.1:${port}/transit/keys/k`,
        config: { 'token.id': TOKEN, 'kms.timeout.ms': '700' },
      });
      t0 = Date.now();
      const slow = await failure(c2.wrap(dek()));
      expect(slow.code).toBe('KMS_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(1900);
    });
  });
});

describe('client objects never show credentials', () => {
  it('util.inspect and JSON.stringify show only the key URL', async () => {
    const { inspect } = await import('node:util');
    const { awsKmsDriver } = await import('../../src/kms/aws');
    const { azureKmsDriver } = await import('../../src/kms/azure');
    const { gcpKmsDriver } = await import('../../src/kms/gcp');
    const secret = 'SUPER-SECRET-VALUE-1';
    const clients = [
      await hcVaultDriver.newClient({ kmsKeyId: `${vault.url}/transit/keys/k1`, config: { 'token.id': secret } }),
      await awsKmsDriver.newClient({ kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k', config: { 'access.key.id': 'AKIA', 'secret.access.key': secret } }),
      await azureKmsDriver.newClient({
        kmsKeyId: 'https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef',
        config: { 'tenant.id': 't', 'client.id': 'c', 'client.secret': secret },
      }),
      await gcpKmsDriver.newClient({
        kmsKeyId: 'projects/p/locations/l/keyRings/r/cryptoKeys/k',
        config: { 'client.id': '1', 'client.email': 'a@b', 'private.key.id': 'x', 'private.key': secret },
      }),
    ];
    for (const c of clients) {
      expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(secret);
      expect(JSON.stringify(c)).not.toContain(secret);
      expect(inspect(c)).toContain(c.keyUrl);
    }
  });
});
