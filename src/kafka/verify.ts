/**
 * `--verify`: reads the source and the target topic to their current ends, decrypts both and
 * compares them record by record, partition by partition (count, and a SHA-256 checksum over the
 * decrypted records in order).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { CsfleError } from '../errors';
import { KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER } from '../serde/framing';
import type { SerdeOptions, SubjectNameStrategy } from '../serde/options';
import { EndOffsets, partitionsOf } from './end-offsets';
import type { KafkaConnection, KeyFormat } from './connection';
import { newKafka } from './kafkajs';
import { RecordCopier } from './record-copier';
import { byVersion } from './reencrypt-report';

/** Options of {@link verifyReencryption}. */
export interface VerifyOptions {
  from: string;
  to: string;
  kafka: KafkaConnection;
  serde: SerdeOptions;
  keyFormat?: KeyFormat;
  keySubjectNameStrategy?: SubjectNameStrategy;
  logger?: { warn(message: string, context?: Record<string, unknown>): void };
}

/** The comparison of one partition. */
export interface PartitionVerification {
  /** Source records that decrypt. */
  sourceRecords: number;
  /** Source records that cannot be decrypted (expected in the dead-letter topic, not in the target). */
  sourceUndecryptable: number;
  targetRecords: number;
  targetUndecryptable: number;
  /** SHA-256 (hex) over the decrypted records in order. */
  sourceChecksum: string;
  targetChecksum: string;
  /** The first position where the decrypted records differ, with the offsets on each side. */
  firstMismatch?: { index: number; sourceOffset?: string; targetOffset?: string };
  match: boolean;
}

/** The result of {@link verifyReencryption}. */
export interface VerifyReport {
  from: string;
  to: string;
  /** True when every partition matches. */
  match: boolean;
  sourceRecords: number;
  targetRecords: number;
  /** Target records by the DEK version of their value (`none`: no encrypted field). */
  targetDekVersions: Record<string, number>;
  partitions: Record<string, PartitionVerification>;
  elapsedMs: number;
}

interface Side {
  digests: Map<number, Array<{ offset: string; digest: Buffer }>>;
  undecryptable: Map<number, number>;
}

/**
 * Compares `from` and `to` decrypted, record by record. Reads both topics (read_committed) up to
 * their end offsets at the start, with a throw-away consumer group that is deleted afterwards.
 */
export async function verifyReencryption(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const { from, to } = options;
  const kafka = await newKafka(options.kafka, 'REENCRYPT_FAILED', options.logger?.warn.bind(options.logger));
  const copier = new RecordCopier(from, to, options.serde, { format: options.keyFormat, subjectNameStrategy: options.keySubjectNameStrategy });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `kafka-csfle-verify-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  const sides: Record<string, Side> = { [from]: newSide(), [to]: newSide() };
  const targetVersions = new Map<number, number>();
  let fatal: unknown;
  try {
    const partitions = await partitionsOf(admin, from);
    const targetPartitions = await partitionsOf(admin, to);
    const ends = {
      [from]: await EndOffsets.capture(admin, from, partitions),
      [to]: await EndOffsets.capture(admin, to, targetPartitions),
    };
    const done = () => Object.values(ends).every((e) => [...e.ends].every(([p, end]) => e.position(p) >= end));
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      ends[payload.topic]?.advance(payload.partition, BigInt(payload.lastOffset) + 1n);
      if (done()) finish();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      fatal ??= payload.error;
      finish();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [from, to], fromBeginning: true });
    if (done()) finish();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const side = sides[batch.topic]!;
        const list = side.digests.get(batch.partition) ?? [];
        side.digests.set(batch.partition, list);
        const end = ends[batch.topic]!.ends.get(batch.partition) ?? 0n;
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break;
          try {
            list.push({ offset: m.offset, digest: digest(await copier.decrypt(batch.topic, m), m) });
            if (batch.topic === to && m.value != null) targetVersions.set(copier.versions.source, (targetVersions.get(copier.versions.source) ?? 0) + 1);
          } catch (err) {
            if (!(err instanceof CsfleError) || err.retryable) {
              fatal ??= err;
              finish();
              return;
            }
            side.undecryptable.set(batch.partition, (side.undecryptable.get(batch.partition) ?? 0) + 1);
          }
        }
        await heartbeat();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  if (fatal !== undefined) throw fatal;
  return compare(options, sides, targetVersions, started);
}

function newSide(): Side {
  return { digests: new Map(), undecryptable: new Map() };
}

function compare(options: VerifyOptions, sides: Record<string, Side>, targetVersions: Map<number, number>, started: number): VerifyReport {
  const src = sides[options.from]!;
  const dst = sides[options.to]!;
  const ids = new Set([...src.digests.keys(), ...dst.digests.keys(), ...src.undecryptable.keys(), ...dst.undecryptable.keys()]);
  const partitions: Record<string, PartitionVerification> = {};
  let match = true;
  let sourceRecords = 0;
  let targetRecords = 0;
  for (const p of [...ids].sort((a, b) => a - b)) {
    const a = src.digests.get(p) ?? [];
    const b = dst.digests.get(p) ?? [];
    const v: PartitionVerification = {
      sourceRecords: a.length,
      sourceUndecryptable: src.undecryptable.get(p) ?? 0,
      targetRecords: b.length,
      targetUndecryptable: dst.undecryptable.get(p) ?? 0,
      sourceChecksum: checksum(a),
      targetChecksum: checksum(b),
      match: false,
    };
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] === undefined || b[i] === undefined || !a[i]!.digest.equals(b[i]!.digest)) {
        v.firstMismatch = { index: i, ...(a[i] ? { sourceOffset: a[i]!.offset } : {}), ...(b[i] ? { targetOffset: b[i]!.offset } : {}) };
        break;
      }
    }
    v.match = v.firstMismatch === undefined && v.targetUndecryptable === 0 && v.sourceChecksum === v.targetChecksum;
    match &&= v.match;
    sourceRecords += a.length;
    targetRecords += b.length;
    partitions[p] = v;
  }
  return {
    from: options.from,
    to: options.to,
    match,
    sourceRecords,
    targetRecords,
    targetDekVersions: byVersion(targetVersions),
    partitions,
    elapsedMs: Date.now() - started,
  };
}

function checksum(list: ReadonlyArray<{ digest: Buffer }>): string {
  const h = createHash('sha256');
  for (const { digest } of list) h.update(digest);
  return h.digest('hex');
}

/** SHA-256 of a decrypted record: key, value, headers (schema-id headers aside) and timestamp. */
function digest(plain: { key: unknown; value: unknown }, m: KafkaMessage): Buffer {
  const text = JSON.stringify([plain.key, plain.value, headersOf(m.headers), m.timestamp], (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v,
  );
  return createHash('sha256').update(text).digest();
}

function headersOf(headers: IHeaders | undefined): Array<[string, unknown]> {
  if (!headers) return [];
  return Object.keys(headers)
    .filter((k) => k !== VALUE_SCHEMA_ID_HEADER && k !== KEY_SCHEMA_ID_HEADER)
    .sort()
    .map((k) => [k, headers[k]]);
}
