/**
 * KEK rewrap: every DEK version under a KEK is unwrapped and wrapped again with the KEK's key as
 * the KMS holds it now (after a KMS-side rotation), and the registry record is replaced.
 *
 * The DEK registry API has no update, so a replacement is: soft delete, permanent delete, create
 * with the new material (and soft delete again for a DEK that was soft-deleted). Crash safety:
 *
 * 1. the new material is verified to unwrap to the same key bytes;
 * 2. an `intent` with the old and the new *wrapped* material is appended to the journal and
 *    fsync'd — before any destructive call;
 * 3. the record is replaced, read back and verified (same material, same deleted state, unwraps
 *    to the same key);
 * 4. `done` is appended.
 *
 * A process killed anywhere is resumed with `resume: true`: each unfinished intent is finished
 * (or, if the new material no longer unwraps, the old one is put back). At every moment one of
 * the registry and the journal holds a wrapped copy of each DEK version.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { CsfleError, DekRegistryError } from '../errors';
import { DekRewrapper, PendingError, RestoredError } from './dek-rewrapper';
import type { RegistryHttpOptions } from '../dek/http-options';
import type { DekRegistryAdmin, Kek } from '../dek/model';
import type { KmsConfig } from '../kms/driver';
import type { KmsOptions } from '../kms/options';
import { newKmsClient } from '../kms/registry';
import { adminRegistry, dekIdKey, listDekIds, type DekId } from './dek-listing';
import { Journal, parseJournal } from './journal';
import { emitAudit, type AuditListener } from '../observe/audit';
import { REWRAP_OP, rewrapState, validateRewrapEntry } from './rewrap-journal';

/** Options of {@link rewrapKek}. */
export interface RewrapKekOptions {
  /**
   * The DEK registry: HTTP settings (a client without cache is made from them), or an admin
   * client — give a `DekRegistryClient` `cacheCapacity: 0` so it reads the registry as it is now.
   */
  dekRegistry: DekRegistryAdmin | RegistryHttpOptions;
  /** Per-kmsType driver config (as the serde's `kms` option); the KEK's kmsProps are merged on top. */
  kms?: KmsOptions;
  kekName: string;
  /** Journal file (default `kafka-csfle-rewrap-<kekName>.journal` in the working directory). */
  journalPath?: string;
  /** Finish the replacements a killed run left in the journal, then go on. */
  resume?: boolean;
  /** Unwrap, wrap and verify every DEK, but change nothing (no journal is written). */
  dryRun?: boolean;
  /** Rewrap soft-deleted DEK versions too (they stay soft-deleted). Default false. */
  includeDeleted?: boolean;
  /** DEKs handled at once (default 1). */
  concurrency?: number;
  /** Progress callback (the CLI prints it on stderr). */
  onProgress?: (progress: RewrapProgress) => void;
  /** Receives a `kek.rewrapped` audit event per DEK version rewrapped (not on a dry run). */
  onAudit?: AuditListener;
}

/** A progress report of {@link rewrapKek}. */
export interface RewrapProgress {
  phase: 'resuming' | 'listing' | 'rewrapping' | 'done';
  /** DEK versions handled so far in this phase. */
  done: number;
  /** DEK versions to handle in this phase. */
  total: number;
}

/** A DEK version that could not be rewrapped. */
export interface RewrapFailure extends DekId {
  code: string;
  message: string;
  /** True: its intent is still open in the journal — run again with `resume`. */
  pending: boolean;
}

/** The result of {@link rewrapKek} (the CLI prints it as JSON). */
export interface RewrapReport {
  kekName: string;
  kmsType: string;
  kmsKeyId: string;
  dryRun: boolean;
  /** Absolute journal path (absent on a dry run). */
  journalPath?: string;
  /** DEK versions found under the KEK. */
  total: number;
  /** DEK versions now holding new material (in a dry run: that would be rewrapped). */
  rewrapped: number;
  /** DEK versions this journal already rewrapped (a second run changes nothing). */
  unchanged: number;
  /** Soft-deleted DEK versions left as they are (without `includeDeleted`). */
  skippedDeleted: number;
  /** Unfinished replacements of a killed run that this run finished or restored. */
  resumed: number;
  /** DEK versions put back with their old material after a failed replacement. */
  restored: number;
  failed: number;
  failures: RewrapFailure[];
  durationMs: number;
}


/**
 * Rewraps every DEK version under `kekName` with the KEK's current KMS key (see the module doc).
 * Resolves with a report; per-DEK failures are in `failures`. Rejects (before changing anything)
 * when the KEK is missing or soft-deleted, the journal is invalid or locked, or it holds
 * unfinished work and `resume` is not set.
 */
