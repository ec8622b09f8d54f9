/**
 * Topic re-encryption: consume → decrypt with the old keys → encrypt with the current rules and
 * latest DEK → produce, exactly once, on Kafka's own machinery. A consumer group splits the
 * source partitions across processes; each batch's output and its source offsets commit in one
 * Kafka transaction of the partition's producer (see {@link PartitionWriters}), so a crash or a
 * rebalance never loses or duplicates a record.
 *
 * @packageDocumentation
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, Message } from 'kafkajs';
import { CsfleError } from '../errors';
import type { SerdeOptions, SubjectNameStrategy } from '../serde/options';
import { createMissingTopics, EndOffsets } from './end-offsets';
import type { KafkaConnection, KeyFormat } from './connection';
import { isFenced, newKafka } from './kafkajs';
import { PartitionWriters, type PartitionWriter } from './partition-writers';
import { badRecord, deadLetterMessage } from './bad-records';
import { RecordCopier, TargetWriteError } from './record-copier';
import { byVersion, ProgressMeter, Tally, type ReencryptProgress, type ReencryptReport } from './reencrypt-report';

/** Options of {@link reencryptTopic}. */
export interface ReencryptOptions {
  /** Source topic. */
  from: string;
  /** Target topic (created with the source's partition count when missing). */
  to: string;
  /** Consumer group: processes started with the same group split the source partitions. Its committed offsets are the job's progress. */
  group: string;
  /** Kafka connection. */
  kafka: KafkaConnection;
  /**
   * Schema registry, DEK registry, KMS configuration, subject name strategy... as for the
   * serializers. Records are read with the keys they name and written with the target
   * subject's latest schema and rules.
   */
  serde: SerdeOptions;
  /** Records that cannot be decrypted go there unchanged (and are counted) instead of stopping the job. */
  deadLetter?: string;
  /** Stop once every source partition is copied up to its end as of the start. Default: run until `signal` aborts. */
  stopAtEnd?: boolean;
  /** How record keys are treated (default `auto`, see {@link KeyFormat}). */
  keyFormat?: KeyFormat;
  /** Subject name strategy of Avro keys (default `topic`; `serde.subjectNameStrategy` applies to values). */
  keySubjectNameStrategy?: SubjectNameStrategy;
  /**
   * Source partitions processed at once by this process (default 3): while one partition's
   * transaction commits, the next partition's records are re-encrypted. Records themselves are
   * re-encrypted one at a time.
   */
  concurrency?: number;
  /** Records per Kafka transaction at most (default 2000; kafkajs groups a transaction's messages in quadratic time, so much larger is slower). */
  maxRecordsPerTransaction?: number;
  /** Bytes fetched per partition and request (default 1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * Consumer-group session timeout in ms (default 30000): how long the group waits for a process
   * that died before giving its partitions to the others.
   */
  sessionTimeoutMs?: number;
  /** Transaction timeout in ms (default 60000). */
  transactionTimeoutMs?: number;
  /** Prefix of the per-partition transactional ids (default `kafka-csfle-reencrypt-<group>`). */
  transactionalIdPrefix?: string;
  /** Stops the job gracefully: the current transaction completes, then the report is returned. */
  signal?: AbortSignal;
  /** Receives progress at most once per `progressIntervalMs`. */
  onProgress?: (progress: ReencryptProgress) => void;
  /** Default 1000 (ms). */
  progressIntervalMs?: number;
  /** Warnings (kafkajs errors, fenced producers). Never record contents. */
  logger?: { warn(message: string, context?: Record<string, unknown>): void };
}

/**
 * Re-encrypts every record of `options.from` into `options.to` under the current keys, exactly
 * once (see the module docs). Resolves this process's {@link ReencryptReport} when it stops
 * (`stopAtEnd`, or `signal`). Rejects with `REENCRYPT_FAILED` naming topic, partition and offset
 * when a record cannot be decrypted and there is no dead-letter topic (what came before it is
 * committed, so a restart resumes at that record), or when Kafka or the registry fails.
 */
