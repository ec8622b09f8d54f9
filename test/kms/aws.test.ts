/**
 * aws-kms driver against moto (scripts/services/moto.sh): round trips, multi-region keys,
 * credentials (static, AssumeRole, wrong keys under moto's IAM authentication), typed faults,
 * throttling retries, `encrypt.alternate.kms.key.ids` fallback and the shared-credentials
 * `profile` option.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { awsKmsDriver } from '../../src/kms/aws';
import { newKmsClient, registerKmsDriver } from '../../src/kms/registry';
import { dek } from './helpers/dek';
import { failure, withSilentServer } from './helpers/faults';
import { requireEnv } from './helpers/env';
import { signingAccessKey, signingRegion, startProxy, type TestProxy } from './helpers/http-proxy';
import {
  TEST_CREDS,
  createKey,
  disableKey,
  enableMotoAuth,
  kmsAdmin,
  replicateKey,
  scheduleDeletion,
} from './helpers/moto';

let endpoint: string;
let authEndpoint: string;
let mrkArn: string; // primary in us-east-1, replica in us-west-2
let plainArn: string; // single-region key in us-east-1
let disabledArn: string;
let deletedArn: string;
let proxy: TestProxy;

const creds = { 'access.key.id': TEST_CREDS.accessKeyId, 'secret.access.key': TEST_CREDS.secretAccessKey };

function cfg(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...creds, endpoint: proxy.url, 'kms.timeout.ms': '5000', ...extra };
}

/** KMS requests seen by the proxy since `from`: [operation, signing region, KeyId]. */
function kmsCalls(from = 0): Array<[string, string | undefined, string | undefined]> {
  return proxy.requests.slice(from).flatMap((r) => {
    const target = String(r.headers['x-amz-target'] ?? '');
    if (!target.startsWith('TrentService.')) return [];
    const body = JSON.parse(r.body || '{}') as { KeyId?: string };
    return [[target.slice('TrentService.'.length), signingRegion(r), body.KeyId] as [string, string | undefined, string | undefined]];
  });
}

beforeAll(async () => {
  endpoint = requireEnv('MOTO_ENDPOINT', 'moto');
  authEndpoint = requireEnv('MOTO_AUTH_ENDPOINT', 'moto');
  registerKmsDriver(awsKmsDriver);
  mrkArn = await createKey(endpoint, 'us-east-1', true);
  await replicateKey(endpoint, mrkArn, 'us-east-1', 'us-west-2');
  plainArn = await createKey(endpoint, 'us-east-1');
  disabledArn = await createKey(endpoint, 'us-east-1');
  await disableKey(endpoint, 'us-east-1', disabledArn);
  deletedArn = await createKey(endpoint, 'us-east-1');
  await scheduleDeletion(endpoint, 'us-east-1', deletedArn);
  proxy = await startProxy(endpoint);
});

afterAll(async () => {
  await proxy?.close();
});

