/**
 * End to end through the serde against real AxonOps: schema + rule set registered by our schema
 * source, KEK and DEK auto-created by our producer, decrypted by a consumer in a fresh process,
 * and interop both ways with Confluent's JS client (@confluentinc/schemaregistry 1.10.1, the
 * oracle) pointed at the same registry. Also: two producers racing for the first DEK, and a
 * registry that drops rule sets.
 */
import {
  AvroDeserializer as CAvroDeserializer,
  AvroSerializer as CAvroSerializer,
  FieldEncryptionExecutor,
  LocalKmsDriver,
  RuleRegistry,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { SchemaRegistryError } from '../../src/errors';
import { AvroDeserializer, AvroSerializer } from '../../src/index';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { KafkajsSchemaSource } from '../../src/serde/kafkajs-schema-source';
import { consumeInFreshProcess, customers, customerSchema, piiHidden, SECRET, type Customer } from './e2e-fixtures';
import { ENCRYPT_RULES } from './fixtures';
import { RecordingProxy, requireEnv, StubServer, uniq } from './helpers';

LocalKmsDriver.register();

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const kms = { 'local-kms': { secret: SECRET } };

// Most tests pass instances; the consumer below passes `{ url }` options, which the serde
// resolves to these same classes (src/serde/sources.ts).
const schemas = (u: string) => new HttpSchemaSource({ url: u });
const deks = (u: string) => new DekRegistryClient({ url: u });

function ourSerializer(registryUrl: string, kek: string, algorithm?: string): AvroSerializer {
  return new AvroSerializer({
    schemaRegistry: schemas(registryUrl),
    dekRegistry: deks(registryUrl),
    kms,
    schema: customerSchema(kek, algorithm),
  });
}

function ourDeserializer(registryUrl: string): AvroDeserializer {
  return new AvroDeserializer({ schemaRegistry: { url: registryUrl }, dekRegistry: { url: registryUrl }, kms });
}

function confluentSide(registryUrl: string) {
  const client = new SchemaRegistryClient({ baseURLs: [registryUrl] });
  const rules = new RuleRegistry();
  rules.registerExecutor(new FieldEncryptionExecutor());
  return {
    serializer: () =>
      new CAvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false, ruleConfig: { secret: SECRET } }, rules),
    deserializer: () => new CAvroDeserializer(client, SerdeType.VALUE, { ruleConfig: { secret: SECRET } }, rules),
  };
}

