/**
 * kafka-csfle demo — runs with no external service:
 *   npm install && npm run demo
 *
 * An in-memory schema registry, an in-memory DEK registry and the local KMS (with a secret
 * generated for this run) stand in for Confluent Schema Registry / DEK Registry and a cloud KMS.
 * It shows (1) records produced with their PII fields encrypted, (2) those fields as they sit on
 * the wire, (3) the records read back by an authorized consumer and (4) what a consumer without
 * access to the key sees.
 */
import { randomBytes } from 'node:crypto';
import * as avsc from 'avsc';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  parseFrame,
  type RuleSet,
} from '../src/index';

const customerSchema = {
  type: 'record',
  name: 'Customer',
  namespace: 'com.acme',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'email', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'ssn', type: ['null', 'string'], default: null, 'confluent:tags': ['PII'] },
    { name: 'country', type: 'string' },
  ],
};

// The rule, in Confluent's JSON shape: encrypt every field tagged PII with a DEK wrapped by
// the KEK "demo-kek" held in the local KMS. ERROR on produce, NONE on consume: a consumer
// without the key still gets the record, with the PII fields left as ciphertext.
const ruleSet: RuleSet = {
  domainRules: [
    {
      name: 'encrypt-pii',
      kind: 'TRANSFORM',
      mode: 'WRITEREAD',
      type: 'ENCRYPT',
      tags: ['PII'],
      params: {
        'encrypt.kek.name': 'demo-kek',
        'encrypt.kms.type': 'local-kms',
        'encrypt.kms.key.id': 'demo-key',
        'encrypt.dek.algorithm': 'AES256_GCM',
      },
      onFailure: 'ERROR,NONE',
    },
  ],
};

const customers = [
  { id: 1, name: 'Ada Lovelace', email: 'ada@example.com', ssn: '123-45-6789', country: 'UK' },
  { id: 2, name: 'Grace Hopper', email: 'grace@example.com', ssn: null, country: 'US' },
  { id: 3, name: 'Katherine Johnson', email: 'kj@example.com', ssn: '987-65-4321', country: 'US' },
];

async function main(): Promise<void> {
  const secret = process.env['LOCAL_SECRET'] || randomBytes(24).toString('base64');
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const topic = 'customers';

  const producer = new AvroSerializer({
    schemaRegistry,
    dekRegistry,
    kms: { 'local-kms': { secret } },
    schema: { schema: JSON.stringify(customerSchema), ruleSet },
  });

  console.log('1. Producing %d customer records to topic "%s" (PII fields: name, email, ssn)\n', customers.length, topic);
  const messages: Buffer[] = [];
  for (const c of customers) messages.push(await producer.serialize(topic, c));

  console.log('2. On the wire (magic byte + schema id + Avro; PII fields are base64 AES-256-GCM ciphertext):\n');
  const plain = avsc.Type.forSchema(customerSchema as avsc.Schema);
  for (const m of messages) {
    const { schemaId, payload } = parseFrame(m);
    console.log(`   schema id ${schemaId}, ${m.length} bytes:`, JSON.stringify(plain.fromBuffer(payload)));
  }
  const dek = await dekRegistry.getDek('demo-kek', `${topic}-value`);
  console.log(`\n   DEK registry: KEK "demo-kek" (local-kms), DEK v${dek?.version} ${dek?.algorithm} for subject "${dek?.subject}", stored wrapped only.\n`);

  console.log('3. An authorized consumer (holds the KMS secret) reads:\n');
  const consumer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } } });
  for (const m of messages) console.log('  ', JSON.stringify(await consumer.deserialize(topic, m)));

  console.log('\n4. A consumer without access to the key (wrong KMS secret):\n');
  const outsider = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret: 'not-the-secret' } } });
  for (const m of messages) console.log('  ', JSON.stringify(await outsider.deserialize(topic, m)));

  console.log('\n   ...and the same consumer with onFailure overridden to ERROR gets a typed error:\n');
  const strict = new AvroDeserializer({
    schemaRegistry,
    dekRegistry,
    kms: { 'local-kms': { secret: 'not-the-secret' } },
    ruleOverrides: [{ type: 'ENCRYPT', onFailure: 'ERROR' }],
  });
  try {
    await strict.deserialize(topic, messages[0]!);
  } catch (err) {
    if (!(err instanceof CsfleError)) throw err;
    console.log(`   ${err.name} ${err.code}: ${err.message}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
