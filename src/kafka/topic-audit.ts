/**
 * `kafka-csfle topic audit`: scans a topic on the broker and reports, per subject, tagged fields
 * found in clear text (partition and offset, never the value), records per DEK version against
 * the NIST GCM budget, and schemas without encryption rules. Needs the schema registry only — no
 * KMS, no DEK registry, no key.
 *
 * Where the scan starts: with `fromBeginning`, at each partition's earliest offset (a throw-away
 * consumer group, deleted afterwards); otherwise at the committed offsets of `group` (default
 * `kafka-csfle-audit`; earliest when it has none), and the offsets reached are committed, so a
 * cron job audits only what arrived since its last run. The scan ends at the end offsets taken
 * at the start (or after `max` records).
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { CsfleError } from '../errors';
import type { SerdeOptions } from '../serde/options';
import { RecordInspector } from '../serde/record-inspector';
import { AuditTally, type TopicAuditReport } from './audit-report';
import type { KafkaConnection, KafkajsClient } from './connection';
import { newKafka } from './kafkajs';

/** Progress of a running audit. */
export interface TopicAuditProgress {
  scanned: number;
  /** Records to scan in all (from the offsets at the start; `max` caps it). */
  total: number;
  clearFields: number;
}

/** Options of {@link auditTopic}. */
export interface TopicAuditOptions {
  topic: string;
  /** A kafkajs `Kafka` instance, or the connection to build one with (kafkajs is an optional peer). */
  kafka: KafkajsClient | KafkaConnection;
  /** Schema source and subject naming, as for the deserializer (no KMS or DEK registry needed). */
  serde: Pick<SerdeOptions, 'schemaRegistry' | 'subjectNameStrategy' | 'ruleSet' | 'metadata' | 'ruleOverrides'>;
  /** Scan from the earliest offsets instead of the group's committed ones. */
  fromBeginning?: boolean;
  /** Stop after this many records. */
  max?: number;
  /** Consumer group of incremental audits (default `kafka-csfle-audit`). */
  group?: string;
  /** Clear-field findings and unreadable records listed at most (per subject; default 1000). The counts stay exact. */
  maxFindings?: number;
  /** Receives progress after each fetched batch. */
  onProgress?: (progress: TopicAuditProgress) => void;
  /** Stops the scan early (the report covers what was scanned). */
  signal?: AbortSignal;
}

/** Default consumer group of incremental audits. */
export const DEFAULT_AUDIT_GROUP = 'kafka-csfle-audit';

async function kafkaOf(k: KafkajsClient | KafkaConnection): Promise<Kafka> {
  if (typeof (k as KafkajsClient).consumer === 'function') return k as unknown as Kafka;
  const c = k as KafkaConnection;
  if (!Array.isArray(c.brokers) || c.brokers.length === 0) throw new CsfleError('INVALID_REQUEST', 'No Kafka brokers given');
  return newKafka({ clientId: 'kafka-csfle-audit', ...c }, 'OPTIONAL_DEPENDENCY_MISSING');
}

/** Start (inclusive) and end (exclusive) offsets of each partition to scan. */
async function ranges(admin: Admin, topic: string, group: string, fromBeginning: boolean): Promise<Map<number, { from: bigint; to: bigint }>> {
  let offsets: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } catch (err) {
    throw new CsfleError('INVALID_REQUEST', `Topic not found or not readable: ${(err as Error).message}`, { topic });
  }
  const committed = new Map<number, bigint>();
  if (!fromBeginning) {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of t?.partitions ?? []) if (BigInt(p.offset) >= 0n) committed.set(p.partition, BigInt(p.offset));
  }
  const out = new Map<number, { from: bigint; to: bigint }>();
  for (const o of offsets) {
    const low = BigInt(o.low);
    const high = BigInt(o.high);
    const c = committed.get(o.partition);
    const from = c === undefined || c < low ? low : c > high ? high : c;
    out.set(o.partition, { from, to: high });
  }
  return out;
}

