/**
 * What a consumer WITHOUT access to the KMS gets. It reaches Kafka and both registries, but it
 * cannot unwrap the DEK, so it cannot decrypt the PII fields:
 *   - with onFailure NONE  it receives each record with the PII fields still encrypted
 *                          (base64 ciphertext in string fields);
 *   - with onFailure ERROR deserialize() throws.
 * The rule's own `onFailure: 'ERROR,NONE'` already means NONE on read; the overrides below make
 * both behaviours explicit.
 *
 *   npx tsx examples/consumer-without-key.ts
 */
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AvroDeserializer, CsfleError } from '../src/index';
import type { DeserializerOptions } from '../src/index';
import { config } from './config';
import { consumeTopic } from './consume';

async function main(): Promise<void> {
  // No KMS access: no local-kms secret in the config, and none from the environment either.
  delete process.env['LOCAL_SECRET'];
  const common: DeserializerOptions = {
    schemaRegistry: new SchemaRegistry({ host: config.schemaRegistryUrl }),
    dekRegistry: { url: config.dekRegistryUrl },
    kms: {},
  };
  const lenient = new AvroDeserializer({ ...common, ruleOverrides: [{ type: 'ENCRYPT', onFailure: 'NONE' }] });
  const strict = new AvroDeserializer({ ...common, ruleOverrides: [{ type: 'ENCRYPT', onFailure: 'ERROR' }] });

  const kafka = new Kafka({ clientId: 'csfle-example-no-key', brokers: config.brokers, logLevel: logLevel.WARN });
  let shownError = false;
  const count = await consumeTopic(kafka, {
    topic: config.topic,
    groupId: config.groupId,
    expect: config.expect,
    idleTimeoutMs: config.idleTimeoutMs,
    onRecord: async (message, partition) => {
      if (!message.value) return;
      const customer = await lenient.deserialize(config.topic, message.value);
      console.log(`onFailure=NONE  ${partition}:${message.offset} ${JSON.stringify(customer)}`);
      if (!shownError) {
        shownError = true;
        try {
          await strict.deserialize(config.topic, message.value);
          console.log('onFailure=ERROR unexpectedly decrypted the record');
        } catch (err) {
          const code = err instanceof CsfleError ? err.code : 'unknown';
          console.log(`onFailure=ERROR ${partition}:${message.offset} threw ${(err as Error).name} [${code}]: ${(err as Error).message}`);
        }
      }
    },
  });
  console.log(`read ${count} record(s) from ${config.topic} without KMS access`);
}

main().catch((err: unknown) => {
  console.error('consumer-without-key failed:', err);
  process.exit(1);
});
