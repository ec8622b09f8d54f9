/** Step 3: kafka-csfle reads what Python wrote ($IN) and prints it as JSON. */
import { readFileSync } from 'node:fs';
import { DekRegistryClient, HttpSchemaSource, ProtobufDeserializer } from '../../src/index';
import { SECRET, TOPIC } from './common';

const [url, input] = process.argv.slice(2) as [string, string];
(async () => {
  const de = new ProtobufDeserializer({ schemaRegistry: new HttpSchemaSource({ url }), dekRegistry: new DekRegistryClient({ url }), kms: { 'local-kms': { secret: SECRET } } });
  const msg = (await de.deserialize(TOPIC, readFileSync(input))) as { $typeName: string };
  // Buffers reach the replacer already as { type: 'Buffer', data } (Buffer#toJSON).
  const bytes = (x: unknown): x is { type: 'Buffer'; data: number[] } => typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'Buffer';
  console.log(JSON.stringify(msg, (_k, x: unknown) => (bytes(x) ? Buffer.from(x.data).toString('base64') : typeof x === 'bigint' ? String(x) : x)));
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