export async function rewrapKek(options: RewrapKekOptions): Promise<RewrapReport> {
  const started = Date.now();
  const registry = adminRegistry(options.dekRegistry);
  const { kekName } = options;
  const kek = await liveKek(registry, kekName);
  const kms = await newKmsClient(kek.kmsType, kek.kmsKeyId, options.kms?.[kek.kmsType] ?? {}, kek.kmsProps);
  const journalPath = options.journalPath ?? `kafka-csfle-rewrap-${kekName.replace(/[^A-Za-z0-9_-]/g, '_')}.journal`;
  const dryRun = options.dryRun === true;
  const report: RewrapReport = {
    kekName,
    kmsType: kek.kmsType,
    kmsKeyId: kek.kmsKeyId,
    dryRun,
    total: 0,
    rewrapped: 0,
    unchanged: 0,
    skippedDeleted: 0,
    resumed: 0,
    restored: 0,
    failed: 0,
    failures: [],
    durationMs: 0,
  };
  const progress = options.onProgress ?? (() => undefined);

  let journal: Journal | undefined;
  let entries;
  if (dryRun) {
    entries = existsSync(journalPath) ? parseJournal(readFileSync(journalPath, 'utf8'), journalPath, REWRAP_OP, validateRewrapEntry).entries : [];
  } else {
    if (options.resume && !existsSync(journalPath)) {
      throw new CsfleError('JOURNAL_INVALID', `Nothing to resume: no journal at ${journalPath}`, { kekName });
    }
    journal = Journal.open(journalPath, REWRAP_OP, { kekName, kmsType: kek.kmsType, kmsKeyId: kek.kmsKeyId }, validateRewrapEntry);
    report.journalPath = journal.path;
    entries = journal.entries;
  }
  try {
    if (journal && journal.header['kekName'] !== kekName) {
      throw new CsfleError('JOURNAL_INVALID', `The journal ${journal.path} belongs to KEK '${String(journal.header['kekName'])}'`, { kekName });
    }
    const state = rewrapState(entries);
    const rewrapper = new DekRewrapper(registry, kms, kekName, journal);
    if (state.pending.length > 0) {
      if (!options.resume || !journal) {
        throw new CsfleError(
          'REWRAP_FAILED',
          `The journal ${journalPath} holds ${state.pending.length} unfinished DEK replacement(s) of an interrupted run: run again with --resume (resume: true)`,
          { kekName },
        );
      }
      let done = 0;
      progress({ phase: 'resuming', done, total: state.pending.length });
      for (const intent of state.pending) {
        try {
          const finished = await rewrapper.finish(intent);
          state.finished.set(dekIdKey(intent), finished);
          report.resumed++;
          if (finished.outcome === 'restored') report.restored++;
        } catch (err) {
          recordFailure(report, intent, err, true);
        }
        progress({ phase: 'resuming', done: ++done, total: state.pending.length });
      }
    }

    progress({ phase: 'listing', done: 0, total: 0 });
    const ids = await listDekIds(registry, kekName, { deleted: true });
    report.total = ids.length;
    let done = 0;
    progress({ phase: 'rewrapping', done, total: ids.length });
    const failedKeys = new Set(report.failures.map(dekIdKey));
    await forEachConcurrently(ids, options.concurrency ?? 1, async (id) => {
      if (failedKeys.has(dekIdKey(id))) return; // left pending above
      try {
        const outcome = await rewrapper.rewrap(id, state.finished.get(dekIdKey(id)), options.includeDeleted === true, dryRun);
        report[outcome]++;
        if (outcome === 'rewrapped' && !dryRun) {
          emitAudit(options.onAudit, { type: 'kek.rewrapped', kekName, subject: id.subject, algorithm: id.algorithm, dekVersion: id.version, kmsType: kek.kmsType, kmsKeyId: kek.kmsKeyId });
        }
      } catch (err) {
        if (err instanceof RestoredError) report.restored++;
        recordFailure(report, id, err, err instanceof PendingError);
      }
      progress({ phase: 'rewrapping', done: ++done, total: ids.length });
    });
    progress({ phase: 'done', done, total: ids.length });
  } finally {
    await journal?.close();
  }
  report.durationMs = Date.now() - started;
  return report;
}


function recordFailure(report: RewrapReport, id: DekId, err: unknown, pending: boolean): void {
  const e = err;
  report.failed++;
  report.failures.push({
    subject: id.subject,
    algorithm: id.algorithm,
    version: id.version,
    code: e instanceof CsfleError ? e.code : 'REWRAP_FAILED',
    message: e instanceof CsfleError ? e.message : 'unexpected error',
    pending,
  });
}

async function liveKek(registry: DekRegistryAdmin, kekName: string): Promise<Kek> {
  const kek = await registry.getKek(kekName);
  if (kek) return kek;
  const deleted = await registry.getKek(kekName, { deleted: true });
  if (deleted) {
    throw new DekRegistryError('KEK_DELETED', 'The KEK is soft-deleted: undelete it before a rewrap (no DEK can be created under it)', { kekName });
  }
  throw new DekRegistryError('KEK_NOT_FOUND', 'No KEK with this name', { kekName });
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
