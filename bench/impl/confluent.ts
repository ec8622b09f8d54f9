/** Confluent's @confluentinc/schemaregistry serializers/deserializers (Avro, JSON, Protobuf), mock registries. */
import { create, createMutableRegistry, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import {
  AvroDeserializer,
  AvroSerializer,
  FieldEncryptionExecutor,
  JsonDeserializer,
  JsonSerializer,
  LocalKmsDriver,
  MockClient,
  ProtobufDeserializer,
  ProtobufSerializer,
  RuleRegistry,
  SerdeType,
  type SchemaInfo,
} from '@confluentinc/schemaregistry';
import { MockDekRegistryClient } from '@confluentinc/schemaregistry/dist/rules/encryption/dekregistry/mock-dekregistry-client';
import type { DekAlgorithm } from '../../src/index';
import { parseProtobufSchema } from '../../src/protobuf/schema';
import { customerProto, SECRET, SUBJECT, schemaInfo, type Format, type Impl } from './common';

LocalKmsDriver.register();

export async function confluentImpl(algorithm: DekAlgorithm, format: Format = 'avro'): Promise<Impl> {
  const config = { baseURLs: ['mock://'] };
  const client = new MockClient(config);
  const info = schemaInfo(algorithm, format);
  // Confluent's JS client registers Protobuf schemas as base64 serialized descriptors.
  const proto = format === 'protobuf' ? parseProtobufSchema(customerProto) : undefined;
  if (proto) info.schema = Buffer.from(toBinary(FileDescriptorProtoSchema, proto.file.proto)).toString('base64');
  await client.register(SUBJECT, info as unknown as SchemaInfo, false);
  const rules = new RuleRegistry();
  const executor = new FieldEncryptionExecutor();
  executor.executor.client = new MockDekRegistryClient(config);
  rules.registerExecutor(executor);
  const ruleConfig = { secret: SECRET };
  const conf = { useLatestVersion: true, autoRegisterSchemas: false, ruleConfig };
  if (proto) {
    const desc = proto.messages.get('com.example.Customer')!;
    const ser = new ProtobufSerializer(client, SerdeType.VALUE, { ...conf, registry: createMutableRegistry(proto.file) }, rules);
    const deser = new ProtobufDeserializer(client, SerdeType.VALUE, { ruleConfig }, rules);
    return {
      // Its serializer takes a message (and encrypts it in place): built per record.
      serialize: (topic, value) => ser.serialize(topic, create(desc, value as never)),
      deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
    };
  }
  const [ser, deser] =
    format === 'json'
      ? [new JsonSerializer(client, SerdeType.VALUE, { ...conf, validate: true }, rules), new JsonDeserializer(client, SerdeType.VALUE, { ruleConfig }, rules)]
      : [new AvroSerializer(client, SerdeType.VALUE, conf, rules), new AvroDeserializer(client, SerdeType.VALUE, { ruleConfig }, rules)];
  return {
    // Confluent encrypts the caller's object in place: the bench hands every impl a fresh copy.
    serialize: (topic, value) => ser.serialize(topic, value),
    deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
  };
}
