/**
 * The incremental-export checkpoint, kept in the sink, shared by every exporter on it.
 *
 * Protocol (correct for any number of concurrent exporters and any crash point; it relies only on
 * the sink's atomic exclusive create and on export files never changing once written):
 *
 * 1. An exporter **claims** a key by creating `.kafka-csfle-export/claims/<keyLink>.json`
 *    exclusively; the claim names the file the key is meant for, `F`. Claims never change.
 * 2. Files are written only by exclusive create. A key's home is found by walking the chain
 *    `F`, `next(F)`, `next(next(F))`, …: the first file in it that contains the key is where
 *    the key was exported (**done**); the first file that does not exist yet is where it is
 *    still to be written (**pending**).
 * 3. To write pending keys at `X`: create `X` exclusively with their lines. If `X` already
 *    exists (another exporter recovered it, or chose the same name), keys found in it are done
 *    and the others move on to `next(X)`.
 *
 * A key is thus written at most once (a writer only adds a key to `X` when `X` did not exist,
 * and moves it on only when `X` exists without it). A claim left pending by a crashed exporter is
 * finished by any exporter once it is older than the claim timeout; the timeout affects only how
 * soon that happens, never correctness (an early recovery races the owner harmlessly).
 *
 * @packageDocumentation
 */
import type { ExportSink } from './sink';

/** Folder of the checkpoint inside the sink. */
export const CHECKPOINT_DIR = '.kafka-csfle-export';
const CLAIMS = `${CHECKPOINT_DIR}/claims/`;

/** Export file name: `<UTC ISO-8601 basic time>-keys-<n>.jsonl`, n = 1, 2, … along a chain. */
export function exportFileName(timeMs: number, n = 1): string {
  const iso = new Date(timeMs).toISOString().replace(/[-:]/g, '');
  return `${iso}-keys-${n}.jsonl`;
}

/** True for an export file name (at the sink root). */
export function isExportFileName(name: string): boolean {
  return /^\d{8}T\d{6}\.\d{3}Z-keys-\d+\.jsonl$/.test(name);
}

/** The next file in a chain: same time, n + 1. */
export function nextFileName(name: string): string {
  const m = /^(.*-keys-)(\d+)\.jsonl$/.exec(name);
  if (!m) throw new Error(`not an export file name: ${name}`);
  return `${m[1]}${Number(m[2]) + 1}.jsonl`;
}

function claimName(keyLink: string): string {
  return `${CLAIMS}${encodeURIComponent(keyLink)}.json`;
}

/** The state of a claimed key. */
export type ClaimState = { state: 'done'; file: string } | { state: 'pending'; at: string; claimAgeMs: number };

/** One exporter's view of the checkpoint; caches what never changes (files, claims). */
export class Checkpoint {
  readonly #sink: ExportSink;
  /** File name → key links in it (export files never change once written). */
  readonly #files = new Map<string, Set<string>>();
  /** Key link → its original file (claims never change). */
  readonly #claims = new Map<string, string>();
  readonly #done = new Set<string>();

  constructor(sink: ExportSink) {
    this.#sink = sink;
  }

  /** Every claimed key link, with the claim's age. */
  async claimed(now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const e of await this.#sink.list(CLAIMS)) {
      if (!e.name.endsWith('.json')) continue;
      try {
        out.set(decodeURIComponent(e.name.slice(CLAIMS.length, -'.json'.length)), Math.max(0, now - e.modifiedMs));
      } catch {
        // a foreign object in the claims folder: not ours
      }
    }
    return out;
  }

  /** Claims a key for file `file`; `false` when it was claimed before (by anyone). */
  async claim(keyLink: string, file: string, now: number): Promise<boolean> {
    const ok = await this.#sink.createExclusive(
      claimName(keyLink),
      `${JSON.stringify({ keyLink, file, claimedAt: new Date(now).toISOString() })}\n`,
    );
    if (ok) this.#claims.set(keyLink, file);
    return ok;
  }

  /** Key links in an export file, or `undefined` when it does not exist (yet). */
  async #contents(file: string): Promise<Set<string> | undefined> {
    const cached = this.#files.get(file);
    if (cached) return cached;
    const text = await this.#sink.read(file);
    if (text === undefined) return undefined;
    const links = new Set<string>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const v = JSON.parse(line) as { keyLink?: unknown };
        if (typeof v.keyLink === 'string') links.add(v.keyLink);
      } catch {
        // a torn or foreign line names no key
      }
    }
    this.#files.set(file, links);
    return links;
  }

  /** Where a claimed key stands: done (in which file) or pending (at which file). */
  async state(keyLink: string, claimAgeMs: number): Promise<ClaimState> {
    let file = this.#claims.get(keyLink);
    if (file === undefined) {
      const text = await this.#sink.read(claimName(keyLink));
      let v: { file?: unknown } | undefined;
      try {
        v = text === undefined ? undefined : (JSON.parse(text) as { file?: unknown });
      } catch {
        v = undefined;
      }
      if (typeof v?.file !== 'string' || !isExportFileName(v.file)) {
        // Unreadable claim: treat the key as pending at a file nobody will write early.
        return { state: 'pending', at: exportFileName(0), claimAgeMs: 0 };
      }
      file = v.file;
      this.#claims.set(keyLink, file);
    }
    for (;;) {
      const links = await this.#contents(file);
      if (links === undefined) return { state: 'pending', at: file, claimAgeMs };
      if (links.has(keyLink)) {
        this.#done.add(keyLink);
        return { state: 'done', file };
      }
      file = nextFileName(file);
    }
  }

  /** True when this exporter already saw the key exported. */
  isDone(keyLink: string): boolean {
    return this.#done.has(keyLink);
  }

  /**
   * Writes pending keys whose chain ends at `file`. Resolves the files written (by this call);
   * keys another exporter wrote first are left out.
   *
   * @param lines - key link → JSON line (without newline).
   */
  async writePending(file: string, lines: ReadonlyMap<string, string>): Promise<{ file: string; keyLinks: string[] }[]> {
    const written: { file: string; keyLinks: string[] }[] = [];
    let left = new Map(lines);
    let at = file;
    while (left.size > 0) {
      const body = `${[...left.values()].join('\n')}\n`;
      if (await this.#sink.createExclusive(at, body)) {
        this.#files.set(at, new Set(left.keys()));
        for (const k of left.keys()) this.#done.add(k);
        written.push({ file: at, keyLinks: [...left.keys()] });
        return written;
      }
      const there = await this.#contents(at);
      const next = new Map<string, string>();
      for (const [k, v] of left) {
        if (there?.has(k)) this.#done.add(k);
        else next.set(k, v);
      }
      left = next;
      at = nextFileName(at);
    }
    return written;
  }
}
