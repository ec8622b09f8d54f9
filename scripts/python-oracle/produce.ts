/** Step 1: kafka-csfle registers the schemas and writes RECORD (to $OUT/ours.bin). */
import { writeFileSync } from 'node:fs';
import { DekRegistryClient, HttpSchemaSource, ProtobufSerializer } from '../../src/index';
import { ADDRESS_PROTO, METADATA, PERSON_PROTO, PLAINTEXTS, RECORD, ruleSet, SECRET, TOPIC } from './common';

const [url, algorithm, out] = process.argv.slice(2) as [string, string, string];
(async () => {
  const source = new HttpSchemaSource({ url });
  await source.register('common-address', { schemaType: 'PROTOBUF', schema: ADDRESS_PROTO });
  const ser = new ProtobufSerializer({
    schemaRegistry: source,
    dekRegistry: new DekRegistryClient({ url }),
    kms: { 'local-kms': { secret: SECRET } },
    schema: { schemaType: 'PROTOBUF', schema: PERSON_PROTO, ruleSet: ruleSet(algorithm), metadata: METADATA, references: [{ name: 'common/address.proto', subject: 'common-address', version: 1 }] },
  });
  const bytes = await ser.serialize(TOPIC, RECORD);
  for (const p of PLAINTEXTS) if (bytes.includes(Buffer.from(p))) throw new Error(`plaintext on the wire: ${p}`);
  writeFileSync(out, bytes);
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
