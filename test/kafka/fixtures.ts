/**
 * Shared setup of the topic re-encryption suites: a Customer schema with PII encrypted under a
 * rotating DEK (versions in the ciphertext), a source topic written under several DEK versions,
 * and a read_committed reader of the target.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as avsc from 'avsc';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import {
  type ReencryptOptions,
  AvroDeserializer,
  AvroSerializer,
  DekRegistryClient,
  HttpSchemaSource,
  KeyRing,
  type RuleSet,
  type SerdeOptions,
} from '../../src/index';
import { customerNoteSchema, encryptPiiRules } from '../registry/fixtures';
import { requireEnv, uniq } from '../registry/helpers';

export const SECRET = 'reencrypt-local-kms-secret';
const DAY_MS = 86_400_000;
export const EXPIRY_DAYS = 3650;

export interface Env {
  brokers: string[];
  registryUrl: string;
}

export function env(): Env {
  return { brokers: requireEnv('KAFKA_BROKERS', 'kafka').split(','), registryUrl: requireEnv('SCHEMA_REGISTRY_URL') };
}

export function kafkaClient(e: Env): Kafka {
  return new Kafka({ brokers: e.brokers, clientId: 'reencrypt-test', logLevel: logLevel.NOTHING });
}

/** The Customer schema; a namespace per scenario keeps record-named subjects apart across runs. */
export const valueSchema = customerNoteSchema;
export const valueType = avsc.Type.forSchema(valueSchema('reencrypt.test') as avsc.Schema);

export function ruleSet(kek: string, algorithm = 'AES256_GCM'): RuleSet {
  return encryptPiiRules(kek, 'local-kms', 'mykey', { 'encrypt.dek.algorithm': algorithm, 'encrypt.dek.expiry.days': String(EXPIRY_DAYS) });
}

export function serdeOptions(e: Env, extra: Partial<SerdeOptions> = {}): SerdeOptions {
  return {
    schemaRegistry: { url: e.registryUrl },
    dekRegistry: { url: e.registryUrl },
    kms: { 'local-kms': { secret: SECRET } },
    ...extra,
  };
}

/** A fresh scenario: unique topics and KEK, value subject registered with the encryption rules. */
export class Scenario {
  readonly kek = uniq('rekek');
  readonly source = uniq('src');
  readonly target = `${this.source}.v2`;
  readonly deadLetter = `${this.source}.dlq`;
  readonly group = uniq('reenc');
  readonly namespace = uniq('reencrypt.test.n');
  readonly schemas: HttpSchemaSource;
  readonly deks: DekRegistryClient;

  constructor(
    readonly e: Env,
    readonly strategy: 'topic' | 'record' = 'record',
  ) {
    this.schemas = new HttpSchemaSource({ url: e.registryUrl });
    this.deks = new DekRegistryClient({ url: e.registryUrl });
  }

  get subject(): string {
    return this.strategy === 'record' ? `${this.namespace}.Customer` : `${this.source}-value`;
  }

  serde(extra: Partial<SerdeOptions> = {}): SerdeOptions {
    return serdeOptions(this.e, { subjectNameStrategy: this.strategy, ...extra });
  }

  get schemaText(): string {
    return JSON.stringify(valueSchema(this.namespace));
  }

  async register(algorithm?: string): Promise<void> {
    await this.schemas.register(this.subject, { schema: this.schemaText, schemaType: 'AVRO', ruleSet: ruleSet(this.kek, algorithm) });
    await this.schemas.register(`${this.source}-key`, { schema: '"string"', schemaType: 'AVRO' });
  }

  /** Creates the next DEK version of the subject (as a producer would once the latest expired). */
  async rotate(algorithm = 'AES256_GCM'): Promise<number> {
    const ring = new KeyRing({ registry: this.deks, kms: { 'local-kms': { secret: SECRET } }, now: () => Date.now() + 2 * EXPIRY_DAYS * DAY_MS });
    const key = await ring.writeKey({ kekName: this.kek, kmsType: 'local-kms', kmsKeyId: 'mykey', subject: this.subject, algorithm: algorithm as never, expiryDays: EXPIRY_DAYS });
    return key.version;
  }

  /** Options of a job copying the source into the target, stopping at the end. */
  job(extra: Partial<ReencryptOptions> = {}): ReencryptOptions {
    return { from: this.source, to: this.target, group: this.group, kafka: { brokers: this.e.brokers }, serde: this.serde(), stopAtEnd: true, ...extra };
  }

  async createTopics(partitions: number): Promise<void> {
    const admin = kafkaClient(this.e).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: this.source, numPartitions: partitions }], waitForLeaders: true });
    await admin.disconnect();
  }
}

export interface SourceRecord {
  seq: number;
  partition: number;
  key: string;
  value: Customer | null;
  timestamp: string;
}

export interface Customer {
  id: number;
  name: string;
  ssn: string;
  note: string;
}

export function customer(seq: number): Customer {
  return { id: seq, name: `Name ${seq} Secret`, ssn: `ssn-${String(seq).padStart(6, '0')}`, note: `note ${seq}` };
}

/**
 * Writes `records` to the scenario's source topic with a fresh serializer (so it uses the
 * subject's latest DEK): Avro string keys, a `seq` header, explicit timestamps and partitions.
 */
