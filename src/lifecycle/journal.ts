/**
 * The one journal format of kafka-csfle: a local file of JSON lines that records the intent of
 * every operation that replaces or deletes key material, before the first destructive call, so a
 * killed process can be resumed.
 *
 * - Line 1 is the header `{"journal":"kafka-csfle","format":1,"op":...,...}`; every other line
 *   is an entry `{"type":...,...}`.
 * - Each append is one `write` of a whole line followed by `fsync`: once {@link Journal.append}
 *   resolves, the line survives a crash or power loss. The file is created atomically (written
 *   to a temporary name, fsync'd, renamed, directory fsync'd).
 * - A last line without its newline is a write the crash interrupted (the step after it never
 *   started): it is dropped when the journal is opened. Anything else malformed is
 *   `JOURNAL_INVALID`.
 * - Entries never hold plaintext key bytes: only identifiers and *wrapped* material. An entry
 *   with a `keyMaterial` field (the registry's name for raw DEK bytes) is refused on write and on
 *   read.
 * - One process at a time: a lock file `<path>.lock` holds the owner's pid; a lock whose process
 *   is gone (killed) is taken over.
 *
 * @packageDocumentation
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CsfleError } from '../errors';

/** Name written in every journal header. */
export const JOURNAL_MAGIC = 'kafka-csfle';
/** Current journal format version. */
export const JOURNAL_FORMAT = 1;

/** The first line of a journal. `op` names the operation (`rewrap`, ...). */
export interface JournalHeader {
  journal: typeof JOURNAL_MAGIC;
  format: typeof JOURNAL_FORMAT;
  op: string;
  /** ISO time the journal was created. */
  createdAt: string;
  [key: string]: unknown;
}

/** Any line after the header (each operation defines its entry types). */
export interface JournalEntry {
  type: string;
}

/** Checks one entry of an operation's journal; returns an error message, or `undefined` if valid. */
export type JournalEntryValidator = (entry: JournalEntry & Readonly<Record<string, unknown>>) => string | undefined;

function invalid(file: string, message: string, line?: number): CsfleError {
  return new CsfleError('JOURNAL_INVALID', `${message} (journal ${file}${line !== undefined ? `, line ${line}` : ''})`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `value` (at any depth) has a `keyMaterial` property: raw key bytes have no place in a journal. */
function holdsRawKeyMaterial(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsRawKeyMaterial);
  if (!isRecord(value)) return false;
  return Object.entries(value).some(([k, v]) => k === 'keyMaterial' || holdsRawKeyMaterial(v));
}

/** Parses and validates a journal's text. Returns the header, the entries and the valid length in bytes. */
export function parseJournal(
  text: string,
  file: string,
  op: string,
  validate: JournalEntryValidator,
): { header: JournalHeader; entries: JournalEntry[]; validLength: number } {
  const lines = text.split('\n');
  // A last piece without '\n' is an interrupted append: nothing after it happened.
  const complete = lines.slice(0, -1);
  if (complete.length === 0) throw invalid(file, 'the journal has no header');
  let header: JournalHeader | undefined;
  const entries: JournalEntry[] = [];
  let validLength = 0;
  complete.forEach((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw invalid(file, 'a line is not JSON', i + 1);
    }
    if (!isRecord(value)) throw invalid(file, 'a line is not a JSON object', i + 1);
    if (holdsRawKeyMaterial(value)) throw invalid(file, 'a line holds raw key material', i + 1);
    if (i === 0) {
      if (value['journal'] !== JOURNAL_MAGIC || value['format'] !== JOURNAL_FORMAT) {
        throw invalid(file, `not a kafka-csfle journal of format ${JOURNAL_FORMAT}`, 1);
      }
      if (value['op'] !== op) throw invalid(file, `the journal is of operation '${String(value['op'])}', not '${op}'`, 1);
      if (typeof value['createdAt'] !== 'string') throw invalid(file, 'the header has no createdAt', 1);
      header = value as JournalHeader;
    } else {
      if (typeof value['type'] !== 'string') throw invalid(file, 'an entry has no type', i + 1);
      const entry = value as JournalEntry & Record<string, unknown>;
      const problem = validate(entry);
      if (problem !== undefined) throw invalid(file, problem, i + 1);
      entries.push(entry);
    }
    validLength += Buffer.byteLength(line, 'utf8') + 1;
  });
  return { header: header!, entries, validLength };
}

