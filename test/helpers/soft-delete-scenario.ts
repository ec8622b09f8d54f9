/**
 * The soft-delete scenarios, run against any DEK registry (in memory, AxonOps): a producer never
 * revives a soft-deleted KEK or DEK; consumers keep reading records whose keys are soft-deleted.
 */
import { expect } from 'vitest';
import { AvroDeserializer, AvroSerializer, type DekRegistryAdmin, type SchemaSource } from '../../src/index';
import { customer, customerSchema, encryptRuleSet, SECRET } from './fixtures';
import { csfleRejection as failure } from './csfle-rejection';

const kms = { 'local-kms': { secret: SECRET } };

export interface SoftDeleteWorld {
  schemaRegistry: () => SchemaSource;
  dekRegistry: () => DekRegistryAdmin;
  kekName: string;
  topic: string;
}

function serdes(w: SoftDeleteWorld) {
  const ruleSet = encryptRuleSet({ 'encrypt.kek.name': w.kekName, 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'soft-delete-key' });
  const schema = { schema: JSON.stringify(customerSchema), ruleSet };
  return {
    producer: () => new AvroSerializer({ schemaRegistry: w.schemaRegistry(), dekRegistry: w.dekRegistry(), kms, schema, keyRing: { failureTtlMs: 0, latestTtlMs: 0 } }),
    consumer: () => new AvroDeserializer({ schemaRegistry: w.schemaRegistry(), dekRegistry: w.dekRegistry(), kms }),
  };
}

/** DEK soft-deleted: DEK_DELETED for producers (fresh or running), readable by consumers; undelete restores. */
export async function dekSoftDeleted(w: SoftDeleteWorld): Promise<void> {
  const { producer, consumer } = serdes(w);
  const subject = `${w.topic}-value`;
  const running = producer();
  const bytes = await running.serialize(w.topic, customer);
  const admin = w.dekRegistry();
  await admin.deleteDek(w.kekName, subject);

  const err = await failure(producer().serialize(w.topic, customer));
  expect(err.code).toBe('DEK_DELETED');
  expect(err.message).toContain(`kafka-csfle dek undelete ${w.kekName} ${subject} --version 1`);
  expect(err.context).toMatchObject({ kekName: w.kekName, subject, dekVersion: 1 });
  // A running producer notices at its next "latest" check (latestTtlMs 0 here) and fails too.
  expect((await failure(running.serialize(w.topic, customer))).code).toBe('DEK_DELETED');
  // Nothing was revived or created.
  expect(await admin.getDek(w.kekName, subject, { deleted: false })).toBeUndefined();
  expect(await admin.listDekVersions(w.kekName, subject, { deleted: true })).toEqual([1]);
  // Consumers (fresh ones included) still read.
  expect(await consumer().deserialize(w.topic, bytes)).toEqual(customer);

  await admin.undeleteDek(w.kekName, subject, { version: 1 });
  const again = await producer().serialize(w.topic, customer);
  expect(await consumer().deserialize(w.topic, again)).toEqual(customer);
}

/** KEK (and its DEKs) soft-deleted: KEK_DELETED for a fresh producer, the KEK is not re-registered. */
export async function kekSoftDeleted(w: SoftDeleteWorld): Promise<void> {
  const { producer, consumer } = serdes(w);
  const subject = `${w.topic}-value`;
  const bytes = await producer().serialize(w.topic, customer);
  const admin = w.dekRegistry();
  await admin.deleteDek(w.kekName, subject);
  await admin.deleteKek(w.kekName);

  const err = await failure(producer().serialize(w.topic, customer));
  expect(err.code).toBe('KEK_DELETED');
  expect(err.message).toContain(`kafka-csfle kek undelete ${w.kekName}`);
  expect(err.message).toContain(`kafka-csfle dek undelete ${w.kekName} ${subject} --version N`);
  expect(err.context).toMatchObject({ kekName: w.kekName, subject });
  expect(await admin.getKek(w.kekName, { deleted: false })).toBeUndefined(); // not revived
  expect(await consumer().deserialize(w.topic, bytes)).toEqual(customer);

  await admin.undeleteKek(w.kekName);
  expect((await failure(producer().serialize(w.topic, customer))).code).toBe('DEK_DELETED');
  await admin.undeleteDek(w.kekName, subject, { version: 1 });
  expect(await consumer().deserialize(w.topic, await producer().serialize(w.topic, customer))).toEqual(customer);
}
