import { describe, it } from 'vitest';
import { InMemoryDekRegistry, InMemorySchemaRegistry } from '../../src/index';
import { dekSoftDeleted, kekSoftDeleted } from '../helpers/soft-delete-scenario';

function world(kekName: string) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  return { schemaRegistry: () => schemaRegistry, dekRegistry: () => dekRegistry, kekName, topic: 'customers' };
}

describe('soft-deleted keys are never revived implicitly (in-memory registry)', () => {
  it('a soft-deleted DEK: DEK_DELETED on produce, still read on consume', () => dekSoftDeleted(world('kek-sd1')));
  it('a soft-deleted KEK: KEK_DELETED on produce, not re-registered, still read on consume', () => kekSoftDeleted(world('kek-sd2')));
});
