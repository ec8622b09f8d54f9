/**
 * HttpSchemaSource against real AxonOps (rule sets, metadata, references; by id / version /
 * latest; caching) and against a local registry stub that drops rule sets (RULE_SET_DROPPED).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { SchemaRegistryError } from '../../src/errors';
import type { SchemaInfo } from '../../src/serde/schema-source';
import { ENCRYPT_RULES } from '../registry/fixtures';
import { freePort, requireEnv, StubServer, uniq, RecordingProxy } from '../registry/helpers';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

const userSchema = (name: string) =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'test.csfle',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
    ],
  });

let stubs: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.stop()));
  stubs = [];
});

/** A recording pass-through proxy to the real registry, to see which calls the source makes. */
async function countingProxy(target: string): Promise<RecordingProxy> {
  const proxy = await new RecordingProxy(target).start();
  stubs.push(proxy);
  return proxy;
}

describe('HttpSchemaSource against AxonOps', () => {
  it('registers a schema with rule set and metadata and reads both back by id, version and latest', async () => {
    const subject = `${uniq('users')}-value`;
    const info: SchemaInfo = {
      schema: userSchema(uniq('User')),
      metadata: { properties: { owner: 'team-a' }, tags: { 'test.csfle.*.ssn': ['PII'] } },
      ruleSet: ENCRYPT_RULES('kek1'),
    };
    const src = new HttpSchemaSource({ url });
    const id = await src.register(subject, info);
    expect(id).toBeGreaterThan(0);
    expect(await src.register(subject, info)).toBe(id);

    const fresh = new HttpSchemaSource({ url });
    const byId = await fresh.getById(id, subject);
    expect(byId.ruleSet).toEqual(info.ruleSet);
    expect(byId.metadata?.properties?.owner).toBe('team-a');
    expect(byId.metadata?.tags).toEqual(info.metadata?.tags);

    // Without the subject AxonOps omits ruleSet/metadata on /schemas/ids/{id}; the source finds
    // the subject through /schemas/ids/{id}/versions.
    const noSubject = await new HttpSchemaSource({ url }).getById(id);
    expect(noSubject.ruleSet).toEqual(info.ruleSet);

    const latest = await fresh.getLatest(subject);
    expect(latest).toMatchObject({ id, subject, version: 1, ruleSet: info.ruleSet });
    const v1 = await fresh.getByVersion(subject, 1);
    expect(v1).toMatchObject({ id, version: 1, ruleSet: info.ruleSet });
  });

  it('registers and reads back references', async () => {
    const addrSubject = uniq('address');
    const addrName = uniq('Address');
    const src = new HttpSchemaSource({ url });
    await src.register(addrSubject, {
      schema: JSON.stringify({ type: 'record', name: addrName, namespace: 'test.csfle', fields: [{ name: 'street', type: 'string' }] }),
    });
    const subject = `${uniq('person')}-value`;
    const refs = [{ name: `test.csfle.${addrName}`, subject: addrSubject, version: 1 }];
    const id = await src.register(subject, {
      schema: JSON.stringify({
        type: 'record',
        name: uniq('Person'),
        namespace: 'test.csfle',
        fields: [{ name: 'home', type: `test.csfle.${addrName}` }],
      }),
      references: refs,
      ruleSet: ENCRYPT_RULES('kek2'),
    });
    const back = await new HttpSchemaSource({ url }).getById(id, subject);
    expect(back.references).toEqual(refs);
    expect(back.ruleSet).toEqual(ENCRYPT_RULES('kek2'));
  });

  it('unknown id / subject / version -> SCHEMA_NOT_FOUND', async () => {
    const src = new HttpSchemaSource({ url });
    for (const call of [() => src.getById(987654321), () => src.getLatest(uniq('none')), () => src.getByVersion(uniq('none'), 3)]) {
      await expect(call()).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND', context: expect.objectContaining({ status: 404 }) });
    }
  });

  it('an invalid schema is INVALID_REQUEST (422), not retried', async () => {
    const src = new HttpSchemaSource({ url });
    const e = await src.register(uniq('bad'), { schema: '{"type":"nope"}' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SchemaRegistryError);
    expect((e as SchemaRegistryError).code).toBe('INVALID_REQUEST');
  });

  it('caches by id: the hot path makes no registry call; concurrent misses make one (plus one read of the subject\'s latest version)', async () => {
    const subject = `${uniq('cache')}-value`;
    const id = await new HttpSchemaSource({ url }).register(subject, { schema: userSchema(uniq('C')), ruleSet: ENCRYPT_RULES('k') });
    const proxy = await countingProxy(url);
    const src = new HttpSchemaSource({ url: proxy.url });
    await Promise.all([src.getById(id, subject), src.getById(id, subject), src.getById(id, subject)]);
    const after = proxy.calls.length;
    // GET /schemas/ids/{id}?subject= and GET /subjects/{subject}/versions/latest (AxonOps deviation 4)
    expect(after).toBe(2);
    for (let i = 0; i < 100; i++) await src.getById(id, subject);
    expect(proxy.calls.length).toBe(after);
  });

  it('a registry that is down gives REGISTRY_UNAVAILABLE (retryable) quickly', async () => {
    const src = new HttpSchemaSource({ url: `http://127.0.0.1:${await freePort()}`, maxRetries: 1, retryBackoffMs: 5 });
    await expect(src.getById(1)).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', retryable: true });
  });
});

describe('AxonOps deviation: schema ids are assigned by schema text only', () => {
  it('one text registered with two rule sets (two subjects) gets one id; the source keeps them apart by subject', async () => {
    const text = userSchema(uniq('Shared'));
    const [sa, sb] = [`${uniq('a')}-value`, `${uniq('b')}-value`];
    const src = new HttpSchemaSource({ url });
    const idA = await src.register(sa, { schema: text, ruleSet: ENCRYPT_RULES('kekA') });
    const idB = await src.register(sb, { schema: text, ruleSet: ENCRYPT_RULES('kekB') });
    // Confluent: rules are part of a schema's identity, so idB !== idA.
    expect(idB).toBe(idA);
    expect((await src.getById(idA, sa)).ruleSet).toEqual(ENCRYPT_RULES('kekA'));
    expect((await src.getById(idB, sb)).ruleSet).toEqual(ENCRYPT_RULES('kekB'));
  });
});

describe('HttpSchemaSource against a registry that drops rule sets', () => {
  /** Accepts registrations, answers lookups without ruleSet/metadata (Karapace-like). */
  async function droppingRegistry(): Promise<StubServer> {
    const schemas = new Map<number, { schema: string }>();
    const s = await new StubServer((r) => {
      if (r.method === 'POST' && /^\/subjects\/[^/]+\/versions$/.test(r.path)) {
        const id = schemas.size + 1;
        schemas.set(id, { schema: (r.body as { schema: string }).schema });
        return { status: 200, body: { id } };
      }
      const m = /^\/schemas\/ids\/(\d+)$/.exec(r.path);
      if (m && schemas.has(Number(m[1]))) return { status: 200, body: schemas.get(Number(m[1])) };
      if (/^\/schemas\/ids\/\d+\/versions$/.test(r.path)) return { status: 200, body: [{ subject: 'x-value', version: 1 }] };
      return { status: 404, body: { error_code: 40403, message: 'Schema not found' } };
    }).start();
    stubs.push(s);
    return s;
  }

  it('register rejects RULE_SET_DROPPED naming the limitation and the local ruleSet option', async () => {
    const reg = await droppingRegistry();
    const src = new HttpSchemaSource({ url: reg.url });
    const e = (await src
      .register('x-value', { schema: userSchema('U'), ruleSet: ENCRYPT_RULES('k') })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e).toBeInstanceOf(SchemaRegistryError);
    expect(e.code).toBe('RULE_SET_DROPPED');
    expect(e.message).toMatch(/did not keep its rule set/);
    expect(e.message).toMatch(/cannot store Confluent data-contract rule sets/);
    expect(e.message).toMatch(/'ruleSet'/);
    expect(e.context).toMatchObject({ subject: 'x-value', schemaId: 1 });
  });

  it('metadata dropped too -> names the metadata option', async () => {
    const reg = await droppingRegistry();
    const src = new HttpSchemaSource({ url: reg.url });
    const e = (await src
      .register('x-value', { schema: userSchema('U'), metadata: { tags: { '**.ssn': ['PII'] } } })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.code).toBe('RULE_SET_DROPPED');
    expect(e.message).toMatch(/'metadata'/);
  });

  it('a schema without rules registers fine there', async () => {
    const reg = await droppingRegistry();
    expect(await new HttpSchemaSource({ url: reg.url }).register('x-value', { schema: userSchema('U') })).toBe(1);
  });
});
