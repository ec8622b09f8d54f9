/**
 * Records produced through the real serde against AxonOps for the key export suites: one KEK,
 * three subjects — AES256_GCM, AES256_SIV, and a rotating AES256_GCM subject with two DEK
 * versions (records of both).
 */
import { randomBytes } from 'node:crypto';
import * as avro from 'avsc';
import {
  AvroSerializer,
  DekRegistryClient,
  HttpSchemaSource,
  newKmsClient,
  type DekAlgorithm,
  type SchemaInfo,
} from '../../src/index';
import { customers, SECRET, type Customer } from '../registry/e2e-fixtures';
import { ENCRYPT_RULES } from '../registry/fixtures';
import { uniq } from '../registry/helpers';

export { customers, SECRET, type Customer };
export const KMS = { 'local-kms': { secret: SECRET } };
export const PII_FIELDS = ['name', 'ssn'] as const;

export interface ProducedSubject {
  topic: string;
  subject: string;
  algorithm: DekAlgorithm;
  rotating: boolean;
  info: SchemaInfo;
  /** Framed records and the values they encode, in order. */
  records: { bytes: Buffer; value: Customer }[];
}

export interface Produced {
  url: string;
  kek: string;
  subjects: { gcm: ProducedSubject; siv: ProducedSubject; rot: ProducedSubject };
}

function schemaFor(kek: string, name: string, algorithm: DekAlgorithm, rotating: boolean): SchemaInfo {
  const rules = ENCRYPT_RULES(kek, 'export-key', algorithm);
  if (rotating) rules.domainRules![0]!.params!['encrypt.dek.expiry.days'] = '30';
  return {
    schemaType: 'AVRO',
    schema: JSON.stringify({
      type: 'record',
      name: 'Customer',
      namespace: `export.${kek}.${name}`,
      fields: [
        { name: 'id', type: 'int' },
        { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
        { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
        { name: 'note', type: 'string' },
      ],
    }),
    ruleSet: rules,
  };
}

function serializer(url: string, info: SchemaInfo): AvroSerializer {
  return new AvroSerializer({
    schemaRegistry: new HttpSchemaSource({ url }),
    dekRegistry: new DekRegistryClient({ url }),
    kms: KMS,
    schema: info,
  });
}

/** Registers version `version` of a DEK the way a producer would (a fresh key wrapped by local-kms). */
export async function addDekVersion(url: string, kek: string, subject: string, algorithm: DekAlgorithm, version: number): Promise<void> {
  const size = algorithm === 'AES256_SIV' ? 64 : algorithm === 'AES256_GCM' ? 32 : 16;
  const field = algorithm === 'AES256_SIV' ? 0x12 : 0x1a;
  const proto = Buffer.concat([Buffer.from([field, size]), randomBytes(size)]);
  const kms = await newKmsClient('local-kms', 'export-key', { secret: SECRET });
  const encryptedKeyMaterial = (await kms.wrap(proto)).toString('base64');
  await new DekRegistryClient({ url }).registerDek(kek, { subject, version, algorithm, encryptedKeyMaterial });
}

/** Produces the three subjects' records under a fresh KEK. */
export async function produce(url: string): Promise<Produced> {
  const kek = uniq('export');
  const make = (name: string, algorithm: DekAlgorithm, rotating: boolean): ProducedSubject => {
    const topic = `${kek}-${name}`;
    return { topic, subject: `${topic}-value`, algorithm, rotating, info: schemaFor(kek, name, algorithm, rotating), records: [] };
  };
  const subjects = { gcm: make('gcm', 'AES256_GCM', false), siv: make('siv', 'AES256_SIV', false), rot: make('rot', 'AES256_GCM', true) };
  for (const s of [subjects.gcm, subjects.siv]) {
    const ser = serializer(url, s.info);
    for (const value of customers) s.records.push({ bytes: await ser.serialize(s.topic, value), value });
  }
  // Rotating subject: records under v1, then v2 appears (as after expiry) and a new producer uses it.
  const rot = subjects.rot;
  rot.records.push({ bytes: await serializer(url, rot.info).serialize(rot.topic, customers[0]!), value: customers[0]! });
  await addDekVersion(url, kek, rot.subject, rot.algorithm, 2);
  const ser2 = serializer(url, rot.info);
  for (const value of customers.slice(1)) rot.records.push({ bytes: await ser2.serialize(rot.topic, value), value });
  return { url, kek, subjects };
}

/** Decodes a framed record's Avro body without decrypting: encrypted fields stay ciphertext text. */
export function rawRecord(s: ProducedSubject, bytes: Buffer): Record<string, unknown> {
  const type = avro.Type.forSchema(JSON.parse(s.info.schema) as avro.Schema);
  return type.fromBuffer(bytes.subarray(5)) as Record<string, unknown>;
}

/** DEK version in a rotating subject's field ciphertext (the 5-byte prefix). */
export function fieldDekVersion(ciphertextB64: string): number {
  return Buffer.from(ciphertextB64, 'base64').readInt32BE(1);
}

/** Every key link the produced subjects have. */
export function expectedKeyLinks(p: Produced): string[] {
  const { gcm, siv, rot } = p.subjects;
  return [
    `${p.kek}/${gcm.subject}/AES256_GCM/1`,
    `${p.kek}/${siv.subject}/AES256_SIV/1`,
    `${p.kek}/${rot.subject}/AES256_GCM/1`,
    `${p.kek}/${rot.subject}/AES256_GCM/2`,
  ].sort();
}