export async function reencryptTopic(options: ReencryptOptions): Promise<ReencryptReport> {
  const job = new ReencryptJob(options);
  return job.run();
}

class ReencryptJob {
  readonly #o: ReencryptOptions;
  readonly #totals = new Tally();
  readonly #byPartition = new Map<number, number>();
  readonly #copier: RecordCopier;
  readonly #progress: ProgressMeter;
  readonly #maxRecords: number;
  #transactions = 0;
  #fatal: unknown;
  #finish!: () => void;
  readonly #finished = new Promise<void>((resolve) => (this.#finish = resolve));
  /** Partitions whose producer was fenced: not processed until the next group join. */
  readonly #lost = new Set<number>();
  #resumers: Array<() => void> = [];
  #reachedEnd = false;
  #ends: EndOffsets | undefined;
  /** Re-encryption runs one chunk at a time (the DEK version tally is per record); commits overlap. */
  #transforming: Promise<void> = Promise.resolve();

  constructor(options: ReencryptOptions) {
    validate(options);
    this.#o = options;
    this.#copier = new RecordCopier(options.from, options.to, options.serde, {
      format: options.keyFormat,
      subjectNameStrategy: options.keySubjectNameStrategy,
    });
    this.#progress = new ProgressMeter(this.#totals, options.onProgress, Math.max(100, options.progressIntervalMs ?? 1000));
    this.#maxRecords = Math.max(1, options.maxRecordsPerTransaction ?? 2000);
  }

  async run(): Promise<ReencryptReport> {
    const o = this.#o;
    const warn = o.logger ? (m: string, c?: Record<string, unknown>) => o.logger!.warn(m, c) : undefined;
    const kafka = await newKafka(o.kafka, 'REENCRYPT_FAILED', warn);
    const admin = kafka.admin();
    await admin.connect();
    let consumer: Consumer | undefined;
    let writers: PartitionWriters | undefined;
    const onAbort = () => this.#finish();
    try {
      const partitions = await createMissingTopics(admin, o.from, o.to, o.deadLetter);
      const ends = o.stopAtEnd ? await EndOffsets.capture(admin, o.from, partitions) : undefined;
      writers = new PartitionWriters({
        kafka,
        admin,
        topic: o.from,
        group: o.group,
        transactionalIdPrefix: o.transactionalIdPrefix ?? `kafka-csfle-reencrypt-${o.group}`,
        transactionTimeoutMs: o.transactionTimeoutMs ?? 60_000,
      });
      this.#ends = ends;
      consumer = await this.#startConsumer(kafka, writers, ends);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.signal?.aborted) this.#finish();
      this.#progress.start();
      if (ends) void this.#watchEnd(admin, ends);
      await this.#finished;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      this.#progress.stop();
      await consumer?.disconnect().catch(() => undefined);
      await writers?.closeAll();
      await admin.disconnect().catch(() => undefined);
    }
    if (this.#fatal !== undefined) throw this.#fatal;
    this.#progress.emit();
    return this.#report();
  }

  async #startConsumer(kafka: Kafka, writers: PartitionWriters, ends: EndOffsets | undefined): Promise<Consumer> {
    const o = this.#o;
    const consumer = kafka.consumer({
      groupId: o.group,
      readUncommitted: false,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1 << 20,
      // Short long-polls: stopping does not wait for an idle fetch.
      maxWaitTimeInMs: 500,
      ...(o.sessionTimeoutMs !== undefined
        ? { sessionTimeout: o.sessionTimeoutMs, heartbeatInterval: Math.max(100, Math.floor(o.sessionTimeoutMs / 6)) }
        : {}),
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set<number>(payload.memberAssignment[o.from] ?? []);
      this.#progress.dropLag(mine);
      void writers.retain(mine);
      this.#lost.clear();
      // Open (initialize, fence, floor) the new partitions' producers at once, not batch by batch.
      for (const p of mine) void writers.get(p).catch(() => undefined);
      const resumers = this.#resumers;
      this.#resumers = [];
      for (const resume of resumers) resume();
    });
    // Batches emptied by filtering (transaction markers, aborted records) never reach eachBatch
    // and need no copy: reading them is progress.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) ends?.advance(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.#fail(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [o.from], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, o.concurrency ?? 3),
      eachBatch: (payload) => this.#onBatch(payload, writers),
    });
    return consumer;
  }

  async #onBatch(b: EachBatchPayload, writers: PartitionWriters): Promise<void> {
    const { batch } = b;
    const p = batch.partition;
    if (this.#fatal !== undefined || this.#lost.has(p)) {
      this.#resumers.push(b.pause());
      return;
    }
    let writer: PartitionWriter;
    try {
      writer = await writers.get(p);
    } catch (err) {
      return this.#failBatch(err, b, writers);
    }
    const msgs = batch.messages;
    let i = 0;
    while (i < msgs.length && BigInt(msgs[i]!.offset) < writer.floor) i++;
    if (i === msgs.length) {
      // Everything here was copied by an earlier owner of the partition: move past it (not past
      // the floor, when only transaction markers lie beyond the last record).
      if (msgs.length > 0) b.resolveOffset(BigInt(batch.lastOffset()) < writer.floor ? batch.lastOffset() : msgs[msgs.length - 1]!.offset);
      return;
    }
    while (i < msgs.length) {
      if (!b.isRunning() || b.isStale()) return;
      const end = Math.min(i + this.#maxRecords, msgs.length);
      const out: Message[] = [];
      const dead: Message[] = [];
      const tally = new Tally();
      let stop: CsfleError | undefined;
      let j = i;
      await this.#exclusive(async () => {
        for (; j < end; j++) {
          const m = msgs[j]!;
          try {
            out.push(await this.#copier.copy(m, p));
            tally.count(m.value == null, this.#copier.versions.source, this.#copier.versions.target);
          } catch (err) {
            const bad = badRecord(err, this.#o.from, p, m.offset);
            if (this.#o.deadLetter === undefined || bad.retryable || err instanceof TargetWriteError) {
              stop = bad;
              return;
            }
            dead.push(deadLetterMessage(m, this.#o.from, p, bad));
            tally.deadLettered++;
          }
        }
      });
      const next = j < msgs.length ? BigInt(msgs[j]!.offset) : BigInt(batch.lastOffset()) + 1n;
      if (next > writer.floor) {
        try {
          await this.#commit(writers, writer, out, dead, next);
        } catch (err) {
          return this.#failBatch(err, b, writers);
        }
        this.#totals.add(tally);
        this.#byPartition.set(p, (this.#byPartition.get(p) ?? 0) + tally.copied);
        writer.floor = next;
        this.#ends?.advance(p, next);
      }
      if (j > i) b.resolveOffset(j < msgs.length ? msgs[j - 1]!.offset : batch.lastOffset());
      this.#progress.setLag(p, Math.max(0, Number(BigInt(batch.highWatermark) - next)));
      if (stop) return this.#failBatch(stop, b, writers);
      i = j;
      await b.heartbeat();
    }
  }

  async #exclusive(fn: () => Promise<void>): Promise<void> {
    const previous = this.#transforming;
    let release!: () => void;
    this.#transforming = new Promise<void>((r) => (release = r));
    await previous;
    try {
      await fn();
    } finally {
      release();
    }
  }

  async #commit(writers: PartitionWriters, writer: PartitionWriter, out: Message[], dead: Message[], next: bigint): Promise<void> {
    const o = this.#o;
    const t = await writers.begin(writer);
    try {
      const topicMessages = [];
      if (out.length > 0) topicMessages.push({ topic: o.to, messages: out });
      if (dead.length > 0) topicMessages.push({ topic: o.deadLetter!, messages: dead });
      if (topicMessages.length > 0) await t.sendBatch({ topicMessages, acks: -1 });
      await t.sendOffsets({
        consumerGroupId: o.group,
        topics: [{ topic: o.from, partitions: [{ partition: writer.partition, offset: next.toString() }] }],
      });
      await t.commit();
      this.#transactions++;
    } catch (err) {
      await t.abort().catch(() => undefined);
      throw err;
    }
  }

  /** A fenced producer loses its partition until the next group join; anything else stops the job. */
  async #failBatch(err: unknown, b: EachBatchPayload, writers: PartitionWriters): Promise<void> {
    const p = b.batch.partition;
    this.#resumers.push(b.pause());
    if (isFenced(err)) {
      this.#lost.add(p);
      this.#o.logger?.warn('Another process took this partition over (producer fenced); leaving it', { topic: this.#o.from, partition: p });
      await writers.close(p);
      return;
    }
    this.#fail(
      err instanceof CsfleError
        ? err
        : new CsfleError('REENCRYPT_FAILED', `Kafka failure while re-encrypting: ${(err as Error)?.message ?? String(err)}`, {
            topic: this.#o.from,
            partition: p,
            retryable: true,
            cause: err,
          }),
    );
  }

  #fail(err: unknown): void {
    if (this.#fatal === undefined) this.#fatal = err;
    this.#finish();
  }

  /** With `stopAtEnd`: finishes once the group's committed offsets reach the end offsets taken at start. */
  async #watchEnd(admin: Admin, ends: EndOffsets): Promise<void> {
    let stopped = false;
    void this.#finished.then(() => (stopped = true));
    while (!stopped) {
      try {
        if (await ends.reached(admin, this.#o.group)) {
          this.#reachedEnd = true;
          this.#finish();
          return;
        }
      } catch (err) {
        this.#o.logger?.warn('Could not read the group offsets', { error: (err as Error)?.message });
      }
      await new Promise((r) => setTimeout(r, 200).unref());
    }
  }

  #report(): ReencryptReport {
    const elapsedMs = this.#progress.elapsedMs;
    const byPartition: Record<string, number> = {};
    for (const p of [...this.#byPartition.keys()].sort((a, b) => a - b)) byPartition[p] = this.#byPartition.get(p)!;
    return {
      from: this.#o.from,
      to: this.#o.to,
      group: this.#o.group,
      copied: this.#totals.copied,
      tombstones: this.#totals.tombstones,
      deadLettered: this.#totals.deadLettered,
      bySourceDekVersion: byVersion(this.#totals.bySource),
      byTargetDekVersion: byVersion(this.#totals.byTarget),
      byPartition,
      transactions: this.#transactions,
      elapsedMs,
      recordsPerSecond: Math.round((this.#totals.copied * 1000) / Math.max(1, elapsedMs)),
      reachedEnd: this.#reachedEnd,
    };
  }
}

function validate(o: ReencryptOptions): void {
  const fail = (m: string) => {
    throw new CsfleError('REENCRYPT_FAILED', m);
  };
  if (!o || typeof o !== 'object') fail('reencryptTopic needs options { from, to, group, kafka, serde }');
  for (const k of ['from', 'to', 'group'] as const) if (typeof o[k] !== 'string' || o[k] === '') fail(`reencryptTopic: \`${k}\` is required`);
  if (o.from === o.to) fail('The target topic must differ from the source topic (Kafka records cannot be rewritten in place; see docs/key-lifecycle.md)');
  if (o.deadLetter !== undefined && (o.deadLetter === o.from || o.deadLetter === o.to)) fail('The dead-letter topic must differ from the source and target topics');
  if (!o.serde) fail('reencryptTopic: `serde` (schemaRegistry, dekRegistry, kms) is required');
}
