/**
 * gcp-kms driver (the real @google-cloud/kms gRPC client) against an in-test Cloud KMS gRPC
 * server: round trip over the endpoint override, typed faults, retries, alternates.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcpKmsDriver, parseGcpKeyName } from '../../src/kms/gcp';
import { newKmsClient, registerKmsDriver } from '../../src/kms/registry';
import { dek } from './helpers/dek';
import { failure, withSilentServer } from './helpers/faults';
import { startFakeGcpKms, type FakeGcpKms } from './fakes/gcp-kms';

let kms: FakeGcpKms;
const KEY = 'projects/p1/locations/global/keyRings/ring/cryptoKeys/k1';
const ALT = 'projects/p1/locations/global/keyRings/ring/cryptoKeys/alt';

const cfg = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ endpoint: kms.endpoint, 'kms.timeout.ms': '3000', ...extra });

beforeAll(async () => {
  kms = await startFakeGcpKms();
  kms.addKey(KEY);
  kms.addKey(ALT);
  registerKmsDriver(gcpKmsDriver);
});
afterAll(async () => kms?.close());

describe('gcp-kms', () => {
  it('validates the key name and the explicit credential fields', () => {
    expect(parseGcpKeyName(KEY).project).toBe('p1');
    expect(() => gcpKmsDriver.newClient({ kmsKeyId: 'projects/p/keys/x', config: {} })).toThrow(
      expect.objectContaining({ code: 'KMS_CONFIG_INVALID' }),
    );
    const secret = '-----BEGIN PRIVATE KEY-----\nSECRET-KEY-BODY\n-----END PRIVATE KEY-----';
    let thrown: unknown;
    try {
      gcpKmsDriver.newClient({ kmsKeyId: KEY, config: { 'client.email': 'sa@p1.iam.gserviceaccount.com', 'private.key': secret } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'KMS_CONFIG_INVALID' });
    expect(String((thrown as Error).message)).not.toContain('SECRET-KEY-BODY');
  });

  it('wraps and unwraps through the endpoint override', async () => {
    const client = await gcpKmsDriver.newClient({ kmsKeyId: KEY, config: cfg() });
    const pt = dek();
    const from = kms.calls.length;
    const ct = await client.wrap(pt);
    expect(ct.equals(pt)).toBe(false);
    expect(await client.unwrap(ct)).toEqual(pt);
    expect(kms.calls.slice(from)).toEqual([
      { method: 'Encrypt', name: KEY },
      { method: 'Decrypt', name: KEY },
    ]);
  });

  it('a disabled key version gives KMS_KEY_DISABLED', async () => {
    const name = `${KEY}-disabled`;
    kms.addKey(name).state = 'DISABLED';
    const client = await gcpKmsDriver.newClient({ kmsKeyId: name, config: cfg() });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_KEY_DISABLED');
    expect(err.retryable).toBe(false);
  });

  it('a key version scheduled for destruction gives KMS_KEY_NOT_FOUND, an unknown key too', async () => {
    const name = `${KEY}-destroyed`;
    kms.addKey(name).state = 'DESTROY_SCHEDULED';
    const a = await gcpKmsDriver.newClient({ kmsKeyId: name, config: cfg() });
    expect((await failure(a.wrap(dek()))).code).toBe('KMS_KEY_NOT_FOUND');
    const b = await gcpKmsDriver.newClient({ kmsKeyId: `${KEY}-unknown`, config: cfg() });
    expect((await failure(b.wrap(dek()))).code).toBe('KMS_KEY_NOT_FOUND');
  });

  it('PERMISSION_DENIED gives KMS_ACCESS_DENIED', async () => {
    const name = `${KEY}-denied`;
    kms.addKey(name).denied = true;
    const client = await gcpKmsDriver.newClient({ kmsKeyId: name, config: cfg() });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.context.upstreamCode).toBe(status.PERMISSION_DENIED);
  });

  it('retries RESOURCE_EXHAUSTED and UNAVAILABLE, then succeeds', async () => {
    const client = await gcpKmsDriver.newClient({ kmsKeyId: KEY, config: cfg({ 'kms.retry.backoff.ms': '20' }) });
    kms.failNext = { code: status.RESOURCE_EXHAUSTED, count: 1 };
    const from = kms.calls.length;
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(kms.calls.length - from).toBe(2);
    kms.failNext = { code: status.UNAVAILABLE, count: 2 };
    expect(await client.unwrap(ct)).toEqual(pt);
  });

  it('persistent RESOURCE_EXHAUSTED ends in KMS_THROTTLED', async () => {
    const client = await gcpKmsDriver.newClient({ kmsKeyId: KEY, config: cfg({ 'kms.retry.backoff.ms': '5', 'kms.max.retries': '2' }) });
    kms.failNext = { code: status.RESOURCE_EXHAUSTED, count: 3 };
    const from = kms.calls.length;
    const err = await failure(client.wrap(dek()));
    expect([err.code, err.retryable]).toEqual(['KMS_THROTTLED', true]);
    expect(kms.calls.length - from).toBe(3);
  });

  it('uses encrypt.alternate.kms.key.ids when the primary is disabled', async () => {
    const name = `${KEY}-off`;
    kms.addKey(name).state = 'DISABLED';
    const client = await newKmsClient('gcp-kms', name, cfg(), { 'encrypt.alternate.kms.key.ids': ALT });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
  });

  it('a stopped server gives KMS_UNAVAILABLE and a silent one KMS_TIMEOUT, within the timeout', async () => {
    const other = await startFakeGcpKms();
    other.addKey(KEY);
    const client = await gcpKmsDriver.newClient({
      kmsKeyId: KEY,
      config: { endpoint: other.endpoint, 'kms.timeout.ms': '2000', 'kms.retry.backoff.ms': '20' },
    });
    const ct = await client.wrap(dek());
    await other.close();
    let t0 = Date.now();
    const down = await failure(client.unwrap(ct));
    expect(down.code).toBe('KMS_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(3200);

    await withSilentServer(async (port) => {
      const c2 = await gcpKmsDriver.newClient({
        kmsKeyId: KEY,
        config: { endpoint: `http://127.0.0.1:${port}`, 'kms.timeout.ms': '800' },
      });
      t0 = Date.now();
      const slow = await failure(c2.wrap(dek()));
      expect(['KMS_TIMEOUT', 'KMS_UNAVAILABLE']).toContain(slow.code);
      expect(slow.retryable).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });
});

describe('gcp-kms over TLS with service-account credentials', () => {
  // a TLS Cloud KMS fake that checks the service account's self-signed JWT on every call
  let tlsKms: FakeGcpKms;
  let caFile: string;
  const account = { email: 'csfle@p1.iam.gserviceaccount.com', keyId: 'k-0123456789' };
  let privatePem: string;

  beforeAll(async () => {
    const { execFileSync } = await import('node:child_process');
    const { generateKeyPairSync } = await import('node:crypto');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-gcp-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    caFile = path.join(dir, 'cert.pem');
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privatePem = sa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    tlsKms = await startFakeGcpKms({
      keyPem: readFileSync(path.join(dir, 'key.pem')),
      certPem: readFileSync(caFile),
      accounts: new Map([[account.keyId, { email: account.email, publicKey: sa.publicKey }]]),
    });
    tlsKms.addKey(KEY);
  });
  afterAll(async () => tlsKms?.close());

  const saConfig = (privateKey: string): Record<string, unknown> => ({
    endpoint: tlsKms.endpoint,
    'ssl.ca.location': caFile,
    'client.id': '1234567890',
    'client.email': account.email,
    'private.key.id': account.keyId,
    'private.key': privateKey,
    'kms.timeout.ms': '5000',
  });

  it('authenticates every call with the configured service account', async () => {
    const client = await gcpKmsDriver.newClient({ kmsKeyId: KEY, config: saConfig(privatePem.replace(/\n/g, '\\n')) });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
    expect(tlsKms.callers.slice(-2)).toEqual([account.email, account.email]);
  });

  it('a wrong private key gives KMS_ACCESS_DENIED without the key in the error', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const client = await gcpKmsDriver.newClient({ kmsKeyId: KEY, config: saConfig(other) });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.context.upstreamCode).toBe(status.UNAUTHENTICATED);
    const body = other.split('\n')[1]!;
    expect(err.message).not.toContain(body);
    expect(String(err.stack)).not.toContain(body);
  });
});
