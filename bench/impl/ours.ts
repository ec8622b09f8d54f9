/** kafka-csfle through its public API, in-memory registries. */
import { AvroDeserializer, AvroSerializer, InMemoryDekRegistry, InMemorySchemaRegistry, type DekAlgorithm } from '../../src/index';
import { SECRET, SUBJECT, schemaInfo, type Impl } from './common';

export async function oursImpl(algorithm: DekAlgorithm): Promise<Impl> {
  const schemaRegistry = new InMemorySchemaRegistry();
  await schemaRegistry.register(SUBJECT, schemaInfo(algorithm));
  const dekRegistry = new InMemoryDekRegistry();
  const kms = { 'local-kms': { secret: SECRET } };
  const ser = new AvroSerializer({ schemaRegistry, dekRegistry, kms });
  const deser = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
  return {
    serialize: (topic, value) => ser.serialize(topic, value),
    deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
  };
}
