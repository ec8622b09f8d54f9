/** kafka-csfle through its public API, in-memory registries. */
import {
  AvroDeserializer,
  AvroSerializer,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  type DekAlgorithm,
} from '../../src/index';
import { SECRET, SUBJECT, schemaInfo, type Format, type Impl } from './common';

const SERDES = {
  avro: [AvroSerializer, AvroDeserializer],
  json: [JsonSerializer, JsonDeserializer],
  protobuf: [ProtobufSerializer, ProtobufDeserializer],
} as const;

export async function oursImpl(algorithm: DekAlgorithm, format: Format = 'avro'): Promise<Impl> {
  const schemaRegistry = new InMemorySchemaRegistry();
  await schemaRegistry.register(SUBJECT, schemaInfo(algorithm, format));
  const dekRegistry = new InMemoryDekRegistry();
  const kms = { 'local-kms': { secret: SECRET } };
  const [Ser, Deser] = SERDES[format];
  const ser = new Ser({ schemaRegistry, dekRegistry, kms });
  const deser = new Deser({ schemaRegistry, dekRegistry, kms });
  return {
    serialize: (topic, value) => ser.serialize(topic, value),
    deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
  };
}
