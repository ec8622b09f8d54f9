/**
 * Registry clients never show their credentials: util.inspect / console.log / JSON.stringify of
 * the transport, DekRegistryClient, HttpSchemaSource and KafkajsSchemaSource show base URLs
 * without userinfo and the auth kind only — while requests still authenticate.
 */
import { inspect } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistryHttpOptions } from '../../src/dek/http-options';
import { RegistryHttpTransport } from '../../src/dek/http-transport';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { DekRegistryError } from '../../src/errors';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { KafkajsSchemaSource } from '../../src/serde/kafkajs-schema-source';
import { StubServer } from '../registry/helpers';

const SECRETS = ['s3cr3t', 'tok-123', 'tok-fn-456', 'hdr-789', 'alice-pw', 'key-material-xyz'];
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** Every form a secret could leak in: plain, base64 of user:pass, URL-encoded. */
const FORMS = [
  ...SECRETS,
  b64('user:s3cr3t'),
  b64('alice:alice-pw'),
  b64('key-material-xyz'),
  'Bearer',
  'Basic ',
];

function expectNoSecret(text: string): void {
  for (const s of FORMS) expect(text, `leaked ${s}`).not.toContain(s);
}

/** Everything a logger could print. */
function renderings(x: object): string[] {
  return [
    inspect(x),
    inspect(x, { depth: Infinity, showHidden: true }),
    inspect({ wrapped: x }, { depth: Infinity }),
    JSON.stringify(x),
    JSON.stringify({ wrapped: x }),
    `${String((x as { toString(): string }).toString())}`,
  ];
}

const CONFIGS: Array<[string, RegistryHttpOptions]> = [
  ['basic auth in the URL', { url: 'https://user:s3cr3t@registry.example:8081/' }],
  ['several URLs with credentials', { url: ['https://user:s3cr3t@a.registry.example', 'https://user:s3cr3t@b.registry.example'] }],
  ['explicit basic auth', { url: 'https://registry.example', auth: { basic: { username: 'alice', password: 'alice-pw' } } }],
  ['bearer string', { url: 'https://registry.example', auth: { bearer: 'tok-123' } }],
  ['bearer function', { url: 'https://registry.example', auth: { bearer: () => 'tok-fn-456' } }],
  [
    'Authorization and custom headers',
    { url: 'https://registry.example', headers: { Authorization: 'Bearer hdr-789', 'X-Api-Key': 'hdr-789' } },
  ],
];

describe('registry clients redact credentials', () => {
  for (const [name, options] of CONFIGS) {
    it(`${name}: transport, DekRegistryClient, HttpSchemaSource`, () => {
      const objects = [
        new RegistryHttpTransport(options, DekRegistryError),
        new DekRegistryClient(options),
        new HttpSchemaSource(options),
      ];
      for (const o of objects) {
        for (const text of renderings(o)) expectNoSecret(text);
        // still says where it talks to
        expect(inspect(o)).toContain('registry.example');
        expect(JSON.stringify(o)).toContain('registry.example');
      }
    });
  }

  it('shows the base URLs without userinfo and the auth kind', () => {
    const c = new DekRegistryClient({ url: 'https://user:s3cr3t@host.example:8081' });
    expect(JSON.parse(JSON.stringify(c))).toEqual({
      type: 'DekRegistryClient',
      urls: ['https://host.example:8081'],
      auth: 'basic',
    });
    expect(inspect(c)).toBe(`DekRegistryClient { urls: ["https://host.example:8081"], auth: 'basic' }`);
    const s = new HttpSchemaSource({ url: 'https://host.example', auth: { bearer: 'tok-123' } });
    expect(JSON.parse(JSON.stringify(s))).toEqual({ type: 'HttpSchemaSource', urls: ['https://host.example'], auth: 'bearer' });
    expect(inspect(new HttpSchemaSource({ url: 'http://h.example' }))).toContain(`auth: 'none'`);
  });

  it('KafkajsSchemaSource: host without credentials (URL userinfo and basic auth option)', () => {
    const withUrlCreds = new KafkajsSchemaSource(new SchemaRegistry({ host: 'https://user:s3cr3t@registry.example:8081' }));
    const withAuth = new KafkajsSchemaSource(
      new SchemaRegistry({ host: 'https://registry.example', auth: { username: 'alice', password: 'alice-pw' } }),
    );
    for (const o of [withUrlCreds, withAuth]) {
      for (const text of renderings(o)) expectNoSecret(text);
      expect(inspect(o)).toContain('registry.example');
    }
    expect(JSON.parse(JSON.stringify(withUrlCreds))).toEqual({
      type: 'KafkajsSchemaSource',
      host: 'https://registry.example:8081',
    });
  });

  it('KafkajsSchemaSource error messages name the host without credentials', async () => {
    const src = new KafkajsSchemaSource(
      new SchemaRegistry({ host: 'http://user:s3cr3t@127.0.0.1:1', retry: { retries: 0 } }),
    );
    const e = (await src.getById(1).catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(Error);
    expectNoSecret(`${e.message} ${inspect(e)} ${JSON.stringify(e)}`);
  });

  describe('against a stub registry', () => {
    let stubs: StubServer[] = [];
    afterEach(async () => {
      await Promise.all(stubs.map((s) => s.stop()));
      stubs = [];
    });

    it('DEKs with key material cached in the client are not shown; requests still authenticate', async () => {
      const s = await new StubServer((r) => {
        if (r.path.endsWith('/deks/orders-value/versions/1')) {
          return {
            status: 200,
            body: {
              kekName: 'k',
              subject: 'orders-value',
              version: 1,
              algorithm: 'AES256_GCM',
              encryptedKeyMaterial: 'ZW5j',
              keyMaterial: b64('key-material-xyz'),
              deleted: false,
              ts: 1,
            },
          };
        }
        return { status: 404, body: { error_code: 40470, message: 'not found' } };
      }).start();
      stubs.push(s);
      const url = s.url.replace('://', '://user:s3cr3t@');
      const c = new DekRegistryClient({ url, headers: { 'X-Api-Key': 'hdr-789' } });
      const dek = await c.getDek('k', 'orders-value', { version: 1 });
      expect(dek?.keyMaterial).toBe(b64('key-material-xyz'));
      for (const text of renderings(c)) expectNoSecret(text);
      // the request carried the credentials and the header
      expect(s.requests[0]!.headers.authorization).toBe(`Basic ${b64('user:s3cr3t')}`);
      expect(s.requests[0]!.headers['x-api-key']).toBe('hdr-789');
    });

    it('a bearer provider is still called per request', async () => {
      const s = await new StubServer(() => ({ status: 200, body: { id: 3, schema: '"string"' } })).start();
      stubs.push(s);
      let n = 0;
      const src = new HttpSchemaSource({ url: s.url, auth: { bearer: () => `tok-fn-456-${++n}` } });
      await src.getById(3, 'x-value');
      expect(s.requests[0]!.headers.authorization).toBe('Bearer tok-fn-456-1');
      for (const text of renderings(src)) expectNoSecret(text);
    });
  });
});
