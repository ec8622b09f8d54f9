/**
 * Soft-deleted keys against real AxonOps: a producer never revives a soft-deleted KEK or DEK
 * (KEK_DELETED / DEK_DELETED naming the undelete command); consumers keep reading.
 */
import { beforeAll, describe, it } from 'vitest';
import { DekRegistryClient, HttpSchemaSource } from '../../src/index';
import { dekSoftDeleted, kekSoftDeleted } from '../helpers/soft-delete-scenario';
import { requireEnv, uniq } from './helpers';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

function world(prefix: string) {
  return {
    schemaRegistry: () => new HttpSchemaSource({ url }),
    dekRegistry: () => new DekRegistryClient({ url }),
    kekName: uniq(`${prefix}_kek`),
    topic: uniq(`${prefix}_topic`),
  };
}

describe('soft-deleted keys are never revived implicitly (AxonOps)', () => {
  it('a soft-deleted DEK: DEK_DELETED on produce, still read on consume', () => dekSoftDeleted(world('sd_dek')));
  it('a soft-deleted KEK: KEK_DELETED on produce, not re-registered, still read on consume', () => kekSoftDeleted(world('sd_kek')));
});
