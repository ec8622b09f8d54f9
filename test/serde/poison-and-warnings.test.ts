import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  frame,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
} from '../../src/index';
import { csfleRejection } from '../helpers/csfle-rejection';
import { countingSchemaRegistry, customer, customerSchema, encryptRuleSet, LOCAL_KMS as kms, localRules } from '../helpers/fixtures';


function recorder() {
  const warnings: { message: string; context: Record<string, unknown> | undefined }[] = [];
  return { warnings, logger: { warn: (message: string, context?: Record<string, unknown>) => warnings.push({ message, context }) } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function codeOf(p: Promise<unknown>): Promise<string> {
  return (await csfleRejection(p)).code;
}

describe('poison records cost at most one schema fetch per failureTtlMs', () => {
  it('10,000 records with an unknown schema id: 1 fetch', async () => {
    const { registry, calls } = countingSchemaRegistry();
    const deserializer = new AvroDeserializer({ schemaRegistry: registry, dekRegistry: new InMemoryDekRegistry(), kms });
    const poison = frame(4242, Buffer.from([2, 4, 6]));
    for (let i = 0; i < 10_000; i++) expect(await codeOf(deserializer.deserialize('t', poison))).toBe('SCHEMA_NOT_FOUND');
    expect(calls['getById']).toBe(1);
  });

  it('the failure is fetched again after keyRing.failureTtlMs', async () => {
    const { registry, calls } = countingSchemaRegistry();
    const deserializer = new AvroDeserializer({ schemaRegistry: registry, dekRegistry: new InMemoryDekRegistry(), kms, keyRing: { failureTtlMs: 1000 } });
    const poison = frame(4242, Buffer.from([2, 4, 6]));
    for (let i = 0; i < 10; i++) expect(await codeOf(deserializer.deserialize('t', poison))).toBe('SCHEMA_NOT_FOUND');
    expect(calls['getById']).toBe(1);
    await sleep(1100);
    expect(await codeOf(deserializer.deserialize('t', poison))).toBe('SCHEMA_NOT_FOUND');
    expect(calls['getById']).toBe(2);
  });

  it('10,000 records with an unknown schema GUID (V1 framing): 1 fetch', async () => {
    const { registry, calls } = countingSchemaRegistry();
    const deserializer = new AvroDeserializer({ schemaRegistry: registry, dekRegistry: new InMemoryDekRegistry(), kms });
    const poison = Buffer.concat([Buffer.of(1), Buffer.alloc(16, 0xab), Buffer.from([2])]);
    for (let i = 0; i < 10_000; i++) expect(await codeOf(deserializer.deserialize('t', poison))).toBe('SCHEMA_NOT_FOUND');
    expect(calls['getByGuid']).toBe(1);
  });

  it('a registry outage (retryable) is not remembered: the next record fetches again', async () => {
    const inner = new InMemorySchemaRegistry();
    const id = await inner.register('t-value', { schema: JSON.stringify(customerSchema) });
    let down = true;
    let fetches = 0;
    const flaky = Object.assign(Object.create(inner) as InMemorySchemaRegistry, {
      getById: async (n: number, s?: string) => {
        fetches++;
        if (down) throw new CsfleError('REGISTRY_UNAVAILABLE', 'down', { retryable: true });
        return inner.getById(n, s);
      },
    });
    const deserializer = new AvroDeserializer({ schemaRegistry: flaky, dekRegistry: new InMemoryDekRegistry(), kms });
    const bytes = await new AvroSerializer({ schemaRegistry: inner, dekRegistry: new InMemoryDekRegistry(), kms, schema: customerSchema }).serialize('t', customer);
    expect(await codeOf(deserializer.deserialize('t', bytes))).toBe('REGISTRY_UNAVAILABLE');
    down = false;
    expect(await deserializer.deserialize('t', bytes)).toMatchObject({ id: customer.id });
    expect(fetches).toBe(2);
    expect(id).toBeGreaterThan(0);
  });
});

describe('memory per subject stays flat when one schema id serves many subjects', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const wide = (n: number) => ({
    type: 'record',
    name: `W${n}`,
    namespace: 'mem',
    fields: Array.from({ length: n }, (_, i) => ({ name: `field_number_${i}`, type: i % 3 === 0 ? 'string' : i % 3 === 1 ? 'long' : { type: 'array', items: 'string' }, default: i % 3 === 1 ? 0 : i % 3 === 0 ? '' : [] })),
  });

  /** Heap bytes per subject of a serializer + deserializer that each served `subjects` topics. */
  async function perSubject(schema: object, subjects: number): Promise<number> {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema });
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    const bytes = await serializer.serialize('warmup', {});
    await deserializer.deserialize('warmup', bytes);
    const before = heap();
    for (let i = 0; i < subjects; i++) {
      const b = await serializer.serialize(`topic-${i}`, {});
      await deserializer.deserialize(`topic-${i}`, b);
    }
    const after = heap();
    expect(await serializer.schemaId('topic-0')).toBe(await serializer.schemaId('warmup')); // one id for all subjects
    return (after - before) / subjects;
  }

  it('a 300-field schema costs no more per subject than a 3-field one (parsed once per schema, not per subject)', async () => {
    const small = await perSubject(wide(3), 1000);
    const big = await perSubject(wide(300), 1000);
    // Parsing the 300-field schema per subject costs >100 kB; shared, the difference is noise.
    expect(big - small).toBeLessThan(4096);
  }, 60_000);
});

