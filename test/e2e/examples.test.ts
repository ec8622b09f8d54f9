/**
 * End to end on a real broker: runs examples/producer.ts, examples/consumer.ts and
 * examples/consumer-without-key.ts as separate processes against the Kafka broker and the schema
 * registry started by `npm test` (scripts/services/kafka.sh, scripts/services/axonops.sh), then
 * checks that every record round-trips and that the bytes stored in the topic hold no PII
 * plaintext.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { piiValues, sampleCustomers, type Customer } from '../../examples/customer-schema';
import { runTsx, type RunResult } from './run-tsx';

const N = sampleCustomers.length;

/** Runs `tsx examples/<script>` as its own process. */
function runExample(script: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return runTsx(path.join('examples', script), env);
}

function describeRun(name: string, r: RunResult): string {
  return `${name} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe('examples on a real Kafka broker (e2e)', () => {
  let brokers: string;
  let registryUrl: string;
  let childEnv: NodeJS.ProcessEnv;
  const run = randomBytes(4).toString('hex');
  const topic = `customers-e2e-${run}`;
  const kekName = `customers-e2e-kek-${run}`;
  const secret = `e2e-secret-${randomBytes(16).toString('hex')}`;

  beforeAll(() => {
    const missing = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'].filter((k) => !process.env[k]);
    if (missing.length > 0) {
      throw new Error(
        `e2e: ${missing.join(' and ')} not set. Run the suite with \`npm test\`, which starts Kafka and ` +
          'the schema registry (scripts/services/*.sh), or export them (`eval "$(bash scripts/dev-up.sh)"`).',
      );
    }
    brokers = process.env['KAFKA_BROKERS']!;
    registryUrl = process.env['SCHEMA_REGISTRY_URL']!.replace(/\/+$/, '');
    childEnv = {
      ...process.env,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      DEK_REGISTRY_URL: process.env['DEK_REGISTRY_URL'] ?? registryUrl,
      TOPIC: topic,
      KEK_NAME: kekName,
      KMS_TYPE: 'local-kms',
      KMS_KEY_ID: `e2e-key-${run}`,
      LOCAL_SECRET: secret,
      EXPECT: String(N),
      IDLE_TIMEOUT_MS: '60000',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
  });

  it('producer sends every customer', async () => {
    const r = await runExample('producer.ts', childEnv);
    expect(r.code, describeRun('producer', r)).toBe(0);
    const sent = r.stdout.split('\n').filter((l) => l.startsWith('sent '));
    expect(sent, describeRun('producer', r)).toHaveLength(N);
  }, 120_000);

  it('the schema is registered with its ENCRYPT rule, and the KEK exists', async () => {
    const schemaRes = await fetch(`${registryUrl}/subjects/${topic}-value/versions/latest`);
    expect(schemaRes.status).toBe(200);
    const registered = (await schemaRes.json()) as { ruleSet?: { domainRules?: Array<{ type: string; tags?: string[] }> } };
    expect(registered.ruleSet?.domainRules?.[0]).toMatchObject({ type: 'ENCRYPT', tags: ['PII'] });

    const dekUrl = (childEnv['DEK_REGISTRY_URL'] ?? registryUrl).replace(/\/+$/, '');
    const kekRes = await fetch(`${dekUrl}/dek-registry/v1/keks/${kekName}`);
    expect(kekRes.status).toBe(200);
    expect(await kekRes.json()).toMatchObject({ name: kekName, kmsType: 'local-kms' });
  });

  it('consumer (with the KMS secret) prints every record decrypted', async () => {
    const r = await runExample('consumer.ts', childEnv);
    expect(r.code, describeRun('consumer', r)).toBe(0);
    const records = r.stdout
      .split('\n')
      .map((l) => /^\d+:\d+ key=(\S+) (\{.*\})$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ key: m[1], value: JSON.parse(m[2]!) as Customer }));
    expect(records.map((x) => x.value), describeRun('consumer', r)).toEqual(sampleCustomers);
    expect(records.map((x) => x.key)).toEqual(sampleCustomers.map((c) => c.id));
  }, 120_000);

  it('the raw bytes in the topic contain no PII plaintext', async () => {
    const kafka = new Kafka({ clientId: 'e2e-raw', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `e2e-raw-${run}` });
    const raw: Buffer[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`raw consumer got ${raw.length}/${N} records in 60 s`)), 60_000);
        void consumer
          .run({
            eachMessage: async ({ message }) => {
              raw.push(message.value ?? Buffer.alloc(0));
              if (raw.length >= N) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect(raw).toHaveLength(N);
    const all = Buffer.concat(raw);
    for (const value of raw) expect(value[0], 'Confluent framing magic byte').toBe(0);
    for (const c of sampleCustomers) {
      for (const pii of piiValues(c)) {
        expect(all.includes(Buffer.from(pii, 'utf8')), `PII "${pii}" found in plaintext in the topic`).toBe(false);
      }
      // Control: the same search does find the fields that are not tagged PII.
      expect(all.includes(Buffer.from(c.id, 'utf8')), `non-PII id ${c.id} should be plaintext`).toBe(true);
    }
  }, 120_000);

  it('consumer-without-key gets ciphertext with onFailure NONE and an error with ERROR', async () => {
    const r = await runExample('consumer-without-key.ts', { ...childEnv, LOCAL_SECRET: '' });
    expect(r.code, describeRun('consumer-without-key', r)).toBe(0);
    const records = r.stdout
      .split('\n')
      .map((l) => /^onFailure=NONE\s+\d+:\d+ (\{.*\})$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => JSON.parse(m[1]!) as Customer);
    expect(records, describeRun('consumer-without-key', r)).toHaveLength(N);
    records.forEach((got, i) => {
      const want = sampleCustomers[i]!;
      // Fields not tagged PII are readable ...
      expect({ id: got.id, country: got.country, loyaltyPoints: got.loyaltyPoints }).toEqual({
        id: want.id,
        country: want.country,
        loyaltyPoints: want.loyaltyPoints,
      });
      // ... PII fields hold base64 ciphertext, not the plaintext.
      for (const field of ['name', 'email', 'ssn'] as const) {
        expect(got[field]).not.toBe(want[field]);
        expect(got[field]).toMatch(/^[A-Za-z0-9+/]+=*$/);
      }
      expect(got.phone === null).toBe(want.phone === null);
      if (want.phone !== null) expect(got.phone).not.toBe(want.phone);
    });
    for (const c of sampleCustomers) {
      for (const pii of piiValues(c)) expect(r.stdout).not.toContain(pii);
    }
    expect(r.stdout, describeRun('consumer-without-key', r)).toMatch(/^onFailure=ERROR .* threw \w+ \[\w+\]: .+$/m);
  }, 120_000);
});
