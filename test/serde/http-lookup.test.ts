/**
 * SchemaSource.lookup (Confluent `POST /subjects/{subject}`: find a schema without registering
 * it) in HttpSchemaSource and KafkajsSchemaSource, against real AxonOps and against stubs
 * answering like Confluent.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuleSet } from '../../src/rules/model';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { KafkajsSchemaSource } from '../../src/serde/kafkajs-schema-source';
import type { SchemaInfo, SchemaSource } from '../../src/serde/schema-source';
import { ENCRYPT_RULES } from '../registry/fixtures';
import { freePort, requireEnv, StubServer, uniq, RecordingProxy } from '../registry/helpers';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

let stubs: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.stop()));
  stubs = [];
});

const schema = (name: string) =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'test.lookup',
    fields: [{ name: 'email', type: 'string', 'confluent:tags': ['PII'] }],
  });

/** A recording pass-through proxy to the real registry, to see which calls the source makes. */
async function countingProxy(target: string): Promise<RecordingProxy> {
  const proxy = await new RecordingProxy(target).start();
  stubs.push(proxy);
  return proxy;
}

const isLookup = (r: { method: string; path: string }) => r.method === 'POST' && /^\/subjects\/[^/]+$/.test(r.path);
const lookups = (s: RecordingProxy) => s.calls.filter(isLookup);
const lookupsTo = (s: StubServer) => s.requests.filter(isLookup);

type Make = (registryUrl: string) => SchemaSource & { clearCache(): void };
const SOURCES: Array<[string, Make]> = [
  ['HttpSchemaSource', (u) => new HttpSchemaSource({ url: u, maxRetries: 0 })],
  ['KafkajsSchemaSource', (u) => new KafkajsSchemaSource(new SchemaRegistry({ host: u, retry: { retries: 0 } }))],
];