describe('aws-kms round trip', () => {
  it('wraps and unwraps a DEK with static credentials', async () => {
    const client = await awsKmsDriver.newClient({ kmsKeyId: plainArn, config: cfg() });
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(ct.equals(pt)).toBe(false);
    expect(await client.unwrap(ct)).toEqual(pt);
    expect(client.keyUrl).toBe(`aws-kms://${plainArn}`);
  });

  it('assumes role.arn with STS and calls KMS with the temporary credentials', async () => {
    const from = proxy.requests.length;
    const client = await awsKmsDriver.newClient({
      kmsKeyId: plainArn,
      config: cfg({ 'role.arn': 'arn:aws:iam::123456789012:role/csfle', 'role.external.id': 'ext-1', 'sts.endpoint': proxy.url }),
    });
    const pt = dek();
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
    const seen = proxy.requests.slice(from);
    const sts = seen.filter((r) => r.body.includes('Action=AssumeRole'));
    expect(sts).toHaveLength(1);
    expect(sts[0]!.body).toContain('RoleSessionName=confluent-encrypt');
    expect(sts[0]!.body).toContain('ExternalId=ext-1');
    expect(signingAccessKey(sts[0]!)).toBe(TEST_CREDS.accessKeyId);
    const kms = seen.filter((r) => String(r.headers['x-amz-target'] ?? '').startsWith('TrentService.'));
    expect(kms).toHaveLength(2);
    for (const r of kms) {
      expect(signingAccessKey(r)).not.toBe(TEST_CREDS.accessKeyId); // the assumed role's key
      expect(r.headers['x-amz-security-token']).toBeTruthy();
    }
  });
  it('uses web identity from the default chain (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), not AssumeRole', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const tokenFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'wi-')), 'token');
    writeFileSync(tokenFile, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJjc2ZsZSJ9.');
    const keys = ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
    const saved = keys.map((k) => process.env[k]);
    for (const k of keys) delete process.env[k]; // env credentials would come first in the chain
    process.env.AWS_WEB_IDENTITY_TOKEN_FILE = tokenFile;
    process.env.AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/irsa';
    process.env.AWS_ENDPOINT_URL_STS = proxy.url;
    try {
      const from = proxy.requests.length;
      const client = await awsKmsDriver.newClient({ kmsKeyId: plainArn, config: { endpoint: proxy.url } });
      const pt = dek();
      expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
      const seen = proxy.requests.slice(from);
      expect(seen.filter((r) => r.body.includes('Action=AssumeRoleWithWebIdentity'))).toHaveLength(1);
      expect(seen.filter((r) => r.body.includes('Action=AssumeRole&'))).toHaveLength(0);
      const kms = seen.filter((r) => String(r.headers['x-amz-target'] ?? '').startsWith('TrentService.'));
      expect(kms).toHaveLength(2);
      for (const r of kms) expect(signingAccessKey(r)).toMatch(/^ASIA/);
    } finally {
      keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
  });
});

describe('aws-kms multi-region keys', () => {
  it('unwraps in us-west-2 through the local replica a DEK wrapped in us-east-1', async () => {
    expect(mrkArn).toMatch(/:key\/mrk-/);
    const producer = await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg({ region: 'us-east-1' }) });
    const pt = dek();
    let from = proxy.requests.length;
    const ct = await producer.wrap(pt);
    expect(kmsCalls(from)).toEqual([['Encrypt', 'us-east-1', mrkArn]]);

    const consumer = await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg({ region: 'us-west-2' }) });
    from = proxy.requests.length;
    expect(await consumer.unwrap(ct)).toEqual(pt);
    const replica = mrkArn.replace(':us-east-1:', ':us-west-2:');
    expect(kmsCalls(from)).toEqual([['Decrypt', 'us-west-2', replica]]);
  });

  it('takes the client region from AWS_REGION when no region is configured', async () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'us-west-2';
    try {
      const client = await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg() });
      const from = proxy.requests.length;
      await client.wrap(dek());
      expect(kmsCalls(from)).toEqual([['Encrypt', 'us-west-2', mrkArn.replace(':us-east-1:', ':us-west-2:')]]);
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it('uses the ARN as stored when aws.disable.dynamic.mrk=true (KEK kmsProps)', async () => {
    const producer = await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg({ region: 'us-east-1' }) });
    const pt = dek();
    const ct = await producer.wrap(pt);
    const consumer = await newKmsClient('aws-kms', mrkArn, cfg({ region: 'us-west-2' }), { 'aws.disable.dynamic.mrk': 'true' });
    const from = proxy.requests.length;
    expect(await consumer.unwrap(ct)).toEqual(pt);
    expect(kmsCalls(from)).toEqual([['Decrypt', 'us-east-1', mrkArn]]);
  });

  it('falls back to the stored ARN when the client region has no replica', async () => {
    const producer = await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg({ region: 'us-east-1' }) });
    const pt = dek();
    const ct = await producer.wrap(pt);
    const consumer = await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg({ region: 'eu-west-1' }) });
    const from = proxy.requests.length;
    expect(await consumer.unwrap(ct)).toEqual(pt);
    expect(kmsCalls(from)).toEqual([
      ['Decrypt', 'eu-west-1', mrkArn.replace(':us-east-1:', ':eu-west-1:')],
      ['Decrypt', 'us-east-1', mrkArn],
    ]);
  });

  it('falls back to the stored ARN when the replica region endpoint is unreachable', async () => {
    // a per-region endpoint is not configurable, so emulate an unreachable replica by an MRK
    // whose replica region answers 503 through the proxy
    const pt = dek();
    const ct = await (await awsKmsDriver.newClient({ kmsKeyId: mrkArn, config: cfg() })).wrap(pt);
    proxy.intercept = (r) =>
      signingRegion(r) === 'us-west-2'
        ? { status: 503, body: JSON.stringify({ __type: 'KMSInternalException', message: 'down' }) }
        : undefined;
    try {
      const consumer = await awsKmsDriver.newClient({
        kmsKeyId: mrkArn,
        config: cfg({ region: 'us-west-2', 'kms.max.retries': '1', 'kms.retry.backoff.ms': '10' }),
      });
      const from = proxy.requests.length;
      expect(await consumer.unwrap(ct)).toEqual(pt);
      expect(kmsCalls(from).map((c) => c[1])).toEqual(['us-west-2', 'us-west-2', 'us-east-1']);
    } finally {
      proxy.intercept = undefined;
    }
  });

  it('never rewrites a non-MRK key', async () => {
    const client = await awsKmsDriver.newClient({ kmsKeyId: plainArn, config: cfg({ region: 'us-west-2' }) });
    const pt = dek();
    const from = proxy.requests.length;
    expect(await client.unwrap(await client.wrap(pt))).toEqual(pt);
    expect(kmsCalls(from)).toEqual([
      ['Encrypt', 'us-east-1', plainArn],
      ['Decrypt', 'us-east-1', plainArn],
    ]);
  });
});

