/**
 * Topic bookkeeping of the Kafka jobs: partition counts, missing target topics, and "has the
 * group copied everything up to the end offsets taken at start".
 *
 * @packageDocumentation
 */
import type { Admin } from 'kafkajs';
import { CsfleError } from '../errors';

/** Partition ids of `topic`; rejects `REENCRYPT_FAILED` when it does not exist. */
export async function partitionsOf(admin: Admin, topic: string): Promise<number[]> {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const ids = (topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
    if (ids.length > 0) return ids;
  } catch {
    // unknown topic: reported below
  }
  throw new CsfleError('REENCRYPT_FAILED', 'Topic not found', { topic });
}

/**
 * Checks the source exists; creates the target (with the source's partition count: partitions
 * are preserved) and the dead-letter topic when missing; rejects a target with fewer partitions
 * than the source. Resolves the source's partition ids.
 */
export async function createMissingTopics(admin: Admin, from: string, to: string, deadLetter: string | undefined): Promise<number[]> {
  const partitions = await partitionsOf(admin, from);
  const existing = new Set(await admin.listTopics());
  const create = [];
  if (!existing.has(to)) create.push({ topic: to, numPartitions: partitions.length });
  if (deadLetter !== undefined && !existing.has(deadLetter)) create.push({ topic: deadLetter, numPartitions: 1 });
  if (create.length > 0) {
    try {
      await admin.createTopics({ topics: create, waitForLeaders: true });
    } catch (err) {
      // Another process of the group created it first.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS' && !String((err as Error).message).includes('already exists')) throw err;
    }
  }
  const target = await partitionsOf(admin, to);
  if (target.length < partitions.length) {
    throw new CsfleError(
      'REENCRYPT_FAILED',
      `The target topic has ${target.length} partitions, fewer than the source's ${partitions.length}: records keep their partition, so it needs at least as many`,
      { topic: to },
    );
  }
  return partitions;
}

/** The end offsets of a topic's partitions at one moment, and the progress towards them. */
export class EndOffsets {
  /** Next offset to read per partition, as seen by this process (transaction markers included). */
  readonly #positions = new Map<number, bigint>();

  private constructor(
    readonly topic: string,
    readonly ends: ReadonlyMap<number, bigint>,
  ) {}

  /** The high watermarks of `topic` now. */
  static async capture(admin: Admin, topic: string, partitions: readonly number[]): Promise<EndOffsets> {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map<number, bigint>();
    for (const p of partitions) ends.set(p, BigInt(offsets.find((o) => o.partition === p)?.high ?? '0'));
    return new EndOffsets(topic, ends);
  }

  /** Records that this process has read `partition` up to (excluding) `next`. */
  advance(partition: number, next: bigint): void {
    if (next > (this.#positions.get(partition) ?? 0n)) this.#positions.set(partition, next);
  }

  /** Offset this process has read a partition up to. */
  position(partition: number): bigint {
    return this.#positions.get(partition) ?? 0n;
  }

  /**
   * True when every partition is done: the group's committed offset reached the end, or this
   * process committed up to where only records that need no copy (transaction markers, aborted
   * records) lie before the end.
   */
  async reached(admin: Admin, group: string): Promise<boolean> {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [this.topic] });
    for (const [p, end] of this.ends) {
      if (end === 0n) continue;
      const c = committed?.partitions.find((x) => x.partition === p);
      const offset = c === undefined ? -1n : BigInt(c.offset);
      if (offset >= end) continue;
      if (this.position(p) >= end) continue;
      return false;
    }
    return true;
  }
}