/**
 * Scans `topic` and reports what is encrypted and what is not. The report's `ok` is false when a
 * tagged field (or a payload under ENCRYPT_PAYLOAD) was found in clear.
 */
export async function auditTopic(options: TopicAuditOptions): Promise<TopicAuditReport> {
  const started = Date.now();
  const { topic } = options;
  const fromBeginning = options.fromBeginning ?? false;
  const max = options.max ?? Infinity;
  if (!(max > 0)) throw new CsfleError('INVALID_REQUEST', 'max must be a positive number of records', { topic });
  const kafka = await kafkaOf(options.kafka);
  const inspector = new RecordInspector(options.serde);
  const tally = new AuditTally(options.maxFindings ?? 1000);
  const groupId = fromBeginning ? `kafka-csfle-audit-${randomUUID()}` : (options.group ?? DEFAULT_AUDIT_GROUP);
  const admin = kafka.admin();
  await admin.connect();
  let consumer: Consumer | undefined;
  let fatal: unknown;
  let truncated = false;
  const positions = new Map<number, bigint>();
  let plan = new Map<number, { from: bigint; to: bigint }>();
  try {
    plan = await ranges(admin, topic, groupId, fromBeginning);
    let total = 0;
    for (const [p, r] of plan) {
      positions.set(p, r.from);
      total += Number(r.to - r.from);
    }
    total = Math.min(total, max);
    const pending = () => [...plan].some(([p, r]) => positions.get(p)! < r.to);
    if (pending() && !options.signal?.aborted) {
      consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      options.signal?.addEventListener('abort', () => finish(), { once: true });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        fatal ??= payload.error;
        finish();
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let stopped = false;
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          if (stopped) return;
          const end = plan.get(batch.partition)?.to ?? 0n;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset < positions.get(batch.partition)!) continue;
            if (offset >= end || stopped) break;
            if (tally.recordsScanned >= max) {
              truncated = true;
              stopped = true;
              break;
            }
            await inspectMessage(inspector, tally, topic, batch.partition, m);
            positions.set(batch.partition, offset + 1n);
          }
          // Transaction markers and compacted gaps: the batch's last offset counts as read.
          const last = BigInt(batch.lastOffset()) + 1n;
          if (!stopped && last > positions.get(batch.partition)! && last <= end) positions.set(batch.partition, last);
          options.onProgress?.({ scanned: tally.recordsScanned, total, clearFields: tally.clearFieldCount });
          await heartbeat();
          if (stopped || !pending()) {
            stopped = true;
            finish();
          }
        },
      });
      // Seek every partition to where this scan starts (the group's offsets, or the earliest).
      for (const [p, r] of plan) if (r.from < r.to) consumer.seek({ topic, partition: p, offset: r.from.toString() });
      await finished;
      if (fatal === undefined && !fromBeginning) {
        await consumer.commitOffsets([...positions].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })));
      }
    }
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    if (fromBeginning) await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  if (fatal !== undefined) throw fatal;
  return tally.report({
    topic,
    partitions: [...plan].sort(([a], [b]) => a - b).map(([partition, r]) => ({ partition, from: r.from.toString(), to: (positions.get(partition) ?? r.from).toString() })),
    truncated: truncated || [...plan].some(([p, r]) => (positions.get(p) ?? r.from) < r.to),
    elapsedMs: Date.now() - started,
  });
}

async function inspectMessage(inspector: RecordInspector, tally: AuditTally, topic: string, partition: number, m: KafkaMessage): Promise<void> {
  if (m.value == null) {
    tally.tombstone();
    return;
  }
  try {
    const r = await inspector.inspect(m.value, { topic, ...(m.headers ? { headers: m.headers } : {}) });
    tally.record(partition, m.offset, r);
  } catch (err) {
    if (!(err instanceof CsfleError) || err.retryable) throw err;
    tally.unreadableRecord(partition, m.offset, err.code);
  }
}
