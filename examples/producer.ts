/**
 * Producer example: sends sample customers to a Kafka topic. The serializer encrypts the fields
 * tagged PII on the client, so the broker (and anyone reading the topic without KMS access)
 * only ever sees ciphertext.
 *
 *   npx tsx examples/producer.ts        # settings: env vars, see docs/examples.md
 */
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AvroSerializer } from '../src/index';
import { config, kmsConfig } from './config';
import { customerRuleSet, customerSchema, sampleCustomers } from './customer-schema';

async function main(): Promise<void> {
  // The serializer registers the schema *with its rule set* under `<topic>-value` on first use,
  // creates the KEK and a DEK in the DEK registry if they do not exist yet, and encrypts every
  // PII-tagged field with that DEK.
  const serializer = new AvroSerializer({
    schemaRegistry: new SchemaRegistry({ host: config.schemaRegistryUrl }),
    dekRegistry: { url: config.dekRegistryUrl },
    kms: kmsConfig(),
    schema: {
      schema: JSON.stringify(customerSchema),
      ruleSet: customerRuleSet(config.kekName, config.kmsType, config.kmsKeyId),
    },
  });

  const kafka = new Kafka({ clientId: 'csfle-example-producer', brokers: config.brokers, logLevel: logLevel.WARN });
  // Create the topic if it does not exist yet (resolves false when it does).
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: config.topic }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (const customer of sampleCustomers) {
      const value = await serializer.serialize(config.topic, customer);
      const [meta] = await producer.send({ topic: config.topic, messages: [{ key: customer.id, value }] });
      console.log(`sent ${customer.id} (${customer.name}) to ${config.topic} partition ${meta?.partition} offset ${meta?.baseOffset}`);
    }
  } finally {
    await producer.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error('producer failed:', err);
  process.exit(1);
});