/** An open journal: appends are durable when they resolve. Close it to release the lock. */
export class Journal {
  readonly path: string;
  readonly header: JournalHeader;
  /** Entries read when the journal was opened (appends are not added). */
  readonly entries: readonly JournalEntry[];
  readonly #validate: JournalEntryValidator;
  #fd: number | undefined;
  #tail: Promise<void> = Promise.resolve();

  private constructor(file: string, fd: number, header: JournalHeader, entries: JournalEntry[], validate: JournalEntryValidator) {
    this.path = file;
    this.#fd = fd;
    this.header = header;
    this.entries = entries;
    this.#validate = validate;
  }

  /**
   * Opens the journal at `file` for `op`: reads and validates it if it exists, else creates it
   * (atomically) with `header` fields. Takes the lock; throws `JOURNAL_INVALID` when another live
   * process holds it or the file is not a valid journal of `op`.
   */
  static open(file: string, op: string, header: Record<string, unknown>, validate: JournalEntryValidator): Journal {
    const abs = path.resolve(file);
    lock(abs);
    try {
      let text: string | undefined;
      try {
        text = readFileSync(abs, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw invalid(abs, `cannot read the journal (${(err as NodeJS.ErrnoException).code})`);
      }
      if (text === undefined) {
        const head: JournalHeader = { journal: JOURNAL_MAGIC, format: JOURNAL_FORMAT, op, createdAt: new Date().toISOString(), ...header };
        if (holdsRawKeyMaterial(head)) throw invalid(abs, 'a header may not hold raw key material');
        createAtomically(abs, `${JSON.stringify(head)}\n`);
        text = readFileSync(abs, 'utf8');
      }
      const parsed = parseJournal(text, abs, op, validate);
      const fd = openSync(abs, 'r+');
      if (parsed.validLength < Buffer.byteLength(text, 'utf8')) {
        ftruncateSync(fd, parsed.validLength); // drop an interrupted last append
        fsyncSync(fd);
      }
      return new Journal(abs, fd, parsed.header, parsed.entries, validate);
    } catch (err) {
      unlock(abs);
      throw err;
    }
  }

  /** Appends one entry and fsyncs it. Appends are serialized; the promise resolves once durable. */
  append(entry: JournalEntry): Promise<void> {
    const problem = holdsRawKeyMaterial(entry)
      ? 'an entry may not hold raw key material'
      : this.#validate(entry as JournalEntry & Readonly<Record<string, unknown>>);
    if (problem !== undefined) return Promise.reject(invalid(this.path, problem));
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    const next = this.#tail.then(() => {
      if (this.#fd === undefined) throw invalid(this.path, 'the journal is closed');
      const size = fstatSync(this.#fd).size;
      let written = 0;
      while (written < line.length) written += writeSync(this.#fd, line, written, line.length - written, size + written);
      fsyncSync(this.#fd);
    });
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** Waits for pending appends, closes the file and releases the lock. */
  async close(): Promise<void> {
    await this.#tail;
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    unlock(this.path);
  }
}

function createAtomically(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function lock(file: string): void {
  const lockFile = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw invalid(file, `cannot create the lock file (${(err as NodeJS.ErrnoException).code})`);
    }
    const owner = Number.parseInt(safeRead(lockFile), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw invalid(file, `the journal is in use by process ${owner}`);
    }
    try {
      unlinkSync(lockFile); // left behind by a killed process
    } catch {
      /* raced with another taker: try again */
    }
  }
  throw invalid(file, 'cannot take the journal lock');
}

function unlock(file: string): void {
  try {
    unlinkSync(`${file}.lock`);
  } catch {
    /* already gone */
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
