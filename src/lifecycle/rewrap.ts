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
import { timingSafeEqual } from 'node:crypto';
import { CsfleError, DekRegistryError } from '../errors';
import type { RegistryHttpOptions } from '../dek/http-options';
import type { Dek, DekRegistryAdmin, Kek } from '../dek/model';
import type { KmsClient, KmsConfig } from '../kms/driver';
import { newKmsClient } from '../kms/registry';
import { adminRegistry, dekIdKey, listDekIds, type DekId } from './dek-listing';
import { Journal, parseJournal } from './journal';
import { REWRAP_OP, rewrapState, validateRewrapEntry, type RewrapDone, type RewrapIntent } from './rewrap-journal';
import { crashPoint } from './test-hooks';

/** Options of {@link rewrapKek}. */
export interface RewrapKekOptions {
  /**
   * The DEK registry: HTTP settings (a client without cache is made from them), or an admin
   * client — give a `DekRegistryClient` `cacheCapacity: 0` so it reads the registry as it is now.
   */
  dekRegistry: DekRegistryAdmin | RegistryHttpOptions;
  /** Per-kmsType driver config (as the serde's `kms` option); the KEK's kmsProps are merged on top. */
  kms?: Readonly<Record<string, KmsConfig>>;
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

/** Outcome of handling one DEK version. */
type Outcome = 'rewrapped' | 'unchanged' | 'skippedDeleted' | 'restored';

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

/** A failure that left an intent open in the journal. */
class PendingError extends CsfleError {}
/** A failure after which the DEK holds its old material again. */
class RestoredError extends CsfleError {}

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

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The per-DEK steps, shared by a fresh rewrap and a resume. */
class DekRewrapper {
  constructor(
    private readonly registry: DekRegistryAdmin,
    private readonly kms: KmsClient,
    private readonly kekName: string,
    private readonly journal: Journal | undefined,
  ) {}

  /** Rewraps one DEK version (or, in a dry run, checks that it could be). */
  async rewrap(id: DekId, finished: RewrapDone | undefined, includeDeleted: boolean, dryRun: boolean): Promise<Outcome> {
    const dek = await this.read(id);
    if (!dek) return 'unchanged'; // gone since the listing (shredded): nothing to rewrap
    const old = dek.encryptedKeyMaterial;
    if (finished && finished.outcome === 'rewrapped' && old === finished.wrapped) return 'unchanged';
    if (dek.deleted && !includeDeleted) return 'skippedDeleted';
    if (!old) throw this.error('The DEK record has no encryptedKeyMaterial to rewrap', id);
    const oldBytes = Buffer.from(old, 'base64');
    const key = await this.kms.unwrap(oldBytes);
    try {
      const fresh = this.kms.rewrap ? await this.kms.rewrap(oldBytes) : await this.kms.wrap(key);
      await this.checkUnwrapsTo(fresh, key, id);
      const newWrapped = fresh.toString('base64');
      if (newWrapped === old) return 'unchanged';
      if (dryRun || !this.journal) return 'rewrapped';
      const intent: RewrapIntent = { type: 'intent', ...id, deleted: dek.deleted === true, oldWrapped: old, newWrapped, at: new Date().toISOString() };
      await this.journal.append(intent);
      crashPoint('after-journal');
      const done = await this.replace(intent, dek, key).catch((err: unknown) => this.restoreAfter(intent, err));
      return done.outcome;
    } finally {
      key.fill(0);
    }
  }

  /** Finishes the replacement an interrupted run left open (resume). */
  async finish(intent: RewrapIntent): Promise<RewrapDone> {
    let key: Buffer | undefined;
    try {
      key = await this.kms.unwrap(Buffer.from(intent.newWrapped, 'base64'));
    } catch {
      // The new material cannot be unwrapped (any more): put the old one back.
      return this.restore(intent, await this.read(intent));
    }
    try {
      return await this.replace(intent, await this.read(intent), key);
    } finally {
      key.fill(0);
    }
  }

  /**
   * Drives the registry from whatever state it is in (old record live or soft-deleted, no record,
   * new record) to the new record, then verifies it and closes the intent.
   */
  private async replace(intent: RewrapIntent, current: Dek | undefined, key: Buffer): Promise<RewrapDone> {
    let cur = current;
    if (cur && cur.encryptedKeyMaterial === intent.oldWrapped) {
      if (!cur.deleted) {
        await this.registry.deleteDek(this.kekName, intent.subject, { algorithm: intent.algorithm, version: intent.version });
        crashPoint('after-soft-delete');
      }
      await this.registry.deleteDek(this.kekName, intent.subject, { algorithm: intent.algorithm, version: intent.version, permanent: true });
      crashPoint('after-delete');
      cur = undefined;
    }
    if (!cur) {
      cur = await this.create(intent, intent.newWrapped);
      crashPoint('after-create');
    }
    if (cur.encryptedKeyMaterial !== intent.newWrapped) {
      throw new PendingError('REWRAP_FAILED', 'The DEK version was re-created by someone else during the rewrap; the old wrapped material is kept in the journal', {
        ...this.ctx(intent),
      });
    }
    await this.settleDeleted(intent, cur);
    crashPoint('before-verify');
    await this.verify(intent, intent.newWrapped, key);
    return this.close(intent, 'rewrapped', intent.newWrapped);
  }