describe('aws-kms faults', () => {
  it('a disabled key gives KMS_KEY_DISABLED (not retryable)', async () => {
    const client = await awsKmsDriver.newClient({ kmsKeyId: disabledArn, config: cfg() });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_KEY_DISABLED');
    expect(err.retryable).toBe(false);
    expect(err.context.upstreamCode).toBe('DisabledException');
    expect(err.message).toContain(disabledArn);
  });

  it('a key scheduled for deletion gives KMS_KEY_NOT_FOUND', async () => {
    const client = await awsKmsDriver.newClient({ kmsKeyId: deletedArn, config: cfg() });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_KEY_NOT_FOUND');
    expect(err.context.upstreamCode).toBe('KMSInvalidStateException');
  });

  it('a key that does not exist gives KMS_KEY_NOT_FOUND', async () => {
    const missing = plainArn.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000');
    const client = await awsKmsDriver.newClient({ kmsKeyId: missing, config: cfg() });
    expect((await failure(client.wrap(dek()))).code).toBe('KMS_KEY_NOT_FOUND');
  });

  it('wrong credentials give KMS_ACCESS_DENIED under moto IAM authentication, without the secret in the message', async () => {
    const good = await enableMotoAuth(authEndpoint);
    const admin = kmsAdmin(authEndpoint, 'us-east-1', good);
    const arn = (await admin.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const ok = await awsKmsDriver.newClient({
      kmsKeyId: arn,
      config: { endpoint: authEndpoint, 'access.key.id': good.accessKeyId, 'secret.access.key': good.secretAccessKey },
    });
    const pt = dek();
    expect(await ok.unwrap(await ok.wrap(pt))).toEqual(pt);

    const secret = 'wrong-secret-VERY-SECRET-value-123';
    const bad = await awsKmsDriver.newClient({
      kmsKeyId: arn,
      config: { endpoint: authEndpoint, 'access.key.id': good.accessKeyId, 'secret.access.key': secret },
    });
    const err = await failure(bad.wrap(pt));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err.context)).not.toContain(secret);
    expect(String(err.stack)).not.toContain(secret);

    const unknown = await awsKmsDriver.newClient({
      kmsKeyId: arn,
      config: { endpoint: authEndpoint, 'access.key.id': 'AKIADOESNOTEXIST0000', 'secret.access.key': secret },
    });
    expect((await failure(unknown.wrap(pt))).code).toBe('KMS_ACCESS_DENIED');
  });

  it('a stopped endpoint gives KMS_UNAVAILABLE within the timeout', async () => {
    const p = await startProxy(endpoint);
    const config = { ...creds, endpoint: p.url, 'kms.timeout.ms': '2000', 'kms.retry.backoff.ms': '20' };
    const client = await awsKmsDriver.newClient({ kmsKeyId: plainArn, config });
    const pt = dek();
    const ct = await client.wrap(pt);
    await p.close(); // the emulator's endpoint goes away
    const t0 = Date.now();
    const err = await failure(client.unwrap(ct));
    expect(err.code).toBe('KMS_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3200);
  });

  it('an endpoint that never answers gives KMS_TIMEOUT within the timeout', async () => {
    await withSilentServer(async (port) => {
      const client = await awsKmsDriver.newClient({
        kmsKeyId: plainArn,
        config: { ...creds, endpoint: `http://127.0.0.1:${port}`, 'kms.timeout.ms': '800' },
      });
      const t0 = Date.now();
      const err = await failure(client.wrap(dek()));
      expect(err.code).toBe('KMS_TIMEOUT');
      expect(err.retryable).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });

  it('retries a throttled call with backoff, then succeeds', async () => {
    const client = await awsKmsDriver.newClient({ kmsKeyId: plainArn, config: cfg({ 'kms.retry.backoff.ms': '50' }) });
    let throttled = 0;
    proxy.intercept = (r) => {
      if (String(r.headers['x-amz-target']) === 'TrentService.Encrypt' && throttled < 2) {
        throttled++;
        return { status: 400, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) };
      }
      return undefined;
    };
    try {
      const from = proxy.requests.length;
      const pt = dek();
      const ct = await client.wrap(pt);
      expect(throttled).toBe(2);
      expect(kmsCalls(from).map((c) => c[0])).toEqual(['Encrypt', 'Encrypt', 'Encrypt']);
      expect(await client.unwrap(ct)).toEqual(pt);
    } finally {
      proxy.intercept = undefined;
    }
  });

  it('gives KMS_THROTTLED (retryable) when throttling outlasts the retries', async () => {
    const client = await awsKmsDriver.newClient({
      kmsKeyId: plainArn,
      config: cfg({ 'kms.max.retries': '2', 'kms.retry.backoff.ms': '10' }),
    });
    proxy.intercept = () => ({ status: 400, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) });
    try {
      const from = proxy.requests.length;
      const err = await failure(client.wrap(dek()));
      expect(err.code).toBe('KMS_THROTTLED');
      expect(err.retryable).toBe(true);
      expect(kmsCalls(from)).toHaveLength(3);
    } finally {
      proxy.intercept = undefined;
    }
  });

  it('rejects a key id that is not an ARN with KMS_CONFIG_INVALID', () => {
    expect(() => awsKmsDriver.newClient({ kmsKeyId: 'my-key', config: {} })).toThrow(
      expect.objectContaining({ code: 'KMS_CONFIG_INVALID' }),
    );
  });
});

