/**
 * Reads a topic once, from the beginning up to the end offsets it had when the read started (for
 * `kafka-csfle decrypt --topic`). A throwaway consumer group; no offsets are committed.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { CsfleError } from '../errors';
import type { KafkaConnection } from './connection';
import { newKafka } from './kafkajs';

/** One record read by {@link readTopic}. */
export interface TopicRecord {
  partition: number;
  /** Offset, as a decimal string. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/**
 * Calls `onRecord` for every record of `topic`, partition by partition in offset order, up to the
 * end offsets captured at start; resolves when all partitions are read. A rejection of
 * `onRecord` stops the read and rejects.
 */
export async function readTopic(
  connection: KafkaConnection,
  topic: string,
  onRecord: (record: TopicRecord) => Promise<void>,
): Promise<void> {
  const kafka = await newKafka(connection, 'INVALID_REQUEST');
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `kafka-csfle-read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  try {
    let offsets: { partition: number; high: string; low: string }[];
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } catch (e) {
      throw new CsfleError('INVALID_REQUEST', 'Cannot read the topic offsets (does the topic exist?)', { topic, cause: e });
    }
    const ends = new Map<number, bigint>();
    for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) ends.set(o.partition, BigInt(o.high));
    if (ends.size === 0) return;
    const left = new Set(ends.keys());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch, heartbeat, isRunning }) => {
            const end = ends.get(batch.partition);
            if (end === undefined || failed) return;
            for (const m of batch.messages) {
              if (!isRunning() || failed) return;
              if (BigInt(m.offset) >= end) break;
              try {
                await onRecord({
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key,
                  value: m.value,
                  headers: (m.headers ?? {}) as TopicRecord['headers'],
                });
              } catch (e) {
                failed = true;
                reject(e);
                return;
              }
              await heartbeat();
            }
            // lastOffset() counts transaction markers too, so a partition ending in one completes.
            if (BigInt(batch.lastOffset()) + 1n >= end && left.delete(batch.partition) && left.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
