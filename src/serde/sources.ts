/**
 * Resolves the `schemaRegistry` and `dekRegistry` serde options into instances.
 *
 * @packageDocumentation
 */
import type { DekRegistry } from '../dek/model';
import { DekRegistryClient } from '../dek/rest-client';
import { SerdeError } from '../errors';
import type { SerdeOptions } from './options';
import { HttpSchemaSource } from './http-schema-source';
import { KafkajsSchemaSource } from './kafkajs-schema-source';
import type { SchemaSource } from './schema-source';

function isSchemaSource(x: unknown): x is SchemaSource {
  const o = x as Record<string, unknown>;
  return !!o && typeof o['getById'] === 'function' && typeof o['register'] === 'function' && typeof o['getLatest'] === 'function';
}

function isDekRegistry(x: unknown): x is DekRegistry {
  const o = x as Record<string, unknown>;
  return !!o && typeof o['getKek'] === 'function' && typeof o['getDek'] === 'function' && typeof o['registerDek'] === 'function';
}

/** A {@link SchemaSource} from the `schemaRegistry` option. */
export function resolveSchemaSource(option: SerdeOptions['schemaRegistry']): SchemaSource {
  if (isSchemaSource(option)) return option;
  const o = option as unknown as Record<string, unknown>;
  if (o && typeof o === 'object' && 'api' in o) {
    return new KafkajsSchemaSource(option as never);
  }
  if (o && typeof o === 'object' && 'url' in o) {
    return new HttpSchemaSource(option as never);
  }
  throw new SerdeError(
    'SERIALIZATION_FAILED',
    'schemaRegistry must be a SchemaSource (e.g. InMemorySchemaRegistry), an @kafkajs/confluent-schema-registry SchemaRegistry, or { url }',
  );
}

/** A {@link DekRegistry} from the `dekRegistry` option. */
export function resolveDekRegistry(option: SerdeOptions['dekRegistry']): DekRegistry {
  if (isDekRegistry(option)) return option;
  const o = option as unknown as Record<string, unknown>;
  if (o && typeof o === 'object' && 'url' in o) {
    return new DekRegistryClient(option as never);
  }
  throw new SerdeError('SERIALIZATION_FAILED', 'dekRegistry must be a DekRegistry (e.g. InMemoryDekRegistry) or { url }');
}
