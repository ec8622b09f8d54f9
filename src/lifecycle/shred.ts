/**
 * Crypto-shredding: destroys DEK versions in the DEK registry (soft delete, then permanent
 * delete), so the data they encrypted can no longer be decrypted by anyone who reads keys from
 * the registry.
 *
 * Idempotent and safe to re-run after a crash: a version left soft-deleted by a killed run is
 * permanently deleted by the next one. Nothing is journaled on purpose: a journal holding the
 * wrapped material would undo the shredding.
 *
 * @packageDocumentation
 */
import { DekRegistryError } from '../errors';
import type { RegistryHttpOptions } from '../dek/http-options';
import type { DekAlgorithm, DekRegistryAdmin } from '../dek/model';
import { emitAudit, type AuditListener } from '../observe/audit';
import { adminRegistry, listDekIds, type DekId } from './dek-listing';

/** Options of {@link shredDeks}. */
export interface ShredDeksOptions {
  /** The DEK registry (an admin client or HTTP settings; settings get a client without cache). */
  dekRegistry: DekRegistryAdmin | RegistryHttpOptions;
  kekName: string;
  subject: string;
  /** Only this DEK version (default: every version). */
  version?: number;
  /** Only this algorithm (default: every algorithm). */
  algorithm?: DekAlgorithm;
  /** Receives a `dek.shredded` audit event per DEK version destroyed. */
  onAudit?: AuditListener;
}

/** What {@link shredDeks} destroyed. */
export interface ShredReport {
  kekName: string;
  subject: string;
  /** DEK versions permanently deleted. */
  destroyed: DekId[];
}

/**
 * Soft-deletes, then permanently deletes the matching DEK versions under `kekName` for
 * `subject`. Rejects with `DEK_NOT_FOUND` when none matches (nothing to shred).
 *
 * Records encrypted with them become unreadable for every new reader: `DEK_NOT_FOUND` with
 * `onFailure: ERROR`, the ciphertext as is with `NONE`. A reader that already holds the
 * unwrapped key keeps it until its key ring drops it (`keyRing.maxKeyAgeMs`). Copies outside the
 * registry (backups, rewrap journals, key exports, the registry's own log or topic before
 * compaction) still hold wrapped copies: see docs/key-lifecycle.md.
 */
export async function shredDeks(options: ShredDeksOptions): Promise<ShredReport> {
  const registry = adminRegistry(options.dekRegistry);
  const { kekName, subject, version, algorithm } = options;
  const ids = await listDekIds(registry, kekName, {
    subject,
    deleted: true,
    ...(version !== undefined ? { version } : {}),
    ...(algorithm !== undefined ? { algorithm } : {}),
  });
  if (ids.length === 0) {
    throw new DekRegistryError('DEK_NOT_FOUND', 'No DEK version matches: nothing to shred', {
      kekName,
      subject,
      ...(version !== undefined ? { dekVersion: version } : {}),
      ...(algorithm !== undefined ? { algorithm } : {}),
    });
  }
  const destroyed: DekId[] = [];
  for (const id of ids) {
    const where = { algorithm: id.algorithm, version: id.version };
    const dek = await registry.getDek(kekName, subject, { ...where, deleted: true });
    if (!dek) continue; // destroyed meanwhile
    if (!dek.deleted) await registry.deleteDek(kekName, subject, where);
    await registry.deleteDek(kekName, subject, { ...where, permanent: true });
    if (await registry.getDek(kekName, subject, { ...where, deleted: true })) {
      throw new DekRegistryError('REGISTRY_ERROR', 'The registry still returns the DEK version after its permanent deletion', {
        kekName,
        subject,
        algorithm: id.algorithm,
        dekVersion: id.version,
      });
    }
    destroyed.push(id);
    emitAudit(options.onAudit, { type: 'dek.shredded', kekName, subject, algorithm: id.algorithm, dekVersion: id.version });
  }
  return { kekName, subject, destroyed };
}
