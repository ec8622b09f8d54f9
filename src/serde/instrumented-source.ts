/**
 * A {@link SchemaSource} that counts and times each call for the `csfle.registry.*` metrics
 * (operation `get_schema_by_id`, `register_schema`, ...). The serde asks its source once per
 * schema and subject, so this is never on the per-record path.
 *
 * @packageDocumentation
 */
import { outcomeOf, secondsSince, type CsfleMetrics } from '../observe/metrics';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';

async function timed<T>(metrics: CsfleMetrics, operation: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const out = await call();
    metrics.registryCall(operation, 'success', secondsSince(started));
    return out;
  } catch (err) {
    metrics.registryCall(operation, outcomeOf(err), secondsSince(started));
    throw err;
  }
}

/** `source` with every call counted in `metrics` (optional methods stay optional). */
export function instrumentedSchemaSource(source: SchemaSource, metrics: CsfleMetrics): SchemaSource {
  const out: SchemaSource = {
    register: (subject: string, info: SchemaInfo) => timed(metrics, 'register_schema', () => source.register(subject, info)),
    getById: (id: number, subject?: string) => timed(metrics, 'get_schema_by_id', () => source.getById(id, subject)),
    getLatest: (subject: string) => timed(metrics, 'get_latest_schema', () => source.getLatest(subject)),
    getByVersion: (subject: string, version: number) => timed(metrics, 'get_schema_by_version', () => source.getByVersion(subject, version)),
  };
  if (source.lookup) {
    const lookup = source.lookup.bind(source);
    out.lookup = (subject: string, info: SchemaInfo): Promise<RegisteredSchema | undefined> => timed(metrics, 'lookup_schema', () => lookup(subject, info));
  }
  if (source.getByGuid) {
    const getByGuid = source.getByGuid.bind(source);
    out.getByGuid = (guid: string, subject?: string) => timed(metrics, 'get_schema_by_guid', () => getByGuid(guid, subject));
  }
  return out;
}
