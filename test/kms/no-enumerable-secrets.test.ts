/**
 * No secret in any enumerable property of any exported object: serdes, registries, the registry
 * clients, every built-in KMS driver and client (built with fake credentials), the key ring.
 * Each object is rendered with JSON.stringify, util.inspect (showHidden, infinite depth),
 * console.dir, Object.entries, object spread and structuredClone; no rendering may contain a
 * secret (nor the base64 of the basic-auth pair).
 */
import { Writable } from 'node:stream';
import { Console } from 'node:console';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  DekRegistryClient,
  getKmsDriver,
  HttpSchemaSource,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  JsonDeserializer,
  JsonSerializer,
  KeyRing,
  ProtobufDeserializer,
  ProtobufSerializer,
  newKmsClient,
  type KmsOptions,
} from '../../src/index';

const S = {
  awsSecret: 'aws-secret-9f3a1',
  awsSession: 'aws-session-7c2b8',
  azureSecret: 'azure-secret-4d9e2',
  gcpKey: '-----BEGIN PRIVATE KEY-----\\nMIIgcp-secret-1a2b3\\n-----END PRIVATE KEY-----\\n',
  gcpMarker: 'gcp-secret-1a2b3',
  vaultToken: 'vault-token-8e7f6',
  vaultSecretId: 'vault-approle-5b4c3',
  keyPassword: 'ssl-key-pw-2a1b0',
  localSecret: 'local-secret-6f5e4',
  registryPassword: 'registry-pw-3c2d1',
  bearer: 'bearer-token-0a9b8',
};
const markers = [
  S.awsSecret,
  S.awsSession,
  S.azureSecret,
  S.gcpMarker,
  S.vaultToken,
  S.vaultSecretId,
  S.keyPassword,
  S.localSecret,
  S.registryPassword,
  S.bearer,
  Buffer.from(`alice:${S.registryPassword}`).toString('base64'),
];

const kms: KmsOptions = {
  'local-kms': { secret: S.localSecret },
  'aws-kms': { 'access.key.id': 'AKIAFAKE', 'secret.access.key': S.awsSecret, 'session.token': S.awsSession, region: 'us-east-1' },
  'azure-kms': { 'tenant.id': 't', 'client.id': 'c', 'client.secret': S.azureSecret },
  'gcp-kms': { 'client.id': '1', 'client.email': 'x@p.iam.gserviceaccount.com', 'private.key.id': 'k', 'private.key': S.gcpKey },
  hcvault: { 'token.id': S.vaultToken, 'approle.role.id': 'r', 'approle.secret.id': S.vaultSecretId, 'ssl.key.password': S.keyPassword },
};

function renderings(name: string, obj: object): Record<string, string> {
  const out: Record<string, string> = {};
  const safe = (label: string, f: () => string) => {
    try {
      out[label] = f();
    } catch (e) {
      out[label] = `threw ${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  const deep = { showHidden: true, depth: Infinity, getters: true } as const;
  safe('JSON.stringify', () => String(JSON.stringify(obj)));
  safe('util.inspect', () => inspect(obj, deep));
  safe('console.dir', () => {
    let text = '';
    const sink = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    new Console({ stdout: sink, stderr: sink }).dir(obj, deep);
    return text;
  });
  safe('Object.entries', () => inspect(Object.entries(obj), deep) + JSON.stringify(Object.entries(obj)));
  safe('spread', () => inspect({ ...obj }, deep) + JSON.stringify({ ...obj }));
  safe('structuredClone', () => inspect(structuredClone(obj), deep));
  safe('Object.getOwnPropertyNames', () => inspect(Object.getOwnPropertyNames(obj).map((k) => (obj as Record<string, unknown>)[k]), deep));
  for (const k of Object.keys(out)) out[k] = `${name} ${k}: ${out[k]}`;
  return out;
}

function expectClean(name: string, obj: object): void {
  for (const [how, text] of Object.entries(renderings(name, obj))) {
    for (const m of markers) expect(text.includes(m), `${name} via ${how} shows a secret`).toBe(false);
  }
}

const http = {
  url: 'http://127.0.0.1:1',
  auth: { basic: { username: 'alice', password: S.registryPassword } },
  'ssl.key.password': S.keyPassword,
};

describe('no secret in any enumerable property', () => {
  it('KMS drivers and clients built with fake credentials (each built-in, plus the fallback client)', async () => {
    const ids: Record<string, string> = {
      'local-kms': 'k',
      'aws-kms': 'arn:aws:kms:us-east-1:111122223333:key/k',
      'azure-kms': 'https://v.vault.azure.net/keys/k/1',
      'gcp-kms': 'projects/p/locations/l/keyRings/r/cryptoKeys/k',
      hcvault: 'https://127.0.0.1:1/transit/keys/k',
    };
    for (const [type, id] of Object.entries(ids)) {
      const driver = getKmsDriver(type);
      expectClean(`${type} driver`, driver);
      const client = await driver.newClient({ kmsKeyId: id, config: kms[type]! });
      expectClean(`${type} client`, client);
      const fallback = await newKmsClient(type, id, kms[type]!, { 'encrypt.alternate.kms.key.ids': id.replace(/k$/, 'k2') });
      expectClean(`${type} fallback client`, fallback);
    }
    // after use: a local-kms client that wrapped and unwrapped
    const local = await newKmsClient('local-kms', 'k', kms['local-kms']!);
    await local.unwrap(await local.wrap(Buffer.alloc(32, 7)));
    expectClean('local-kms client after use', local);
  });

  it('registry clients, registries, key ring and serdes (also after a round trip)', async () => {
    expectClean('DekRegistryClient (basic)', new DekRegistryClient(http));
    expectClean('DekRegistryClient (bearer)', new DekRegistryClient({ url: 'http://127.0.0.1:1', auth: { bearer: S.bearer } }));
    expectClean('DekRegistryClient (URL credentials)', new DekRegistryClient({ url: `http://alice:${S.registryPassword}@127.0.0.1:1` }));
    expectClean('HttpSchemaSource', new HttpSchemaSource(http));
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry({ kms });
    expectClean('InMemoryDekRegistry', dekRegistry);
    expectClean('KeyRing', new KeyRing({ registry: dekRegistry, kms }));
    const schema = {
      schema: JSON.stringify({ type: 'record', name: 'U', fields: [{ name: 'ssn', type: 'string', 'confluent:tags': ['PII'] }] }),
      ruleSet: {
        domainRules: [
          {
            name: 'e',
            kind: 'TRANSFORM' as const,
            mode: 'WRITEREAD' as const,
            type: 'ENCRYPT',
            tags: ['PII'],
            params: { 'encrypt.kek.name': 'k', 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'x' },
          },
        ],
      },
    };
    const ser = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema });
    const de = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    expect(await de.deserialize('t', await ser.serialize('t', { ssn: '1' }))).toEqual({ ssn: '1' });
    expectClean('AvroSerializer', ser);
    expectClean('AvroDeserializer', de);
    expectClean('InMemoryDekRegistry after use', dekRegistry);
    expectClean('serde over HTTP registries', new AvroSerializer({ schemaRegistry: http, dekRegistry: http, kms }));
    for (const [name, Serde] of Object.entries({ JsonSerializer, JsonDeserializer, ProtobufSerializer, ProtobufDeserializer })) {
      expectClean(name, new Serde({ schemaRegistry: http, dekRegistry: http, kms }));
    }
  });

  it('the check itself finds a secret in a plain object (control)', () => {
    const leaky = { config: { 'secret.access.key': S.awsSecret } };
    expect(() => expectClean('leaky', leaky)).toThrow(/shows a secret/);
  });
});