export async function produce(s: Scenario, records: SourceRecord[]): Promise<void> {
  const valueSer = new AvroSerializer({ ...s.serde(), schema: { schema: s.schemaText, schemaType: 'AVRO', ruleSet: ruleSet(s.kek) } });
  const keySer = new AvroSerializer({ ...serdeOptions(s.e), isKey: true });
  const producer = kafkaClient(s.e).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let i = 0; i < records.length; i += 2000) {
    const messages = [];
    for (const r of records.slice(i, i + 2000)) {
      messages.push({
        partition: r.partition,
        key: await keySer.serialize(s.source, r.key),
        value: r.value === null ? null : await valueSer.serialize(s.source, r.value),
        headers: { seq: String(r.seq) },
        timestamp: r.timestamp,
      });
    }
    await producer.send({ topic: s.source, messages, acks: -1 });
  }
  await producer.disconnect();
}

/** `count` records numbered from `first`: partition seq % partitions, every 97th a tombstone. */
export function records(first: number, count: number, partitions: number): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (let seq = first; seq < first + count; seq++) {
    out.push({
      seq,
      partition: seq % partitions,
      key: `k-${seq}`,
      value: seq % 97 === 0 ? null : customer(seq),
      timestamp: String(1_700_000_000_000 + seq),
    });
  }
  return out;
}

export interface ReadRecord {
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/** Every committed record of `topic` (read_committed), up to the end offsets at call time. */
export async function readAll(e: Env, topic: string): Promise<ReadRecord[]> {
  const kafka = kafkaClient(e);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  const groupId = uniq('reader');
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const out: ReadRecord[] = [];
  const pos = new Map<number, bigint>();
  const done = () => [...ends].every(([p, end]) => (pos.get(p) ?? 0n) >= end);
  await new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      pos.set(payload.partition, BigInt(payload.lastOffset) + 1n);
      if (done()) resolve();
    });
    if (done()) resolve();
    consumer
      .connect()
      .then(() => consumer.subscribe({ topics: [topic], fromBeginning: true }))
      .then(() =>
        consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) out.push({ partition: batch.partition, offset: m.offset, message: m });
          },
        }),
      )
      .catch(reject);
    setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 60_000).unref();
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return out;
}

/** The DEK version prefixes of the encrypted fields of a framed Customer value. */
export function dekVersionsOf(value: Buffer): number[] {
  const raw = valueType.fromBuffer(value.subarray(5)) as unknown as Record<string, string>;
  return ['name', 'ssn'].map((f) => {
    const b = Buffer.from(raw[f]!, 'base64');
    if (b[0] !== 0) throw new Error('no DEK version prefix');
    return b.readInt32BE(1);
  });
}

export function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : String(v);
}

export function deserializers(s: Scenario): { value: AvroDeserializer; key: AvroDeserializer } {
  return { value: new AvroDeserializer(s.serde()), key: new AvroDeserializer({ ...serdeOptions(s.e), isKey: true }) };
}

const ROOT = path.resolve(__dirname, '../..');

/** Starts the re-encryption job in a child process (test/kafka/procs/reencrypt-job.ts). */
export function startJob(config: Record<string, unknown>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/kafka/procs/reencrypt-job.ts')], {
    cwd: ROOT,
    env: { ...process.env, REENCRYPT_JOB: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Writes raw messages (already serialized) to the scenario's source topic. */
export async function produceRaw(s: Scenario, messages: Array<{ partition: number; key: Buffer | null; value: Buffer | null; headers?: IHeaders }>): Promise<void> {
  const producer = kafkaClient(s.e).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: s.source, messages, acks: -1 });
  await producer.disconnect();
}

/** A framed, encrypted Customer value for the scenario's source topic. */
export function serializeValue(s: Scenario, seq: number): Promise<Buffer> {
  const ser = new AvroSerializer({ ...s.serde(), schema: { schema: s.schemaText, schemaType: 'AVRO', ruleSet: ruleSet(s.kek) } });
  return ser.serialize(s.source, customer(seq));
}

/**
 * A Customer value whose `ssn` ciphertext is garbage under an existing DEK version: it frames and
 * decodes, but does not decrypt (DECRYPTION_FAILED).
 */
export async function corruptValue(s: Scenario, seq: number): Promise<Buffer> {
  const good = await serializeValue(s, seq);
  const raw = valueType.fromBuffer(good.subarray(5)) as unknown as Record<string, unknown>;
  raw['ssn'] = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.alloc(40, 7)]).toString('base64');
  return Buffer.concat([good.subarray(0, 5), valueType.toBuffer(raw)]);
}

/** A source topic written under DEK v1 then v2 (`perVersion` records each), then the DEK rotated to v3. */
export async function rotatedSource(s: Scenario, partitions: number, perVersion: number): Promise<SourceRecord[]> {
  await s.createTopics(partitions);
  await s.register();
  const v1 = records(0, perVersion, partitions);
  await produce(s, v1);
  if ((await s.rotate()) !== 2) throw new Error('expected DEK version 2');
  const v2 = records(perVersion, perVersion, partitions);
  await produce(s, v2);
  if ((await s.rotate()) !== 3) throw new Error('expected DEK version 3');
  return [...v1, ...v2];
}
