/**
 * Registry outage: a dedicated AxonOps process (binary from AXONOPS_BIN, PostgreSQL storage so
 * its data survives the restart) is stopped after warm-up. Producer and consumer keep working
 * from their caches; a cold consumer gets a typed, retryable error quickly (no hang) and
 * succeeds once the registry is back. A frozen registry (accepts connections, never answers)
 * is bounded by the request timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryHttpOptions } from '../../src/dek/http-options';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { AvroDeserializer, AvroSerializer } from '../../src/index';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { customers, customerSchema, SECRET } from './e2e-fixtures';
import { AxonOpsProcess, createPgDatabase, uniq } from './helpers';
import { csfleRejection as failure } from '../helpers/csfle-rejection';

const kms = { 'local-kms': { secret: SECRET } };
let ax: AxonOpsProcess;

beforeAll(async () => {
  ax = await AxonOpsProcess.create(await createPgDatabase('outage'));
  await ax.start();
});
afterAll(async () => {
  await ax?.stop();
});

function deserializer(opts: RegistryHttpOptions): AvroDeserializer {
  return new AvroDeserializer({ schemaRegistry: new HttpSchemaSource(opts), dekRegistry: new DekRegistryClient(opts), kms });
}

describe('registry outage', () => {
  it('down after warm-up: serde works from cache; a cold consumer fails typed + retryable, then recovers', async () => {
    const topic = uniq('outage');
    const opts: RegistryHttpOptions = { url: ax.url, maxRetries: 2, retryBackoffMs: 20, timeoutMs: 1_000 };
    const producer = new AvroSerializer({
      schemaRegistry: new HttpSchemaSource(opts),
      dekRegistry: new DekRegistryClient(opts),
      kms,
      schema: customerSchema(uniq('outagekek')),
    });
    const consumer = deserializer(opts);
    const b0 = await producer.serialize(topic, customers[0]);
    expect(await consumer.deserialize(topic, b0)).toEqual(customers[0]);

    await ax.stop();

    // Warm producer and consumer: no registry needed.
    const b1 = await producer.serialize(topic, customers[1]);
    expect(await consumer.deserialize(topic, b1)).toEqual(customers[1]);
    expect(await consumer.deserialize(topic, b0)).toEqual(customers[0]);

    // Cold consumer: typed, retryable, fast.
    const cold = deserializer(opts);
    const t0 = Date.now();
    const e = await failure(cold.deserialize(topic, b1));
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    expect(e.retryable).toBe(true);

    await ax.start();
    // The same cold consumer succeeds once the registry is back (failures are not cached).
    expect(await cold.deserialize(topic, b1)).toEqual(customers[1]);
    expect(await cold.deserialize(topic, b0)).toEqual(customers[0]);
  });

  it('a frozen registry (connection accepted, no answer) is bounded by the request timeout', async () => {
    const topic = uniq('frozen');
    const producer = new AvroSerializer({
      schemaRegistry: new HttpSchemaSource({ url: ax.url }),
      dekRegistry: new DekRegistryClient({ url: ax.url }),
      kms,
      schema: customerSchema(uniq('frozenkek')),
    });
    const bytes = await producer.serialize(topic, customers[2]);
    ax.freeze(true);
    try {
      const cold = deserializer({ url: ax.url, timeoutMs: 300, maxRetries: 1, retryBackoffMs: 10 });
      const t0 = Date.now();
      const e = await failure(cold.deserialize(topic, bytes));
      const elapsed = Date.now() - t0;
      expect(e.code).toBe('REGISTRY_UNAVAILABLE');
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(/timed out after 300 ms/);
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      ax.freeze(false);
    }
    expect(await deserializer({ url: ax.url }).deserialize(topic, bytes)).toEqual(customers[2]);
  });
});
