/**
 * Example helper: reads a topic from the beginning with a kafkajs consumer and hands each
 * record to `onRecord`, then stops by itself after `expect` records (when > 0) or after
 * `idleTimeoutMs` without a new record.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ConsumeOptions {
  topic: string;
  groupId: string;
  expect: number;
  idleTimeoutMs: number;
  onRecord: (message: KafkaMessage, partition: number) => Promise<void>;
}

/** Resolves with the number of records handled; rejects with the first error of `onRecord`. */
export async function consumeTopic(kafka: Kafka, opts: ConsumeOptions): Promise<number> {
  const consumer = kafka.consumer({ groupId: opts.groupId });
  await consumer.connect();
  let count = 0;
  try {
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let timer = setTimeout(resolve, opts.idleTimeoutMs);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            clearTimeout(timer);
            try {
              await opts.onRecord(message, partition);
            } catch (err) {
              reject(err);
              return;
            }
            count += 1;
            if (opts.expect > 0 && count >= opts.expect) resolve();
            else timer = setTimeout(resolve, opts.idleTimeoutMs);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return count;
}
