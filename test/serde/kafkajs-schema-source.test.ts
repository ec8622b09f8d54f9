/**
 * KafkajsSchemaSource: an @kafkajs/confluent-schema-registry SchemaRegistry (which itself drops
 * ruleSet and metadata) wrapped so rule sets and metadata go to and come back from AxonOps.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistryError } from '../../src/errors';
import { KafkajsSchemaSource } from '../../src/serde/kafkajs-schema-source';
import type { SchemaInfo } from '../../src/serde/schema-source';
import { freePort, requireEnv, StubServer, uniq } from '../registry/helpers';
import { ENCRYPT_RULES } from '../registry/fixtures';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

let stubs: StubServer[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.stop()));
  stubs = [];
});

const schema = (name: string) =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'test.kjs',
    fields: [{ name: 'email', type: 'string', 'confluent:tags': ['PII'] }],
  });

describe('KafkajsSchemaSource against AxonOps', () => {
  it('registers with rule set + metadata and reads them back by id, version, latest', async () => {
    const registry = new SchemaRegistry({ host: url });
    const src = new KafkajsSchemaSource(registry);
    const subject = `${uniq('kjs')}-value`;
    const info: SchemaInfo = {
      schema: schema(uniq('E')),
      metadata: { properties: { owner: 'kjs' } },
      ruleSet: ENCRYPT_RULES('kek-kjs'),
    };
    const id = await src.register(subject, info);
    expect(await src.register(subject, info)).toBe(id);

    const fresh = new KafkajsSchemaSource(new SchemaRegistry({ host: url }));
    expect((await fresh.getById(id, subject)).ruleSet).toEqual(info.ruleSet);
    expect((await fresh.getById(id, subject)).metadata?.properties?.owner).toBe('kjs');
    expect(await fresh.getLatest(subject)).toMatchObject({ id, version: 1, ruleSet: info.ruleSet });
    expect(await fresh.getByVersion(subject, 1)).toMatchObject({ id, ruleSet: info.ruleSet });

    // The wrapped library itself still works on the same registry (its own cache, its own API).
    expect(await registry.getRegistryId(subject, 1)).toBe(id);
  });

  it('unknown ids / subjects -> SCHEMA_NOT_FOUND', async () => {
    const src = new KafkajsSchemaSource(new SchemaRegistry({ host: url }));
    await expect(src.getById(987654321)).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
    await expect(src.getLatest(uniq('none'))).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
  });

  it('a registry that is down -> REGISTRY_UNAVAILABLE, retryable', async () => {
    const registry = new SchemaRegistry({ host: `http://127.0.0.1:${await freePort()}`, retry: { retries: 0 } });
    const src = new KafkajsSchemaSource(registry);
    await expect(src.getById(1)).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', retryable: true });
  });

  it('refuses with RULE_SET_DROPPED when the registry does not keep the rule set', async () => {
    const s = await new StubServer((r) => {
      if (r.method === 'POST') return { status: 200, body: { id: 7 } };
      if (r.path === '/schemas/ids/7') return { status: 200, body: { schema: schema('X') } };
      return { status: 404, body: { error_code: 40403, message: 'Schema not found' } };
    }).start();
    stubs.push(s);
    const src = new KafkajsSchemaSource(new SchemaRegistry({ host: s.url }));
    const e = (await src
      .register('x-value', { schema: schema('X'), ruleSet: ENCRYPT_RULES('k') })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e).toBeInstanceOf(SchemaRegistryError);
    expect(e.code).toBe('RULE_SET_DROPPED');
    expect(e.message).toContain(s.url);
    expect(e.message).toMatch(/'ruleSet'/);
    // the lookup asked for the subject so registries that scope metadata by subject answer fully
    expect(s.requests.find((r) => r.path === '/schemas/ids/7')?.query.get('subject')).toBe('x-value');
  });

  it('rejects something that is not a kafkajs SchemaRegistry', () => {
    expect(() => new KafkajsSchemaSource({} as never)).toThrow(SchemaRegistryError);
  });
});
