/**
 * Topic audit on the real broker (scripts/services/kafka.sh) and schema + DEK registry
 * (AxonOps): 1,000 records written encrypted, 7 written in clear by a producer whose KMS refuses
 * (wrong local-kms secret → KMS_ACCESS_DENIED) and whose rule falls back to onFailure NONE. The
 * audit must report exactly those 7 offsets, never a value, and say not ok.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer, type RecordMetadata } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTopic, AvroSerializer, GCM_NIST_BUDGET, type TopicAuditProgress } from '../../src/index';
import { customer, customerSchema, encryptRuleSet } from '../helpers/fixtures';
import { runCli } from '../helpers/run-cli';
import { requireEnv } from '../registry/helpers';

const GOOD = 1000;
const BAD_AT = [3, 150, 151, 420, 777, 901, 1003]; // positions in the produce order
const PII = [customer.name, customer.email, customer.ssn];

describe('kafka-csfle topic audit (real broker)', () => {
  const run = randomBytes(4).toString('hex');
  const topic = `audit-${run}`;
  const secret = `audit-secret-${run}`;
  let brokers: string[];
  let registryUrl: string;
  let kafka: Kafka;
  let producer: Producer;
  const bad = new Set<string>();

  beforeAll(async () => {
    brokers = requireEnv('KAFKA_BROKERS', 'kafka').split(',');
    registryUrl = requireEnv('SCHEMA_REGISTRY_URL');
    kafka = new Kafka({ brokers, clientId: 'audit-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();

    const ruleSet = encryptRuleSet({ 'encrypt.kek.name': `audit-kek-${run}`, 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'audit-key' });
    const common = { schemaRegistry: { url: registryUrl }, dekRegistry: { url: process.env['DEK_REGISTRY_URL'] ?? registryUrl } };
    const schema = { schema: JSON.stringify(customerSchema), ruleSet };
    const good = new AvroSerializer({ ...common, kms: { 'local-kms': { secret } }, schema });
    // Misconfigured: its KMS refuses to unwrap the DEK, and a local override makes the rule pass records through.
    const leaky = new AvroSerializer({
      ...common,
      kms: { 'local-kms': { secret: 'not-the-secret' } },
      schema,
      ruleOverrides: [{ type: 'ENCRYPT', onFailure: 'NONE' }],
    });
    const total = GOOD + BAD_AT.length;
    const pending: { bytes: Buffer; partition: number; leaked: boolean }[] = [];
    for (let i = 0; i < total; i++) {
      const leaked = BAD_AT.includes(i);
      const value = { ...customer, id: i };
      pending.push({ bytes: await (leaked ? leaky : good).serialize(topic, value), partition: i % 3, leaked });
    }
    expect(pending.filter((p) => p.leaked).every((p) => p.bytes.toString('latin1').includes(customer.ssn))).toBe(true);
    // One send per record keeps the offsets of the leaked ones exact.
    for (let i = 0; i < pending.length; i += 100) {
      const chunk = pending.slice(i, i + 100);
      const results: RecordMetadata[][] = await Promise.all(chunk.map((p) => producer.send({ topic, messages: [{ value: p.bytes, partition: p.partition }] })));
      chunk.forEach((p, k) => {
        if (p.leaked) bad.add(`${results[k]![0]!.partition}:${results[k]![0]!.baseOffset}`);
      });
    }
    expect(bad.size).toBe(BAD_AT.length);
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('reports exactly the 7 records written in clear, per subject, and is not ok', async () => {
    const progress: TopicAuditProgress[] = [];
    const report = await auditTopic({
      topic,
      kafka: { brokers },
      serde: { schemaRegistry: { url: registryUrl } },
      fromBeginning: true,
      onProgress: (p) => progress.push(p),
    });
    expect(report.ok).toBe(false);
    expect(report.recordsScanned).toBe(GOOD + BAD_AT.length);
    expect(report.truncated).toBe(false);
    expect(report.subjects).toHaveLength(1);
    const s = report.subjects[0]!;
    expect(s.subject).toBe(`${topic}-value`);
    expect(s.records).toBe(GOOD + BAD_AT.length);
    expect(s.recordsWithClearFields).toBe(BAD_AT.length);
    expect(new Set(s.clearFields.map((f) => `${f.partition}:${f.offset}`))).toEqual(bad);
    expect(s.clearFields).toHaveLength(3 * BAD_AT.length);
    expect(new Set(s.clearFields.map((f) => f.path))).toEqual(new Set(['com.acme.Customer.name', 'com.acme.Customer.email', 'com.acme.Customer.ssn']));
    expect(report.clearFieldCount).toBe(3 * BAD_AT.length);
    expect(s.dekVersions).toEqual([
      { kekName: `audit-kek-${run}`, algorithm: 'AES256_GCM', version: 1, records: GOOD, values: 3 * GOOD, nistBudgetUsed: (3 * GOOD) / GCM_NIST_BUDGET },
    ]);
    expect(s.schemasWithoutRules).toEqual([]);
    expect(progress.at(-1)).toMatchObject({ scanned: GOOD + BAD_AT.length, total: GOOD + BAD_AT.length, clearFields: 3 * BAD_AT.length });
    const text = JSON.stringify(report);
    for (const v of PII) expect(text).not.toContain(v);
  });

  it('the CLI prints the report and exits 1 (tagged fields in clear)', async () => {
    const { code, out, err } = await runCli(['topic', 'audit', '--topic', topic, '--from-beginning', '--brokers', brokers.join(','), '--url', registryUrl]);
    expect(code, err).toBe(1);
    const report = JSON.parse(out) as { ok: boolean; subjects: { clearFields: { partition: number; offset: string }[] }[] };
    expect(report.ok).toBe(false);
    expect(new Set(report.subjects[0]!.clearFields.map((f) => `${f.partition}:${f.offset}`))).toEqual(bad);
    for (const v of PII) expect(out + err).not.toContain(v);
  });

  it('without --from-beginning: resumes from the group offsets and commits them (incremental audits); --max stops early', async () => {
    const group = `audit-group-${run}`;
    const first = await auditTopic({ topic, kafka: { brokers }, serde: { schemaRegistry: { url: registryUrl } }, group, max: 10 });
    expect(first.recordsScanned).toBe(10);
    expect(first.truncated).toBe(true);
    const rest = await auditTopic({ topic, kafka: { brokers }, serde: { schemaRegistry: { url: registryUrl } }, group });
    expect(rest.recordsScanned).toBe(GOOD + BAD_AT.length - 10);
    expect(rest.truncated).toBe(false);
    const none = await auditTopic({ topic, kafka: { brokers }, serde: { schemaRegistry: { url: registryUrl } }, group });
    expect(none.recordsScanned).toBe(0);
    expect(none.ok).toBe(true);
  });
});
