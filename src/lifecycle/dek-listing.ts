/**
 * Enumerates the DEK versions under a KEK (all subjects and algorithms, or a filtered part), for
 * the key lifecycle operations.
 *
 * @packageDocumentation
 */
import { DekRegistryClient } from '../dek/rest-client';
import { DEK_ALGORITHMS, type DekAlgorithm, type DekRegistryAdmin } from '../dek/model';
import type { RegistryHttpOptions } from '../dek/http-options';

/** One DEK version's identity under a KEK. */
export interface DekId {
  subject: string;
  algorithm: DekAlgorithm;
  version: number;
}

/** Filters of {@link listDekIds}. */
export interface DekIdFilter {
  subject?: string;
  /** Only these subjects (ignored when `subject` is set; empty or absent = every subject). */
  subjects?: readonly string[];
  algorithm?: DekAlgorithm;
  version?: number;
  /** Include soft-deleted DEKs (default false). */
  deleted?: boolean;
}

/** The DEK versions under `kekName` matching `filter`, by subject, then algorithm, then version. */
export async function listDekIds(registry: DekRegistryAdmin, kekName: string, filter: DekIdFilter = {}): Promise<DekId[]> {
  const deleted = filter.deleted ?? false;
  const subjects =
    filter.subject !== undefined
      ? [filter.subject]
      : filter.subjects?.length
        ? [...filter.subjects]
        : await registry.listDekSubjects(kekName, { deleted });
  const algorithms = filter.algorithm !== undefined ? [filter.algorithm] : DEK_ALGORITHMS;
  const ids: DekId[] = [];
  for (const subject of subjects) {
    for (const algorithm of algorithms) {
      const versions = await registry.listDekVersions(kekName, subject, { algorithm, deleted });
      for (const version of versions) {
        if (filter.version === undefined || filter.version === version) ids.push({ subject, algorithm, version });
      }
    }
  }
  return ids;
}

/** Canonical string of a DEK id (map keys, journal matching). */
export function dekIdKey(id: DekId): string {
  return `${id.subject}\u0000${id.algorithm}\u0000${id.version}`;
}

/**
 * The admin registry to use: an instance as is, or HTTP settings turned into a client **without
 * cache** (lifecycle operations must see the registry as it is now).
 */
export function adminRegistry(registry: DekRegistryAdmin | RegistryHttpOptions): DekRegistryAdmin {
  return 'listDekSubjects' in registry ? registry : new DekRegistryClient({ ...registry, cacheCapacity: 0 });
}