describe('aws-kms encrypt.alternate.kms.key.ids', () => {
  it('wraps with the alternate when the primary is disabled, and unwraps with it', async () => {
    const client = await newKmsClient('aws-kms', disabledArn, cfg(), { 'encrypt.alternate.kms.key.ids': plainArn });
    const pt = dek();
    const from = proxy.requests.length;
    const ct = await client.wrap(pt);
    expect(kmsCalls(from).map((c) => [c[0], c[2]])).toEqual([
      ['Encrypt', disabledArn],
      ['Encrypt', plainArn],
    ]);
    expect(await client.unwrap(ct)).toEqual(pt);
  });
});

describe('aws-kms profile (shared credentials file, moto IAM authentication)', () => {
  // Env that would win over (or mix into) the profile under test; cleared, then restored.
  const ENV_KEYS = [
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
  ] as const;
  const badSecret = 'profile-bad-secret-VERY-SECRET-value-456';
  let saved: Array<string | undefined>;
  let dir: string;
  let arn: string;
  let good: { accessKeyId: string; secretAccessKey: string };

  beforeAll(async () => {
    good = await enableMotoAuth(authEndpoint);
    arn = (await kmsAdmin(authEndpoint, 'us-east-1', good).send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  });

  beforeEach(() => {
    saved = ENV_KEYS.map((k) => process.env[k]);
    for (const k of ENV_KEYS) delete process.env[k];
    dir = mkdtempSync(path.join(os.tmpdir(), 'aws-profile-'));
    const credentialsFile = path.join(dir, 'credentials');
    const configFile = path.join(dir, 'config');
    writeFileSync(
      credentialsFile,
      [
        '[good]',
        `aws_access_key_id = ${good.accessKeyId}`,
        `aws_secret_access_key = ${good.secretAccessKey}`,
        '',
        '[bad]',
        `aws_access_key_id = ${good.accessKeyId}`,
        `aws_secret_access_key = ${badSecret}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    writeFileSync(configFile, '[profile good]\nregion = us-east-1\n\n[profile bad]\nregion = us-east-1\n', { mode: 0o600 });
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
    process.env.AWS_CONFIG_FILE = configFile;
  });

  afterEach(() => {
    ENV_KEYS.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    rmSync(dir, { recursive: true, force: true });
  });

  it("profile 'good' wraps and unwraps through the driver", async () => {
    const client = await newKmsClient('aws-kms', arn, { endpoint: authEndpoint, profile: 'good', 'kms.timeout.ms': '5000' });
    const pt = dek();
    const ct = await client.wrap(pt);
    expect(ct.equals(pt)).toBe(false);
    expect(await client.unwrap(ct)).toEqual(pt);
  });

  it("profile 'bad' (wrong secret) gives KMS_ACCESS_DENIED without the secret in the error", async () => {
    const client = await newKmsClient('aws-kms', arn, { endpoint: authEndpoint, profile: 'bad', 'kms.timeout.ms': '5000' });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_ACCESS_DENIED');
    expect(err.retryable).toBe(false);
    expect(err.context.upstreamCode).not.toBe('CredentialsProviderError'); // loaded, then refused by moto
    expect(err.message).not.toContain(badSecret);
    expect(JSON.stringify(err.context)).not.toContain(badSecret);
    expect(String(err.stack)).not.toContain(badSecret);
  });

  it('a profile missing from the shared files gives a typed error naming the profile', async () => {
    const client = await newKmsClient('aws-kms', arn, { endpoint: authEndpoint, profile: 'nope', 'kms.timeout.ms': '5000' });
    const err = await failure(client.wrap(dek()));
    expect(err.code).toBe('KMS_CONFIG_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("profile 'nope'");
    expect(err.context).toMatchObject({ kmsType: 'aws-kms', upstreamCode: 'CredentialsProviderError' });

    // the same when the profile is the base credentials of role.arn
    const viaRole = await newKmsClient('aws-kms', arn, {
      endpoint: authEndpoint,
      profile: 'nope',
      'role.arn': 'arn:aws:iam::123456789012:role/csfle',
      'sts.endpoint': authEndpoint,
      'kms.timeout.ms': '5000',
    });
    const roleErr = await failure(viaRole.wrap(dek()));
    expect(roleErr.code).toBe('KMS_CONFIG_INVALID');
    expect(roleErr.message).toContain("profile 'nope'");
  });
});
