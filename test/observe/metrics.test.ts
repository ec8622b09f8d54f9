/**
 * OpenTelemetry metrics through the SDK's in-memory exporter: exact counts for 1,000 records
 * (one KMS unwrap, one decryption per tagged field and record), failures and onFailure NONE
 * pass-throughs, bounded attribute cardinality, stats() agreeing with the metrics, no values in
 * attributes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AvroDeserializer, AvroSerializer, InMemoryDekRegistry, InMemorySchemaRegistry, type RuleSet } from '../../src/index';
import { customer, customerSchema, encryptRuleSet, SECRET } from '../helpers/fixtures';
import { otelSdk } from './otel-helpers';

const kms = { 'counting-kms': { secret: SECRET } };
const N = 1000;
const dekAttrs = { 'csfle.kek.name': 'kek1', 'csfle.subject': 'customers-value', 'csfle.dek.version': 1, 'csfle.dek.algorithm': 'AES256_GCM' };

function registries(ruleSet: RuleSet = encryptRuleSet({}, { onFailure: 'ERROR,NONE' })) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  return { schemaRegistry, dekRegistry, schema: { schema: JSON.stringify(customerSchema), ruleSet } };
}

let sdk: ReturnType<typeof otelSdk>;
afterEach(async () => sdk?.shutdown());

describe('OpenTelemetry metrics (meter kafka-csfle)', () => {
  it('1,000 records: exactly 1 KMS unwrap and 1,000 field decryptions per tagged field', async () => {
    sdk = otelSdk();
    const { schemaRegistry, dekRegistry, schema } = registries();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, meterProvider: sdk.meterProvider });
    const frames: Buffer[] = [];
    for (let i = 0; i < N; i++) frames.push(await serializer.serialize('customers', { ...customer, id: i }));
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms, meterProvider: sdk.meterProvider });
    for (const f of frames) await deserializer.deserialize('customers', f);

    const m = await sdk.collect();
    expect(sdk.sum(m, 'csfle.kms.calls', { 'csfle.operation': 'unwrap' })).toBe(1);
    expect(sdk.sum(m, 'csfle.kms.calls', { 'csfle.operation': 'unwrap', 'csfle.outcome': 'success', 'csfle.kms.type': 'counting-kms' })).toBe(1);
    expect(sdk.sum(m, 'csfle.kms.calls', { 'csfle.operation': 'wrap' })).toBe(1);
    expect(sdk.points(m, 'csfle.field.decryptions')).toEqual([{ attributes: dekAttrs, value: 3 * N }]);
    expect(sdk.points(m, 'csfle.field.encryptions')).toEqual([{ attributes: dekAttrs, value: 3 * N }]);
    expect(sdk.sum(m, 'csfle.kms.duration')).toBe(2); // histogram: one wrap, one unwrap
    expect(sdk.sum(m, 'csfle.registry.calls')).toBeGreaterThan(0);
    expect(sdk.sum(m, 'csfle.registry.calls')).toBe(sdk.sum(m, 'csfle.registry.duration'));
    expect(sdk.sum(m, 'csfle.registry.calls', { 'csfle.operation': 'get_schema_by_id', 'csfle.outcome': 'success' })).toBe(2); // once per serde (the serializer reads back what it registered)
    expect(sdk.sum(m, 'csfle.registry.calls', { 'csfle.operation': 'register_schema' })).toBe(1);
    expect(sdk.sum(m, 'csfle.registry.calls', { 'csfle.operation': 'register_dek' })).toBe(1);
    expect(sdk.sum(m, 'csfle.key_cache.lookups', { 'csfle.cache.result': 'miss' })).toBeLessThanOrEqual(4);
    expect(sdk.sum(m, 'csfle.key_cache.lookups', { 'csfle.cache.result': 'hit' })).toBeGreaterThanOrEqual(2 * N - 4);
    expect(sdk.sum(m, 'csfle.failures')).toBe(0);
    expect(sdk.sum(m, 'csfle.payload.decryptions')).toBe(0);

    // stats() gives the same numbers without OpenTelemetry
    const stats = deserializer.stats();
    expect(stats.kms.unwrapCalls).toBe(1);
    expect(stats.deks).toEqual([expect.objectContaining({ kekName: 'kek1', version: 1, decryptions: 3 * N })]);
    // no record value in any attribute
    const text = JSON.stringify([...m.values()].map((x) => x.dataPoints.map((p) => p.attributes)));
    for (const v of [customer.name, customer.email, customer.ssn]) expect(text).not.toContain(v);
  });

  it('a consumer without the key: failures and onFailure NONE pass-throughs by code, one KMS call', async () => {
    sdk = otelSdk();
    const { schemaRegistry, dekRegistry, schema } = registries();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema });
    const frame = await serializer.serialize('customers', customer);
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'counting-kms': { secret: 'wrong' } }, meterProvider: sdk.meterProvider });
    for (let i = 0; i < 50; i++) await deserializer.deserialize('customers', frame);
    const m = await sdk.collect();
    expect(sdk.points(m, 'csfle.kms.calls')).toEqual([
      { attributes: { 'csfle.kms.type': 'counting-kms', 'csfle.operation': 'unwrap', 'csfle.outcome': 'KMS_ACCESS_DENIED' }, value: 1 },
    ]);
    expect(sdk.points(m, 'csfle.failures')).toEqual([{ attributes: { 'error.type': 'KMS_ACCESS_DENIED', 'csfle.direction': 'READ' }, value: 50 }]);
    expect(sdk.points(m, 'csfle.passthroughs')).toEqual([
      { attributes: { 'csfle.rule.name': 'encrypt-pii', 'csfle.subject': 'customers-value', 'csfle.direction': 'READ', 'error.type': 'KMS_ACCESS_DENIED' }, value: 50 },
    ]);
    expect(deserializer.stats().passThroughs).toBe(50);
  });

  it('attribute cardinality is bounded: sets past the limit count under otel.metric.overflow', async () => {
    sdk = otelSdk();
    const { schemaRegistry, dekRegistry, schema } = registries();
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, meterProvider: sdk.meterProvider, metricCardinalityLimit: 2 });
    for (let t = 0; t < 5; t++) await serializer.serialize(`topic${t}`, customer);
    const m = await sdk.collect();
    const points = sdk.points(m, 'csfle.field.encryptions');
    expect(points).toHaveLength(3);
    expect(points.find((p) => p.attributes['otel.metric.overflow'] === true)?.value).toBe(3 * 3);
    expect(sdk.sum(m, 'csfle.field.encryptions')).toBe(5 * 3);
  });

  it("'global' uses the provider registered with @opentelemetry/api; several serdes on one meter are summed", async () => {
    sdk = otelSdk();
    const { metrics } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    try {
      const { schemaRegistry, dekRegistry, schema } = registries();
      const a = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, meterProvider: 'global' });
      const b = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, meterProvider: 'global' });
      await a.serialize('customers', customer);
      await b.serialize('customers', customer);
      const m = await sdk.collect();
      expect(sdk.points(m, 'csfle.field.encryptions')).toEqual([{ attributes: dekAttrs, value: 6 }]);
    } finally {
      metrics.disable();
    }
  });
});
