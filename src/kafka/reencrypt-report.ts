/**
 * What a re-encryption job reports: progress while it runs (at most once per interval) and a
 * final report. Counters are plain integers updated once per committed transaction.
 *
 * @packageDocumentation
 */

/** Progress of a running re-encryption, as seen by this process. */
export interface ReencryptProgress {
  /** Milliseconds since the job started. */
  elapsedMs: number;
  /** Records copied (committed) so far by this process. */
  copied: number;
  /** Records copied unchanged to the dead-letter topic so far by this process. */
  deadLettered: number;
  /** Records per second over the last interval. */
  recordsPerSecond: number;
  /** Records left to copy, by source partition owned by this process (from the last fetch). */
  lag: Record<number, number>;
  /** Sum of {@link lag}. */
  totalLag: number;
  /** Seconds left at the current rate; `undefined` while nothing is copied yet. */
  etaSeconds: number | undefined;
}

/** The final report of {@link reencryptTopic} (this process's share of the work). */
export interface ReencryptReport {
  from: string;
  to: string;
  group: string;
  /** Records written to the target (tombstones included). */
  copied: number;
  /** Tombstones among {@link copied}. */
  tombstones: number;
  /** Records copied unchanged to the dead-letter topic. */
  deadLettered: number;
  /** Records by the DEK version their value was encrypted with in the source (`none`: no encrypted field). */
  bySourceDekVersion: Record<string, number>;
  /** Records by the DEK version their value is encrypted with in the target. */
  byTargetDekVersion: Record<string, number>;
  /** Records copied, by source partition. */
  byPartition: Record<string, number>;
  /** Kafka transactions committed. */
  transactions: number;
  elapsedMs: number;
  /** {@link copied} / elapsed seconds. */
  recordsPerSecond: number;
  /** True when the job stopped because every source partition was copied to its end (`stopAtEnd`). */
  reachedEnd: boolean;
}

/** The counts of one transaction, merged into the job's totals only once it commits. */
export class Tally {
  copied = 0;
  tombstones = 0;
  deadLettered = 0;
  readonly bySource = new Map<number, number>();
  readonly byTarget = new Map<number, number>();

  count(tombstone: boolean, sourceVersion: number, targetVersion: number): void {
    this.copied++;
    if (tombstone) {
      this.tombstones++;
      return;
    }
    this.bySource.set(sourceVersion, (this.bySource.get(sourceVersion) ?? 0) + 1);
    this.byTarget.set(targetVersion, (this.byTarget.get(targetVersion) ?? 0) + 1);
  }

  add(other: Tally): void {
    this.copied += other.copied;
    this.tombstones += other.tombstones;
    this.deadLettered += other.deadLettered;
    for (const [v, n] of other.bySource) this.bySource.set(v, (this.bySource.get(v) ?? 0) + n);
    for (const [v, n] of other.byTarget) this.byTarget.set(v, (this.byTarget.get(v) ?? 0) + n);
  }
}

/** `{ "1": n, "2": m, "none": k }` from a version → count map (version 0 = no encrypted field). */
export function byVersion(counts: ReadonlyMap<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of [...counts.keys()].sort((a, b) => a - b)) out[v === 0 ? 'none' : String(v)] = counts.get(v)!;
  return out;
}

/** Emits {@link ReencryptProgress} at most once per interval while the job runs. */
export class ProgressMeter {
  readonly #started = Date.now();
  readonly #lag = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #lastAt = this.#started;
  #lastCopied = 0;

  constructor(
    private readonly totals: Tally,
    private readonly onProgress: ((p: ReencryptProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  get elapsedMs(): number {
    return Date.now() - this.#started;
  }

  setLag(partition: number, lag: number): void {
    this.#lag.set(partition, lag);
  }

  dropLag(keep: ReadonlySet<number>): void {
    for (const p of this.#lag.keys()) if (!keep.has(p)) this.#lag.delete(p);
  }

  start(): void {
    if (!this.onProgress || this.#timer) return;
    this.#timer = setInterval(() => this.emit(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  emit(): void {
    if (!this.onProgress) return;
    const now = Date.now();
    const copied = this.totals.copied + this.totals.deadLettered;
    const rate = now > this.#lastAt ? ((copied - this.#lastCopied) * 1000) / (now - this.#lastAt) : 0;
    this.#lastAt = now;
    this.#lastCopied = copied;
    const lag: Record<number, number> = {};
    let totalLag = 0;
    for (const p of [...this.#lag.keys()].sort((a, b) => a - b)) {
      lag[p] = this.#lag.get(p)!;
      totalLag += lag[p]!;
    }
    const overall = copied > 0 ? (copied * 1000) / Math.max(1, now - this.#started) : 0;
    const pace = rate > 0 ? rate : overall;
    this.onProgress({
      elapsedMs: now - this.#started,
      copied: this.totals.copied,
      deadLettered: this.totals.deadLettered,
      recordsPerSecond: Math.round(rate),
      lag,
      totalLag,
      etaSeconds: pace > 0 ? Math.ceil(totalLag / pace) : totalLag === 0 && copied > 0 ? 0 : undefined,
    });
  }
}
