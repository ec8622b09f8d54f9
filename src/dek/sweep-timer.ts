/**
 * The housekeeping timer of a KeyRing (key age): an unref'd interval that never keeps the process
 * alive and never keeps its key ring reachable (it holds a WeakRef and stops itself once the key
 * ring is gone).
 *
 * @packageDocumentation
 */

/** Something swept periodically. */
export interface Sweepable {
  sweep(): void;
}

/** Starts and stops one periodic sweep. */
export class SweepTimer {
  readonly #periodMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts sweeping `target` every period (no-op if running, or if the period is infinite). */
  start(target: Sweepable): void {
    if (this.#timer !== undefined || !Number.isFinite(this.#periodMs)) return;
    const ref = new WeakRef(target);
    const timer = setInterval(() => {
      const t = ref.deref();
      if (t) t.sweep();
      else clearInterval(timer);
    }, this.#periodMs);
    timer.unref?.();
    this.#timer = timer;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
