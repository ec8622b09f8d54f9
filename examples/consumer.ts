/**
 * Consumer example: reads the customers topic from the beginning and prints each record with its
 * PII fields decrypted. It needs the same KMS access as the producer (here: LOCAL_SECRET).
 *
 *   npx tsx examples/consumer.ts        # settings: env vars, see docs/examples.md
 */
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AvroDeserializer } from '../src/index';
import { config, kmsConfig } from './config';
import { consumeTopic } from './consume';

async function main(): Promise<void> {
  // The deserializer finds the writer schema and its rule set by the id in each record, fetches
  // the DEK from the DEK registry, unwraps it with the KMS, and decrypts the PII fields.
  const deserializer = new AvroDeserializer({
    schemaRegistry: new SchemaRegistry({ host: config.schemaRegistryUrl }),
    dekRegistry: { url: config.dekRegistryUrl },
    kms: kmsConfig(),
  });

  const kafka = new Kafka({ clientId: 'csfle-example-consumer', brokers: config.brokers, logLevel: logLevel.WARN });
  const count = await consumeTopic(kafka, {
    topic: config.topic,
    groupId: config.groupId,
    expect: config.expect,
    idleTimeoutMs: config.idleTimeoutMs,
    onRecord: async (message, partition) => {
      // A tombstone (message.value === null, a deleted key on a compacted topic) deserializes to
      // null, like Confluent's deserializers: no need to test for it before the call.
      const customer = await deserializer.deserialize(config.topic, message.value, message.headers);
      if (customer === null) {
        console.log(`${partition}:${message.offset} key=${message.key?.toString()} (tombstone)`);
        return;
      }
      console.log(`${partition}:${message.offset} key=${message.key?.toString()} ${JSON.stringify(customer)}`);
    },
  });
  console.log(`read ${count} record(s) from ${config.topic}`);
}

main().catch((err: unknown) => {
  console.error('consumer failed:', err);
  process.exit(1);
});