for (const [name, make] of SOURCES) {
  describe(`${name}.lookup against AxonOps`, () => {
    it('finds a registered schema (id, version, subject, rule set, metadata); unknown subject / schema -> undefined', async () => {
      const src = make(url);
      expect(src.lookup).toBeTypeOf('function');
      const subject = `${uniq('lk')}-value`;
      const info: SchemaInfo = {
        schema: schema(uniq('L')),
        metadata: { properties: { owner: 'lk' } },
        ruleSet: ENCRYPT_RULES('kek-lk'),
      };
      expect(await src.lookup!(subject, info)).toBeUndefined(); // subject not found (40401)
      const id = await src.register(subject, info);
      // "not found" was not cached
      const found = await src.lookup!(subject, info);
      expect(found).toMatchObject({ id, subject, version: 1, ruleSet: info.ruleSet });
      expect(found?.metadata?.properties?.owner).toBe('lk');
      // the schema text alone finds it too
      expect(await make(url).lookup!(subject, { schema: info.schema })).toMatchObject({ id, version: 1 });
      // another schema under the same subject: not found (40403)
      expect(await src.lookup!(subject, { schema: schema(uniq('Other')) })).toBeUndefined();
      // the same schema under another subject: not found
      expect(await src.lookup!(`${uniq('lk-other')}-value`, info)).toBeUndefined();
    });

    it('an invalid schema -> INVALID_REQUEST', async () => {
      const src = make(url);
      const subject = `${uniq('lk-bad')}-value`;
      await src.register(subject, { schema: schema(uniq('B')) });
      await expect(src.lookup!(subject, { schema: '{nope' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });

    it('AxonOps deviation: same schema, two rule sets -> the answer is normalized to the newest match', async () => {
      const subject = `${uniq('lk-rules')}-value`;
      const text = schema(uniq('R'));
      const v1: SchemaInfo = { schema: text, ruleSet: ENCRYPT_RULES('kek-one') };
      const v2: SchemaInfo = { schema: text, ruleSet: ENCRYPT_RULES('kek-two') };
      const src = make(url);
      const id = await src.register(subject, v1);
      expect(await src.register(subject, v2)).toBe(id); // AxonOps: one id per schema text

      // Raw AxonOps answer: a version with that schema text, whatever rule set was asked for —
      // usually the oldest, but not deterministically (Confluent answers the version with the
      // asked rule set, else the newest). Our sources normalize it below.
      const raw = await fetch(`${url}/subjects/${subject}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: text, ruleSet: v2.ruleSet }),
      });
      const rawBody = (await raw.json()) as { id: number; version: number };
      expect(rawBody.id).toBe(id);
      expect([1, 2]).toContain(rawBody.version);

      const fresh = make(url);
      expect(await fresh.lookup!(subject, v2)).toMatchObject({ id, version: 2, ruleSet: v2.ruleSet });
      expect(await fresh.lookup!(subject, v1)).toMatchObject({ id, version: 1, ruleSet: v1.ruleSet });
      expect(await fresh.lookup!(subject, { schema: text })).toMatchObject({ id, version: 2, ruleSet: v2.ruleSet });
      // rules that match no version: the newest version with that schema
      const none: RuleSet = ENCRYPT_RULES('kek-none');
      expect(await fresh.lookup!(subject, { schema: text, ruleSet: none })).toMatchObject({ id, version: 2 });
    });

    it('caches a found schema, not "not found"; a registration through the source refreshes', async () => {
      const proxy = await countingProxy(url);
      const src = make(proxy.url);
      const subject = `${uniq('lk-cache')}-value`;
      const info: SchemaInfo = { schema: schema(uniq('C')) };
      expect(await src.lookup!(subject, info)).toBeUndefined();
      expect(await src.lookup!(subject, info)).toBeUndefined();
      expect(lookups(proxy)).toHaveLength(2); // not cached
      const id = await src.register(subject, info);
      const first = await src.lookup!(subject, info);
      expect(first).toMatchObject({ id, version: 1 });
      expect(await src.lookup!(subject, info)).toEqual(first);
      const [a, b] = await Promise.all([src.lookup!(subject, info), src.lookup!(subject, info)]);
      expect(a).toEqual(first);
      expect(b).toEqual(first);
      expect(lookups(proxy)).toHaveLength(3); // cached once found
      src.clearCache();
      await src.lookup!(subject, info);
      expect(lookups(proxy)).toHaveLength(4);
    });
  });
}

/** A stub answering lookups like Confluent; `answer` decides the POST /subjects/{s} answer. */
async function confluentStub(answer: { status: number; body?: unknown }): Promise<StubServer> {
  const s = await new StubServer((r) => {
    if (r.method === 'POST' && /^\/subjects\/[^/]+$/.test(r.path)) return answer;
    if (r.path.endsWith('/versions/latest')) {
      return { status: 200, body: { subject: 'x-value', id: 5, version: 1, schema: '"string"' } };
    }
    return { status: 404, body: { error_code: 40401, message: 'Subject not found' } };
  }).start();
  stubs.push(s);
  return s;
}

describe('HttpSchemaSource.lookup: Confluent answers', () => {
  it('200 -> the registered schema; the request body is the registration body', async () => {
    const s = await confluentStub({ status: 200, body: { subject: 'x-value', id: 5, version: 1, schema: '"string"' } });
    const src = new HttpSchemaSource({ url: s.url });
    const rules = ENCRYPT_RULES('k');
    expect(await src.lookup('x-value', { schema: '"string"', ruleSet: rules })).toMatchObject({
      id: 5,
      version: 1,
      subject: 'x-value',
      schemaType: 'AVRO',
    });
    const post = lookupsTo(s)[0]!;
    expect(post.path).toBe('/subjects/x-value');
    expect(post.body).toEqual({ schema: '"string"', ruleSet: rules });
  });

  it('404/40401 and 404/40403 -> undefined', async () => {
    for (const code of [40401, 40403]) {
      const s = await confluentStub({ status: 404, body: { error_code: code, message: 'not found' } });
      expect(await new HttpSchemaSource({ url: s.url }).lookup('x-value', { schema: '"string"' })).toBeUndefined();
    }
  });

  it('other errors are mapped as elsewhere', async () => {
    const cases: Array<[{ status: number; body?: unknown }, Record<string, unknown>]> = [
      [{ status: 404, body: 'Not Found' }, { code: 'SCHEMA_NOT_FOUND' }], // a 404 that is not the registry's
      [{ status: 422, body: { error_code: 42201, message: 'Invalid schema' } }, { code: 'INVALID_REQUEST' }],
      [{ status: 401, body: { error_code: 401, message: 'Unauthorized' } }, { code: 'UNAUTHORIZED' }],
      [{ status: 500, body: { error_code: 50001, message: 'boom' } }, { code: 'REGISTRY_UNAVAILABLE', retryable: true }],
      [{ status: 200, body: { subject: 'x-value' } }, { code: 'REGISTRY_ERROR' }], // no id
    ];
    for (const [answer, expected] of cases) {
      const s = await confluentStub(answer);
      const src = new HttpSchemaSource({ url: s.url, maxRetries: 0 });
      await expect(src.lookup('x-value', { schema: '"string"' })).rejects.toMatchObject(expected);
    }
  });

  it('a registry that is down -> REGISTRY_UNAVAILABLE (both sources)', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    await expect(
      new HttpSchemaSource({ url: down, maxRetries: 0 }).lookup('x-value', { schema: '"string"' }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', retryable: true });
    await expect(
      new KafkajsSchemaSource(new SchemaRegistry({ host: down, retry: { retries: 0 } })).lookup('x-value', {
        schema: '"string"',
      }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', retryable: true });
  });
});

describe('KafkajsSchemaSource.lookup availability', () => {
  it('is absent when the wrapped instance has no lookup resource', () => {
    const registry = new SchemaRegistry({ host: 'http://localhost:1' });
    const api = (registry as unknown as { api: { Subject: Record<string, unknown> } }).api;
    const { registered: _drop, ...rest } = api.Subject;
    const src = new KafkajsSchemaSource({ api: { ...api, Subject: rest }, register: registry.register.bind(registry) } as never);
    expect(src.lookup).toBeUndefined();
    expect(new KafkajsSchemaSource(registry).lookup).toBeTypeOf('function');
  });
});