  /** After a failed replacement: puts the old material back when the record is gone. */
  private async restoreAfter(intent: RewrapIntent, err: unknown): Promise<RewrapDone> {
    if (err instanceof PendingError) throw err;
    const cur = await this.read(intent).catch(() => undefined);
    if (cur && cur.encryptedKeyMaterial === intent.newWrapped) {
      throw new PendingError('REWRAP_FAILED', 'The DEK replacement failed before it was verified; run again with --resume to finish it', {
        ...this.ctx(intent),
        cause: err,
      });
    }
    try {
      await this.restore(intent, cur);
    } catch {
      throw new PendingError('REWRAP_FAILED', 'The DEK replacement failed and the old material could not be put back; run again with --resume', {
        ...this.ctx(intent),
        cause: err,
      });
    }
    throw new RestoredError('REWRAP_FAILED', 'The DEK replacement failed; the old material was put back', { ...this.ctx(intent), cause: err });
  }

  /** Puts the old wrapped material back (no record, or the old one still there). */
  private async restore(intent: RewrapIntent, current: Dek | undefined): Promise<RewrapDone> {
    let cur = current;
    if (!cur) cur = await this.create(intent, intent.oldWrapped);
    if (cur.encryptedKeyMaterial !== intent.oldWrapped) {
      throw new PendingError('REWRAP_FAILED', 'Cannot restore the DEK: the version holds other material', this.ctx(intent));
    }
    await this.settleDeleted(intent, cur);
    await this.verify(intent, intent.oldWrapped, undefined);
    return this.close(intent, 'restored', intent.oldWrapped);
  }

  private async create(intent: RewrapIntent, wrapped: string): Promise<Dek> {
    try {
      return await this.registry.registerDek(this.kekName, {
        subject: intent.subject,
        version: intent.version,
        algorithm: intent.algorithm,
        encryptedKeyMaterial: wrapped,
      });
    } catch (err) {
      if (!(err instanceof DekRegistryError && err.code === 'CONFLICT')) throw err;
      const cur = await this.read(intent);
      if (!cur) throw err;
      return cur;
    }
  }

  /** Gives the record back the soft-deleted state it had before the rewrap. */
  private async settleDeleted(intent: RewrapIntent, cur: Dek): Promise<void> {
    const where = { algorithm: intent.algorithm, version: intent.version };
    if (intent.deleted && !cur.deleted) await this.registry.deleteDek(this.kekName, intent.subject, where);
    if (!intent.deleted && cur.deleted) await this.registry.undeleteDek(this.kekName, intent.subject, where);
  }

  /** Reads the stored record back: same material, same deleted state, and (if known) the same key. */
  private async verify(intent: RewrapIntent, wrapped: string, key: Buffer | undefined): Promise<void> {
    const stored = await this.read(intent);
    if (!stored || stored.encryptedKeyMaterial !== wrapped || (stored.deleted === true) !== intent.deleted) {
      throw new PendingError('REWRAP_FAILED', 'The stored DEK record does not hold the expected material and state', this.ctx(intent));
    }
    if (key) await this.checkUnwrapsTo(Buffer.from(wrapped, 'base64'), key, intent);
  }

  private async checkUnwrapsTo(wrapped: Buffer, key: Buffer, id: DekId): Promise<void> {
    const back = await this.kms.unwrap(wrapped);
    try {
      if (!sameBytes(back, key)) throw this.error('The new wrapped material does not unwrap to the same key', id);
    } finally {
      back.fill(0);
    }
  }

  private async close(intent: RewrapIntent, outcome: RewrapDone['outcome'], wrapped: string): Promise<RewrapDone> {
    const done: RewrapDone = { type: 'done', subject: intent.subject, algorithm: intent.algorithm, version: intent.version, outcome, wrapped, at: new Date().toISOString() };
    await this.journal?.append(done);
    return done;
  }

  private read(id: DekId): Promise<Dek | undefined> {
    return this.registry.getDek(this.kekName, id.subject, { algorithm: id.algorithm, version: id.version, deleted: true });
  }

  private ctx(id: DekId): { kekName: string; subject: string; algorithm: string; dekVersion: number } {
    return { kekName: this.kekName, subject: id.subject, algorithm: id.algorithm, dekVersion: id.version };
  }

  private error(message: string, id: DekId): CsfleError {
    return new CsfleError('REWRAP_FAILED', message, this.ctx(id));
  }
}
