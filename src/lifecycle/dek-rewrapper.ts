/**
 * The steps of rewrapping one DEK version (see rewrap.ts): unwrap, wrap again, verify, journal the
 * intent, replace the registry record, verify it, close the intent — and the same steps driven
 * from any intermediate state when an interrupted run is resumed.
 *
 * @packageDocumentation
 */
import { timingSafeEqual } from 'node:crypto';
import { CsfleError, DekRegistryError } from '../errors';
import type { Dek, DekRegistryAdmin } from '../dek/model';
import type { KmsClient } from '../kms/driver';
import type { DekId } from './dek-listing';
import type { Journal } from './journal';
import type { RewrapDone, RewrapIntent } from './rewrap-journal';
import { crashPoint } from './test-hooks';

/** Outcome of handling one DEK version (a report counter). */
export type Outcome = 'rewrapped' | 'unchanged' | 'skippedDeleted' | 'restored';

/** A failure that left an intent open in the journal. */
export class PendingError extends CsfleError {}
/** A failure after which the DEK holds its old material again. */
export class RestoredError extends CsfleError {}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The per-DEK steps, shared by a fresh rewrap and a resume. */
export class DekRewrapper {
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