describe('onFailure NONE is loud: one warning per (rule, subject, error code) per failureTtlMs', () => {
  it('write: records go out (in clear, as configured) with one warning, never per record, never with values', async () => {
    const { warnings, logger } = recorder();
    const ruleSet = encryptRuleSet({ 'encrypt.kms.type': 'no-such-kms' }, { onFailure: 'NONE' });
    const schema = { schema: JSON.stringify(customerSchema), ruleSet };
    const serializer = new AvroSerializer({ schemaRegistry: new InMemorySchemaRegistry(), dekRegistry: new InMemoryDekRegistry(), kms, logger, keyRing: { failureTtlMs: 60_000 }, schema });
    for (let i = 0; i < 200; i++) await serializer.serialize('customers', customer);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain("Rule 'encrypt-pii' failed");
    expect(warnings[0]!.message).toContain('in clear');
    expect(warnings[0]!.context).toMatchObject({ ruleName: 'encrypt-pii', subject: 'customers-value', code: 'KMS_UNKNOWN_TYPE', kekName: 'kek1' });
    expect(JSON.stringify(warnings)).not.toMatch(/Ada|ada@|123-45/);
    // another subject is another warning
    await serializer.serialize('orders', customer);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.context).toMatchObject({ subject: 'orders-value' });

    // once per failureTtlMs
    const later = recorder();
    const short = new AvroSerializer({ schemaRegistry: new InMemorySchemaRegistry(), dekRegistry: new InMemoryDekRegistry(), kms, logger: later.logger, keyRing: { failureTtlMs: 50 }, schema });
    await short.serialize('customers', customer);
    await short.serialize('customers', customer);
    await sleep(80);
    await short.serialize('customers', customer);
    expect(later.warnings.length).toBeGreaterThanOrEqual(2);
    expect(later.warnings.length).toBeLessThanOrEqual(3);
  });

  it('read: a consumer without access gets ciphertext and one warning', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const bytes = await new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(customerSchema), ruleSet: localRules() } }).serialize('customers', customer);
    const { warnings, logger } = recorder();
    const deserializer = new AvroDeserializer({
      schemaRegistry,
      dekRegistry,
      kms: { 'local-kms': { secret: 'not the secret' } },
      ruleOverrides: [{ type: 'ENCRYPT', onFailure: 'NONE' }],
      logger,
    });
    for (let i = 0; i < 200; i++) {
      const out = (await deserializer.deserialize('customers', bytes)) as typeof customer;
      expect(out.name).not.toBe(customer.name);
      expect(out.country).toBe(customer.country);
    }
    expect(warnings.length).toBeLessThanOrEqual(2); // the key ring's own "KMS refused" warning may be the other
    const none = warnings.filter((w) => w.message.includes('onFailure is NONE'));
    expect(none).toHaveLength(1);
    expect(none[0]!.message).toContain('left as ciphertext');
    expect(none[0]!.context).toMatchObject({ ruleName: 'encrypt-pii', subject: 'customers-value', code: 'KMS_ACCESS_DENIED' });
    expect(JSON.stringify(warnings)).not.toMatch(/Ada|ada@|123-45|not the secret/);
  });
});

