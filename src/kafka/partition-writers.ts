/**
 * One transactional producer per source partition, so that exactly one process at a time can
 * commit output and offsets for a partition.
 *
 * kafkajs sends consumer offsets in a transaction without the consumer-group generation
 * (KIP-447), so the broker cannot fence a stale group member by itself. The classic remedy is
 * used instead: the transactional id is derived from the partition. A process that takes a
 * partition over initializes the producer of that id, which aborts (or completes) any
 * transaction the previous owner left open and fences it; then it reads the group's committed
 * offset of the partition again, and skips what the previous owner had already copied.
 *
 * @packageDocumentation
 */
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';

/** The producer of one source partition, with the first offset not yet copied. */
export interface PartitionWriter {
  readonly partition: number;
  readonly producer: Producer;
  /** Offsets below this were copied (committed) already: skip them. */
  floor: bigint;
  /** The transaction opened at initialization and not used yet. */
  pending: Transaction | undefined;
}

/** Options of {@link PartitionWriters}. */
export interface PartitionWritersOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  group: string;
  transactionalIdPrefix: string;
  transactionTimeoutMs: number;
}

/** The writers of the partitions this process owns. */
export class PartitionWriters {
  readonly #o: PartitionWritersOptions;
  readonly #writers = new Map<number, Promise<PartitionWriter>>();

  constructor(options: PartitionWritersOptions) {
    this.#o = options;
  }

  /** The transactional id of a source partition's producer. */
  transactionalId(partition: number): string {
    return `${this.#o.transactionalIdPrefix}-${this.#o.topic}-${partition}`;
  }

  /** The writer of `partition`, created, initialized (fencing earlier owners) and floored on first use. */
  get(partition: number): Promise<PartitionWriter> {
    let w = this.#writers.get(partition);
    if (!w) {
      w = this.#open(partition);
      w.catch(() => this.#writers.delete(partition));
      this.#writers.set(partition, w);
    }
    return w;
  }

  /** A transaction on the writer: the one opened at initialization, else a new one. */
  async begin(writer: PartitionWriter): Promise<Transaction> {
    const t = writer.pending;
    if (t !== undefined) {
      writer.pending = undefined;
      return t;
    }
    return writer.producer.transaction();
  }

  /** Closes the writers of partitions not in `keep` (after a rebalance took them away). */
  async retain(keep: ReadonlySet<number>): Promise<void> {
    await Promise.all([...this.#writers.keys()].filter((p) => !keep.has(p)).map((p) => this.close(p)));
  }

  /** Closes the writer of one partition (aborting its unused transaction). */
  async close(partition: number): Promise<void> {
    const w = this.#writers.get(partition);
    if (!w) return;
    this.#writers.delete(partition);
    const writer = await w.catch(() => undefined);
    if (!writer) return;
    await writer.pending?.abort().catch(() => undefined);
    await writer.producer.disconnect().catch(() => undefined);
  }

  /** Closes every writer. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#writers.keys()].map((p) => this.close(p)));
  }

  async #open(partition: number): Promise<PartitionWriter> {
    const producer = this.#o.kafka.producer({
      transactionalId: this.transactionalId(partition),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.#o.transactionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      // The first transaction initializes the producer id: from then on, an earlier owner of
      // this partition is fenced and its open transaction is resolved.
      const pending = await producer.transaction();
      const floor = await this.#committed(partition);
      return { partition, producer, floor, pending };
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async #committed(partition: number): Promise<bigint> {
    const [topic] = await this.#o.admin.fetchOffsets({ groupId: this.#o.group, topics: [this.#o.topic] });
    const found = topic?.partitions.find((p) => p.partition === partition);
    const offset = found === undefined ? -1n : BigInt(found.offset);
    return offset < 0n ? 0n : offset;
  }
}
