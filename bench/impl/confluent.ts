/** Confluent's @confluentinc/schemaregistry AvroSerializer/AvroDeserializer, mock registries. */
import {
  AvroDeserializer,
  AvroSerializer,
  FieldEncryptionExecutor,
  LocalKmsDriver,
  MockClient,
  RuleRegistry,
  SerdeType,
  type SchemaInfo,
} from '@confluentinc/schemaregistry';
import { MockDekRegistryClient } from '@confluentinc/schemaregistry/dist/rules/encryption/dekregistry/mock-dekregistry-client';
import type { DekAlgorithm } from '../../src/index';
import { SECRET, SUBJECT, schemaInfo, type Impl } from './common';

LocalKmsDriver.register();

export async function confluentImpl(algorithm: DekAlgorithm): Promise<Impl> {
  const config = { baseURLs: ['mock://'] };
  const client = new MockClient(config);
  await client.register(SUBJECT, schemaInfo(algorithm) as unknown as SchemaInfo, false);
  const rules = new RuleRegistry();
  const executor = new FieldEncryptionExecutor();
  executor.executor.client = new MockDekRegistryClient(config);
  rules.registerExecutor(executor);
  const ruleConfig = { secret: SECRET };
  const ser = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false, ruleConfig }, rules);
  const deser = new AvroDeserializer(client, SerdeType.VALUE, { ruleConfig }, rules);
  return {
    // Confluent encrypts the caller's object in place: the bench hands every impl a fresh copy.
    serialize: (topic, value) => ser.serialize(topic, value),
    deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
  };
}