describe('serde end to end over AxonOps', () => {
  it('producer registers schema + rule set, auto-creates KEK and DEK; a fresh-process consumer decrypts', async () => {
    const topic = uniq('e2e');
    const subject = `${topic}-value`;
    const kek = uniq('e2ekek');
    const proxy = await new RecordingProxy(url).start();
    cleanups.push(() => proxy.stop());

    const ser = ourSerializer(proxy.url, kek, 'AES256_SIV');
    const written: Buffer[] = [];
    for (const c of customers) written.push(await ser.serialize(topic, c));
    written.forEach((b, i) => expect(piiHidden(b, customers[i]!)).toBe(true));

    // After the first record the producer's hot path makes no registry call.
    const warm = proxy.calls.length;
    for (let i = 0; i < 20; i++) await ser.serialize(topic, customers[i % customers.length]);
    expect(proxy.calls.length).toBe(warm);

    // The registry holds what the producer created: schema with rule set, KEK, DEK v1.
    const id = written[0]!.readUInt32BE(1);
    const stored = await new HttpSchemaSource({ url }).getById(id, subject);
    expect(stored.ruleSet).toEqual(customerSchema(kek, 'AES256_SIV').ruleSet);
    const admin = new DekRegistryClient({ url });
    expect(await admin.getKek(kek)).toMatchObject({ name: kek, kmsType: 'local-kms', kmsKeyId: 'mykey', shared: false });
    expect(await admin.listDekVersions(kek, subject, { algorithm: 'AES256_SIV' })).toEqual([1]);
    expect((await admin.getDek(kek, subject, { algorithm: 'AES256_SIV' }))?.encryptedKeyMaterial).toBeTruthy();

    // A consumer in a new process, with nothing cached, decrypts.
    const fresh = await consumeInFreshProcess(url, topic, written);
    expect(fresh.code).toBe(0);
    expect(fresh.lines).toEqual(customers);
  });

  it("Confluent's JS client decrypts what we wrote, and we decrypt what it wrote (same registry)", async () => {
    const topic = uniq('interop');
    const kek = uniq('interopkek');
    const ser = ourSerializer(url, kek);
    const ours: Buffer[] = [];
    for (const c of customers) ours.push(await ser.serialize(topic, c));

    const confluent = confluentSide(url);
    const cde = confluent.deserializer();
    for (let i = 0; i < ours.length; i++) {
      expect({ ...(await cde.deserialize(topic, ours[i]!)) }).toEqual(customers[i]);
    }

    const cser = confluent.serializer();
    const theirs: Buffer[] = [];
    const extra: Customer = { id: 9, name: 'Katherine Johnson', ssn: '999-00-1111', note: 'confluent' };
    for (const c of [...customers, extra]) theirs.push(await cser.serialize(topic, structuredClone(c)));
    expect(piiHidden(theirs[3]!, extra)).toBe(true);
    const de = ourDeserializer(url);
    for (let i = 0; i < theirs.length; i++) {
      expect(await de.deserialize(topic, theirs[i]!)).toEqual([...customers, extra][i]);
    }
    // One DEK for the subject: Confluent's producer found ours.
    expect(await new DekRegistryClient({ url }).listDekVersions(kek, `${topic}-value`)).toEqual([1]);
  });

  it('Confluent writes first (KEK + DEK created by Confluent), a fresh-process kafka-csfle consumer decrypts', async () => {
    const topic = uniq('cfirst');
    const kek = uniq('cfirstkek');
    const subject = `${topic}-value`;
    await new HttpSchemaSource({ url }).register(subject, customerSchema(kek, 'AES128_GCM'));
    const cser = confluentSide(url).serializer();
    const theirs: Buffer[] = [];
    for (const c of customers) theirs.push(await cser.serialize(topic, structuredClone(c)));
    const admin = new DekRegistryClient({ url });
    expect(await admin.getKek(kek)).toMatchObject({ kmsType: 'local-kms' });
    expect(await admin.listDekVersions(kek, subject, { algorithm: 'AES128_GCM' })).toEqual([1]);
    const fresh = await consumeInFreshProcess(url, topic, theirs);
    expect(fresh.lines).toEqual(customers);
  });

  it('a producer on a kafkajs SchemaRegistry (KafkajsSchemaSource) keeps the rule set; a fresh-process consumer decrypts', async () => {
    const topic = uniq('kjs');
    const kek = uniq('kjskek');
    const ser = new AvroSerializer({
      schemaRegistry: new KafkajsSchemaSource(new SchemaRegistry({ host: url })),
      dekRegistry: deks(url),
      kms,
      schema: customerSchema(kek),
    });
    const written: Buffer[] = [];
    for (const c of customers) written.push(await ser.serialize(topic, c));
    written.forEach((b, i) => expect(piiHidden(b, customers[i]!)).toBe(true));
    expect((await schemas(url).getById(written[0]!.readUInt32BE(1), `${topic}-value`)).ruleSet).toEqual(customerSchema(kek).ruleSet);
    const fresh = await consumeInFreshProcess(url, topic, written);
    expect(fresh.lines).toEqual(customers);
  });

  it('two producers racing to create the first DEK of a subject end up with one DEK; both decrypt', async () => {
    const topic = uniq('race');
    const subject = `${topic}-value`;
    const kek = uniq('racekek');
    // Both producers' first KEK lookup and first DEK lookup are held until both have asked, so
    // both see "absent" and both try to create: a real race, decided by the registry.
    const proxy = await new RecordingProxy(url)
      .barrier((m, p) => m === 'GET' && p === `/dek-registry/v1/keks/${kek}`, 2)
      .barrier((m, p) => m === 'GET' && p.startsWith(`/dek-registry/v1/keks/${kek}/deks/`), 2)
      .start();
    cleanups.push(() => proxy.stop());
    // Separate instances = separate caches, as two producer processes.
    const a = ourSerializer(proxy.url, kek);
    const b = ourSerializer(proxy.url, kek);
    // Register the schema first so both producers reach the key creation at the same moment.
    await new HttpSchemaSource({ url }).register(subject, customerSchema(kek));
    const [ba, bb] = await Promise.all([a.serialize(topic, customers[0]), b.serialize(topic, customers[1])]);

    const admin = new DekRegistryClient({ url });
    expect(await admin.listDekVersions(kek, subject)).toEqual([1]);
    expect(await admin.listDekSubjects(kek)).toEqual([subject]);
    // The race really happened: both producers tried to create the KEK and the DEK, one lost (409).
    const posts = (p: RegExp) => proxy.calls.filter((c) => c.method === 'POST' && p.test(c.path)).map((c) => c.status).sort();
    expect(posts(/\/keks$/)).toEqual([200, 409]);
    expect(posts(/\/deks\//)).toEqual([200, 409]);

    const fresh = await consumeInFreshProcess(url, topic, [ba, bb]);
    expect(fresh.lines).toEqual([customers[0], customers[1]]);
  });
});

describe('a registry that drops rule sets', () => {
  /** Registers anything; lookups answer without ruleSet/metadata (like Karapace / Redpanda). */
  async function droppingRegistry(): Promise<StubServer> {
    const schemas: Array<{ schema: string }> = [];
    const s = await new StubServer((r) => {
      if (r.method === 'POST' && /^\/subjects\/[^/]+\/versions$/.test(r.path)) {
        const body = r.body as { schema: string };
        let id = schemas.findIndex((x) => x.schema === body.schema) + 1;
        if (id === 0) id = schemas.push({ schema: body.schema });
        return { status: 200, body: { id } };
      }
      const m = /^\/schemas\/ids\/(\d+)$/.exec(r.path);
      if (m && schemas[Number(m[1]) - 1]) return { status: 200, body: schemas[Number(m[1]) - 1] };
      return { status: 404, body: { error_code: 40403, message: 'Schema not found' } };
    }).start();
    cleanups.push(() => s.stop());
    return s;
  }

  it('the producer refuses with RULE_SET_DROPPED instead of producing unencrypted data', async () => {
    const reg = await droppingRegistry();
    const ser = new AvroSerializer({ schemaRegistry: schemas(reg.url), dekRegistry: deks(url), kms, schema: customerSchema(uniq('k')) });
    const e = (await ser.serialize(uniq('drop'), customers[0]).catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e).toBeInstanceOf(SchemaRegistryError);
    expect(e.code).toBe('RULE_SET_DROPPED');
    expect(e.message).toMatch(/did not keep its rule set/);
    expect(e.message).toMatch(/'ruleSet'/);
  });

  it('with the rules supplied locally (serde option ruleSet), the same registry works and data is encrypted', async () => {
    const reg = await droppingRegistry();
    const kek = uniq('localrules');
    const topic = uniq('local');
    const { ruleSet, ...withoutRules } = customerSchema(kek);
    const ser = new AvroSerializer({ schemaRegistry: schemas(reg.url), dekRegistry: deks(url), kms, schema: withoutRules, ruleSet });
    const bytes = await ser.serialize(topic, customers[0]);
    expect(piiHidden(bytes, customers[0]!)).toBe(true);
    const de = new AvroDeserializer({ schemaRegistry: schemas(reg.url), dekRegistry: deks(url), kms, ruleSet: ENCRYPT_RULES(kek) });
    expect(await de.deserialize(topic, bytes)).toEqual(customers[0]);
  });
});
