/**
 * `npm run bench:reencrypt`: records/s of topic re-encryption (`reencryptTopic`: decrypt, encrypt
 * under the latest DEK, transactional produce) next to a plain transactional kafkajs copy of the
 * same topic (consume, produce the same bytes, offsets in the transaction; no decryption), in the
 * same run, alternating, against the Kafka broker and AxonOps started by scripts/services
 * (KAFKA_BROKERS, SCHEMA_REGISTRY_URL). BENCH_RECORDS records (default 60000) in 6 partitions,
 * Customer values with two encrypted fields; BENCH_ROUNDS rounds (default 3), the
 * median reported; CPU time per record too, as the machine's load skews wall-clock figures.
 * BENCH_BATCH: records per transaction for both (default 2000, the job's default);
 * BENCH_CONCURRENCY: the job's `concurrency` (default 3).
 */
import { loadavg } from 'node:os';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { AvroSerializer, KeyRing, DekRegistryClient, reencryptTopic } from '../src/index';
import { customerNoteSchema, encryptPiiRules } from '../test/registry/fixtures';

const PARTITIONS = 6;
const SECRET = 'bench-secret';
const BATCH = Number(process.env['BENCH_BATCH'] ?? 2000);

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bash scripts/services/kafka.sh start; bash scripts/services/axonops.sh start; source .cache/env/*.env)`);
  return v;
}

const uniq = (p: string) => `${p}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

async function main(): Promise<void> {
  const brokers = env('KAFKA_BROKERS').split(',');
  const url = env('SCHEMA_REGISTRY_URL');
  const n = Number(process.env['BENCH_RECORDS'] ?? 60_000);
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  const kafka = new Kafka({ brokers, clientId: 'bench-reencrypt', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();

  const kek = uniq('bench_kek');
  const ns = uniq('bench.ns');
  const source = uniq('bench_src');
  const ruleSet = encryptPiiRules(kek, 'local-kms', 'k', { 'encrypt.dek.expiry.days': '3650' });
  const schema = JSON.stringify(customerNoteSchema(ns));
  const serde = { schemaRegistry: { url }, dekRegistry: { url }, kms: { 'local-kms': { secret: SECRET } }, subjectNameStrategy: 'record' as const };

  await admin.createTopics({ topics: [{ topic: source, numPartitions: PARTITIONS }], waitForLeaders: true });
  const ser = new AvroSerializer({ ...serde, schema: { schema, schemaType: 'AVRO', ruleSet } });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < n; i += BATCH) {
    const messages: Message[] = [];
    for (let seq = i; seq < Math.min(n, i + BATCH); seq++) {
      messages.push({
        partition: seq % PARTITIONS,
        key: Buffer.from(`k-${seq}`),
        value: await ser.serialize(source, { id: seq, name: `Name ${seq}`, ssn: `ssn-${seq}`, note: `note ${seq} ${'x'.repeat(40)}` }),
        headers: { seq: String(seq) },
      });
    }
    await producer.send({ topic: source, messages });
  }
  await producer.disconnect();
  // Rotate: the copy writes under DEK v2.
  const ring = new KeyRing({ registry: new DekRegistryClient({ url }), kms: serde.kms, now: () => Date.now() + 7300 * 86_400_000 });
  await ring.writeKey({ kekName: kek, kmsType: 'local-kms', kmsKeyId: 'k', subject: `${ns}.Customer`, algorithm: 'AES256_GCM', expiryDays: 3650 });

  const results: Array<{ kind: string; ms: number; perSecond: number; cpuUs: number }> = [];
  const measure = async (kind: string, copy: () => Promise<void>) => {
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    await copy();
    const ms = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    results.push({ kind, ms, perSecond: (n * 1000) / ms, cpuUs: (cpu.user + cpu.system) / n });
  };
  for (let r = 0; r < rounds; r++) {
    await measure('plain transactional kafkajs copy', () => plainCopy(kafka, admin, source, n));
    await measure('reencryptTopic (decrypt + encrypt)', async () => {
      const report = await reencryptTopic({ from: source, to: uniq('bench_dst'), group: uniq('bench_job'), kafka: { brokers }, serde, stopAtEnd: true, maxRecordsPerTransaction: BATCH, ...(process.env['BENCH_CONCURRENCY'] ? { concurrency: Number(process.env['BENCH_CONCURRENCY']) } : {}) });
      if (report.copied !== n || Object.keys(report.byTargetDekVersion).join() !== '2') throw new Error(`unexpected report ${JSON.stringify(report)}`);
    });
  }
  await admin.disconnect();
  for (const x of results) {
    process.stdout.write(`${x.kind.padEnd(36)} ${n} records in ${x.ms} ms: ${Math.round(x.perSecond)} records/s, ${x.cpuUs.toFixed(1)} µs CPU/record\n`);
  }
  const median = (kind: string, f: (x: (typeof results)[number]) => number) => {
    const v = results.filter((x) => x.kind.startsWith(kind)).map(f).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)]!;
  };
  const job = median('reencryptTopic', (x) => x.perSecond);
  const plain = median('plain', (x) => x.perSecond);
  process.stdout.write(
    `median: reencryptTopic ${Math.round(job)} records/s, plain copy ${Math.round(plain)} records/s, ratio ${(job / plain).toFixed(2)}; ` +
      `CPU per record ${median('reencryptTopic', (x) => x.cpuUs).toFixed(1)} µs vs ${median('plain', (x) => x.cpuUs).toFixed(1)} µs (load average ${loadavg()[0]!.toFixed(1)})\n`,
  );
}

/**
 * The baseline: a consumer group and one transactional producer; per batch one transaction with
 * the same key, value, headers, timestamp and partition and the offsets. Timed like the job:
 * from the start to the end of the disconnect, group join included.
 */
async function plainCopy(kafka: Kafka, admin: ReturnType<Kafka['admin']>, source: string, n: number): Promise<void> {
  const target = uniq('bench_plain');
  const group = uniq('bench_plain_group');
  await admin.createTopics({ topics: [{ topic: target, numPartitions: PARTITIONS }], waitForLeaders: true });
  const producer = kafka.producer({ transactionalId: uniq('bench_plain_tx'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxBytesPerPartition: 1 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [source], fromBeginning: true });
  let copied = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (let i = 0; i < batch.messages.length; i += BATCH) {
        const chunk = batch.messages.slice(i, i + BATCH);
        const tx = await producer.transaction();
        await tx.send({
          topic: target,
          acks: -1,
          messages: chunk.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp, partition: batch.partition })),
        });
        const last = chunk[chunk.length - 1]!.offset;
        await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: source, partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }] }] });
        await tx.commit();
        resolveOffset(last);
        copied += chunk.length;
      }
      if (copied >= n) done();
    },
  });
  await finished;
  await consumer.disconnect();
  await producer.disconnect();
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exitCode = 1;
});
