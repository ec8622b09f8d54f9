/**
 * `kafka-csfle inspect` against real AxonOps: a record from kafka-csfle (hex argument) and one from
 * Confluent's JS client (base64 on stdin, and raw bytes), no key given to the command.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AvroSerializer, type RecordInspection } from '../../src/index';
import { customer, customerSchema } from '../helpers/fixtures';
import { runCli, type CliOutput } from '../helpers/run-cli';
import { ConfluentSide, encryptRuleSet, schemaInfo, SECRET } from '../interop/helpers';
import { requireEnv, uniq } from '../registry/helpers';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

function cli(argv: string[], stdin?: Buffer): Promise<CliOutput> {
  return runCli(argv, { env: { SCHEMA_REGISTRY_URL: url }, ...(stdin ? { readStdin: async () => stdin } : {}) });
}

describe('kafka-csfle inspect', () => {
  it('a kafka-csfle record (hex) and a Confluent JS client record (base64 / raw on stdin)', async () => {
    const topic = uniq('inspect');
    const kekName = uniq('inspectkek');
    const ruleSet = encryptRuleSet('AES256_GCM', { 'encrypt.kek.name': kekName, 'encrypt.dek.expiry.days': '10' });
    const info = schemaInfo(customerSchema, ruleSet);
    const ours = new AvroSerializer({ schemaRegistry: { url }, dekRegistry: { url }, kms: { 'local-kms': { secret: SECRET } }, schema: info });
    const bytes = await ours.serialize(topic, customer);
    const id = await ours.schemaId(topic);

    const r1 = await cli(['inspect', bytes.toString('hex'), '--topic', topic]);
    expect(r1.code, r1.err).toBe(0);
    const a = JSON.parse(r1.out) as RecordInspection;
    expect(a).toMatchObject({ framing: 'schema-id', schemaId: id, subject: `${topic}-value`, writerSchema: 'com.acme.Customer', decoded: true });
    expect(a.fields.map((f) => [f.path, f.state, f.dekVersion])).toEqual(
      ['name', 'email', 'ssn'].map((n) => [`com.acme.Customer.${n}`, 'ciphertext', 1]),
    );
    expect(a.dekVersions).toEqual([{ kekName, algorithm: 'AES256_GCM', version: 1 }]);
    for (const v of [customer.name, customer.email, customer.ssn]) expect(r1.out).not.toContain(v);

    // Confluent's serializer, its mock registry forced to the id AxonOps gave the same schema.
    const confluent = new ConfluentSide();
    await confluent.register(`${topic}-value`, info, id);
    const theirs = await confluent.serialize(confluent.serializer(), topic, customer);
    for (const input of [Buffer.from(theirs.toString('base64')), theirs]) {
      const r2 = await cli(['inspect', '--subject', `${topic}-value`], input);
      expect(r2.code, r2.err).toBe(0);
      const b = JSON.parse(r2.out) as RecordInspection;
      expect(b).toMatchObject({ schemaId: id, subject: `${topic}-value` });
      expect(b.fields.map((f) => [f.state, f.dekVersion])).toEqual(Array(3).fill(['ciphertext', 1]));
    }
  });

  it('usage errors: neither --topic nor --subject, bad hex (exit 2)', async () => {
    expect((await cli(['inspect', '00000000'])).code).toBe(2);
    expect((await cli(['inspect', 'zz', '--topic', 't', '--encoding', 'hex'])).code).toBe(2);
  });
});
