/**
 * Through the public serde: a producer (this process) wraps the DEK with each KMS, and a
 * consumer in a fresh process (test/kms/fixtures/consume.ts), with fresh registries holding the
 * same schema / KEK / DEK records, unwraps it and reads the fields.
 *   aws-kms  : moto (scripts/services/moto.sh), multi-region key: wrapped in us-east-1,
 *              unwrapped by a us-west-2 consumer through the replica
 *   azure-kms: in-test Key Vault + Entra ID HTTPS server
 *   gcp-kms  : in-test Cloud KMS gRPC server
 *   hcvault  : in-test Vault transit server
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AvroSerializer,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  parseFrame,
} from '../../src/index';
import { encryptRuleSet } from '../helpers/fixtures';
import { requireEnv } from './helpers/env';
import { signingRegion, startProxy, type TestProxy } from './helpers/http-proxy';
import { createKey, replicateKey, TEST_CREDS } from './helpers/moto';
import { startFakeKeyVault, type FakeKeyVault } from './fakes/azure-key-vault';
import { startFakeGcpKms, type FakeGcpKms } from './fakes/gcp-kms';
import { startFakeVault, type FakeVault } from './fakes/vault-transit';

const ROOT = path.resolve(__dirname, '../..');
const TOPIC = 'payments';
const SUBJECT = `${TOPIC}-value`;
const schema = {
  type: 'record',
  name: 'Payment',
  namespace: 'com.acme',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'card', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'holder', type: ['null', 'string'], default: null, 'confluent:tags': ['PII'] },
    { name: 'amount', type: 'double' },
  ],
};
const payment = { id: 'p-1', card: '4111-1111-1111-1111', holder: 'Grace Hopper', amount: 99.5 };

interface Produced {
  job: Record<string, unknown>;
  bytes: Buffer;
}

/** Produces one record and collects what a consumer elsewhere would find in the registries. */
async function produce(
  kmsType: string,
  kmsKeyId: string,
  producerKms: Record<string, unknown>,
  consumerKms: Record<string, unknown>,
  kmsProps?: Record<string, string>,
): Promise<Produced> {
  const kekName = `kek-${kmsType}-${Math.floor(Math.random() * 1e9)}`;
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  if (kmsProps) await dekRegistry.registerKek({ name: kekName, kmsType, kmsKeyId, kmsProps, shared: false });
  const ruleSet = encryptRuleSet({ 'encrypt.kek.name': kekName, 'encrypt.kms.type': kmsType, 'encrypt.kms.key.id': kmsKeyId });
  const info = { schema: JSON.stringify(schema), ruleSet };
  const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms: { [kmsType]: producerKms }, schema: info });
  const bytes = await serializer.serialize(TOPIC, payment);
  const text = bytes.toString('latin1');
  expect(text).not.toContain(payment.card);
  expect(text).not.toContain(payment.holder);
  const { schemaId } = parseFrame(bytes);
  const registered = await schemaRegistry.getById(schemaId, SUBJECT);
  const kek = await dekRegistry.getKek(kekName);
  const dek = await dekRegistry.getDek(kekName, SUBJECT);
  expect(kek?.kmsType).toBe(kmsType);
  expect(dek?.encryptedKeyMaterial).toBeTruthy();
  return {
    bytes,
    job: {
      topic: TOPIC,
      subject: SUBJECT,
      schemaId,
      schema: { schema: registered.schema, ruleSet: registered.ruleSet, metadata: registered.metadata },
      kek,
      deks: [dek],
      kms: { [kmsType]: consumerKms },
      bytes: bytes.toString('base64'),
    },
  };
}

