/**
 * The entries of a KEK rewrap journal (see journal.ts for the file format) and how a journal is
 * read back into per-DEK state.
 *
 * - `intent`: written (and fsync'd) after the new wrapped material was verified to unwrap to the
 *   same key bytes and **before** the first destructive call. Holds the old and the new *wrapped*
 *   material and whether the DEK was soft-deleted.
 * - `done`: written after the stored record was verified; `outcome` says whether the DEK now holds
 *   the new material (`rewrapped`) or was put back with its old one (`restored`).
 *
 * @packageDocumentation
 */
import { DEK_ALGORITHMS } from '../dek/model';
import { dekIdKey, type DekId } from './dek-listing';
import type { JournalEntry, JournalEntryValidator } from './journal';

/** Journal operation name of a rewrap. */
export const REWRAP_OP = 'rewrap';

/** Intent to replace one DEK version's wrapped material. */
export interface RewrapIntent extends DekId {
  type: 'intent';
  /** The DEK was soft-deleted before the rewrap (it is soft-deleted again after). */
  deleted: boolean;
  /** Wrapped material before (base64, as stored in the registry). */
  oldWrapped: string;
  /** Wrapped material after (base64), already verified to unwrap to the same key. */
  newWrapped: string;
  at: string;
}

/** End of one DEK's replacement. */
export interface RewrapDone extends DekId {
  type: 'done';
  outcome: 'rewrapped' | 'restored';
  /** Wrapped material now stored (base64). */
  wrapped: string;
  at: string;
}

export type RewrapJournalEntry = RewrapIntent | RewrapDone;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isId(e: Readonly<Record<string, unknown>>): boolean {
  return (
    typeof e['subject'] === 'string' &&
    typeof e['algorithm'] === 'string' &&
    (DEK_ALGORITHMS as readonly string[]).includes(e['algorithm']) &&
    Number.isInteger(e['version']) &&
    (e['version'] as number) >= 1
  );
}

function isWrapped(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && v.length % 4 === 0 && BASE64.test(v);
}

/** Validates one rewrap journal entry. */
export const validateRewrapEntry: JournalEntryValidator = (e) => {
  if (!isId(e)) return 'the entry has no valid subject, algorithm and version';
  if (e.type === 'intent') {
    if (typeof e['deleted'] !== 'boolean') return 'an intent has no deleted flag';
    if (!isWrapped(e['oldWrapped']) || !isWrapped(e['newWrapped'])) return 'an intent has no valid wrapped material';
    return undefined;
  }
  if (e.type === 'done') {
    if (e['outcome'] !== 'rewrapped' && e['outcome'] !== 'restored') return 'a done entry has no valid outcome';
    if (!isWrapped(e['wrapped'])) return 'a done entry has no valid wrapped material';
    return undefined;
  }
  return `unknown entry type '${e.type}'`;
};

/** What a journal says about each DEK: its last intent, and whether that intent was finished. */
export interface RewrapState {
  /** Intents without a `done` after them: replacements a killed run left unfinished. */
  pending: RewrapIntent[];
  /** Finished DEKs by {@link dekIdKey}: the material they were left with. */
  finished: Map<string, RewrapDone>;
}

/** Folds journal entries into per-DEK state (the last entry of each DEK wins). */
export function rewrapState(entries: readonly JournalEntry[]): RewrapState {
  const last = new Map<string, RewrapJournalEntry>();
  for (const e of entries as unknown as readonly RewrapJournalEntry[]) last.set(dekIdKey(e), e);
  const pending: RewrapIntent[] = [];
  const finished = new Map<string, RewrapDone>();
  for (const [key, e] of last) {
    if (e.type === 'intent') pending.push(e);
    else finished.set(key, e);
  }
  return { pending, finished };
}