describe('fail closed on produce: a tag on a field that cannot be encrypted', () => {
  const cases: [string, unknown, unknown][] = [
    ['record', { type: 'record', name: 'Inner', fields: [{ name: 's', type: 'string' }] }, { s: 'x' }],
    ['array of records', { type: 'array', items: { type: 'record', name: 'Inner', fields: [{ name: 's', type: 'string' }] } }, [{ s: 'x' }]],
    ['map of enums', { type: 'map', values: { type: 'enum', name: 'E', symbols: ['A'] } }, { k: 'A' }],
    ['fixed', { type: 'fixed', name: 'F', size: 2 }, Buffer.from('ab')],
    ['long', 'long', 5],
    ['["null", record]', ['null', { type: 'record', name: 'Inner', fields: [{ name: 's', type: 'string' }] }], null],
  ];
  it.each(cases)('tagged %s: UNSUPPORTED_FIELD_TYPE at schema compile time, naming field path and rule', async (_what, type, value) => {
    const schema = { type: 'record', name: 'Outer', namespace: 'fc', fields: [{ name: 'x', type, 'confluent:tags': ['PII'] }] };
    const serializer = new AvroSerializer({ schemaRegistry: new InMemorySchemaRegistry(), dekRegistry: new InMemoryDekRegistry(), kms, schema: { schema: JSON.stringify(schema), ruleSet: localRules() } });
    // compile time: even the schema id cannot be resolved, and a null value fails as well
    const e = (await serializer.schemaId('fc').catch((err: unknown) => err)) as CsfleError;
    expect(e).toBeInstanceOf(CsfleError);
    expect(e.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(e.context).toMatchObject({ fieldPath: 'fc.Outer.x', ruleName: 'encrypt-pii', subject: 'fc-value' });
    expect(e.message).toContain("rule 'encrypt-pii'");
    expect(await codeOf(serializer.serialize('fc', { x: value }))).toBe('UNSUPPORTED_FIELD_TYPE');
  });

  it('a rule without tags still encrypts every string/bytes field and skips the others', async () => {
    const schema = { type: 'record', name: 'Outer', namespace: 'fc', fields: [{ name: 'n', type: 'long' }, { name: 's', type: 'string' }] };
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(schema), ruleSet: localRules({}, { tags: [] }) } });
    const bytes = await serializer.serialize('fc', { n: 1, s: 'secret' });
    expect(bytes.toString('latin1')).not.toContain('secret');
    expect(await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('fc', bytes)).toEqual({ n: 1, s: 'secret' });
  });
});

describe('AES-GCM on a key serde warns once, recommending AES256_SIV', () => {
  it('GCM key serializer and deserializer: one warning each; SIV and value serdes: none', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const keySchema = { type: 'record', name: 'Key', namespace: 'k', fields: [{ name: 'id', type: 'string', 'confluent:tags': ['PII'] }] };
    const make = (algorithm: string, isKey: boolean) => {
      const rec = recorder();
      const ruleSet = localRules({ 'encrypt.dek.algorithm': algorithm });
      const options = { schemaRegistry, dekRegistry, kms, isKey, logger: rec.logger };
      return { rec, ser: new AvroSerializer({ ...options, schema: { schema: JSON.stringify(keySchema), ruleSet } }), de: new AvroDeserializer(options) };
    };
    const gcm = make('AES256_GCM', true);
    const a = await gcm.ser.serialize('orders', { id: 'k1' });
    const b = await gcm.ser.serialize('orders', { id: 'k1' });
    expect(a.equals(b)).toBe(false); // what the warning is about
    await gcm.ser.serialize('payments', { id: 'k1' });
    expect(await gcm.de.deserialize('orders', a)).toEqual({ id: 'k1' });
    expect(gcm.rec.warnings).toHaveLength(2); // serializer once, deserializer once
    expect(gcm.rec.warnings[0]!.message).toContain('AES256_SIV');
    expect(gcm.rec.warnings[0]!.context).toMatchObject({ ruleName: 'encrypt-pii' });

    const siv = make('AES256_SIV', true);
    await siv.ser.serialize('siv-orders', { id: 'k1' });
    expect(siv.rec.warnings).toHaveLength(0);
    const value = make('AES256_GCM', false);
    await value.ser.serialize('values', { id: 'k1' });
    expect(value.rec.warnings).toHaveLength(0);
  });
});