/** Runs the consumer fixture in a fresh Node process. */
function consume(job: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ value?: unknown; error?: { code: string } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/kms/fixtures/consume.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`consumer exited ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out) as { value?: unknown; error?: { code: string } });
      } catch {
        reject(new Error(`consumer printed no JSON: ${out.slice(0, 500)} ${err.slice(-1000)}`));
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}

describe('serde with aws-kms (moto, multi-region key)', () => {
  let proxy: TestProxy;
  let mrk: string;
  beforeAll(async () => {
    const endpoint = requireEnv('MOTO_ENDPOINT', 'moto');
    mrk = await createKey(endpoint, 'us-east-1', true);
    await replicateKey(endpoint, mrk, 'us-east-1', 'us-west-2');
    proxy = await startProxy(endpoint);
  });
  afterAll(async () => proxy?.close());

  const creds = { 'access.key.id': TEST_CREDS.accessKeyId, 'secret.access.key': TEST_CREDS.secretAccessKey };

  it('a us-east-1 producer wraps; a fresh us-west-2 consumer unwraps through the local replica', async () => {
    const { job } = await produce('aws-kms', mrk, { ...creds, endpoint: proxy.url, region: 'us-east-1' }, { ...creds, endpoint: proxy.url, region: 'us-west-2' });
    const kmsOps = (from: number): Array<[string, string | undefined]> =>
      proxy.requests.slice(from).flatMap((r) => {
        const t = String(r.headers['x-amz-target'] ?? '');
        return t.startsWith('TrentService.') ? [[t.slice(13), signingRegion(r)] as [string, string | undefined]] : [];
      });
    expect(kmsOps(0)).toEqual([['Encrypt', 'us-east-1']]);
    const from = proxy.requests.length;
    const out = await consume(job);
    expect(out.value).toEqual(payment);
    expect(kmsOps(from)).toEqual([['Decrypt', 'us-west-2']]);
  });

  it('with aws.disable.dynamic.mrk=true in the KEK kmsProps the consumer unwraps in us-east-1', async () => {
    const { job } = await produce(
      'aws-kms',
      mrk,
      { ...creds, endpoint: proxy.url, region: 'us-east-1' },
      { ...creds, endpoint: proxy.url, region: 'us-west-2' },
      { 'aws.disable.dynamic.mrk': 'true' },
    );
    const from = proxy.requests.length;
    expect((await consume(job)).value).toEqual(payment);
    const regions = proxy.requests.slice(from).filter((r) => String(r.headers['x-amz-target']) === 'TrentService.Decrypt').map(signingRegion);
    expect(regions).toEqual(['us-east-1']);
  });

  it('a consumer whose KMS endpoint is down gets a typed KMS error, not the plaintext', async () => {
    const { job } = await produce('aws-kms', mrk, { ...creds, endpoint: proxy.url, region: 'us-east-1' }, { endpoint: 'http://127.0.0.1:9', 'kms.timeout.ms': '1500', ...creds });
    const out = await consume(job);
    expect(out.value).toBeUndefined();
    expect(JSON.stringify(out)).toMatch(/KMS_UNAVAILABLE|KMS_TIMEOUT/);
    expect(JSON.stringify(out)).not.toContain(TEST_CREDS.secretAccessKey);
  });
});

describe('serde with azure-kms (in-test Key Vault)', () => {
  let kv: FakeKeyVault;
  beforeAll(async () => {
    kv = await startFakeKeyVault();
    kv.clients.set('app-1', 'client-secret-1');
    kv.addKey('kek');
  });
  afterAll(async () => kv?.close());

  it('wraps with the azure:v1 version prefix and a fresh consumer unwraps', async () => {
    const config = {
      'tenant.id': kv.tenant,
      'client.id': 'app-1',
      'client.secret': 'client-secret-1',
      'azure.authority.host': kv.url,
      'azure.disable.challenge.resource.verification': 'true',
      'ssl.ca.location': kv.caFile,
    };
    const { job } = await produce('azure-kms', `${kv.url}/keys/kek`, config, config, { 'encrypt.azure.key.version.save': 'true' });
    const wrapped = Buffer.from(((job.deks as Array<{ encryptedKeyMaterial: string }>)[0]!).encryptedKeyMaterial, 'base64');
    expect(wrapped.subarray(0, 9).toString('latin1')).toBe('azure:v1:');
    kv.rotate('kek'); // a new key version must not orphan the DEK
    expect((await consume(job)).value).toEqual(payment);
  });
});

describe('serde with gcp-kms (in-test Cloud KMS gRPC server)', () => {
  let kms: FakeGcpKms;
  const KEY = 'projects/p1/locations/europe-west1/keyRings/kafka/cryptoKeys/csfle';
  beforeAll(async () => {
    kms = await startFakeGcpKms();
    kms.addKey(KEY);
  });
  afterAll(async () => kms?.close());

  it('wraps with Cloud KMS and a fresh consumer unwraps', async () => {
    const { job } = await produce('gcp-kms', KEY, { endpoint: kms.endpoint }, { endpoint: kms.endpoint });
    const from = kms.calls.length;
    expect((await consume(job)).value).toEqual(payment);
    expect(kms.calls.slice(from)).toEqual([{ method: 'Decrypt', name: KEY }]);
  });
});

describe('serde with hcvault (in-test Vault transit server)', () => {
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault();
    vault.tokens.add('hvs.producer');
    vault.approles.set('consumer-role', 'consumer-secret');
    vault.addKey('transit', 'csfle');
  });
  afterAll(async () => vault?.close());

  it('wraps with a token, a fresh consumer logs in with AppRole and unwraps', async () => {
    const keyId = `${vault.url}/transit/keys/csfle`;
    const { job } = await produce('hcvault', keyId, { 'token.id': 'hvs.producer' }, { 'approle.role.id': 'consumer-role', 'approle.secret.id': 'consumer-secret' });
    const wrapped = Buffer.from(((job.deks as Array<{ encryptedKeyMaterial: string }>)[0]!).encryptedKeyMaterial, 'base64');
    expect(wrapped.toString('utf8')).toMatch(/^vault:v1:/);
    const from = vault.seen.length;
    expect((await consume(job)).value).toEqual(payment);
    expect(vault.seen.slice(from).map((s) => s.path)).toEqual(['/v1/auth/approle/login', '/v1/transit/decrypt/csfle']);
  });
});
