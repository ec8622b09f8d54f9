/**
 * The one progress-output helper of the CLI: a spinner line on stderr for anything that takes
 * over a second, repainted at most once per second, cleared when the operation ends. Silent when
 * stderr is not a TTY or with `--quiet`, so scripts and pipes only ever see the JSON output.
 *
 * @packageDocumentation
 */
import type { CliIo } from './io';

/** A progress line for one operation. */
export interface Progress {
  /** Sets the text shown on the next repaint (at most one repaint per second). */
  update(text: string): void;
  /** Ends the operation: clears the line; prints `finalText` (on stderr) when it was visible. */
  done(finalText?: string): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** `--quiet`: never draw. */
  quiet?: boolean;
  /** Delay before the first paint and between repaints. Default 1 000 ms. */
  intervalMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR = '\r\x1b[K';

/** A progress line that never draws (stderr not a TTY, or `--quiet`). */
const SILENT: Progress = { update() {}, done() {} };

/**
 * Creates the progress line of one operation. Nothing is drawn for the first second, so fast
 * commands print nothing; after that the line shows a spinner, the latest text and the elapsed
 * seconds, repainted once per second.
 */
export function createProgress(io: CliIo, options: ProgressOptions = {}): Progress {
  if (options.quiet || !io.errIsTTY) return SILENT;
  const interval = options.intervalMs ?? 1_000;
  const started = Date.now();
  let text = '';
  let frame = 0;
  let shown = false;
  let ended = false;
  const paint = (): void => {
    const secs = Math.floor((Date.now() - started) / 1000);
    io.err(`${CLEAR}${FRAMES[frame++ % FRAMES.length]} ${text} (${secs}s)`);
    shown = true;
  };
  const timer = setInterval(paint, interval);
  timer.unref?.();
  return {
    update(next: string) {
      text = next;
    },
    done(finalText?: string) {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (!shown) return;
      io.err(CLEAR);
      if (finalText) io.err(`${finalText}\n`);
    },
  };
}
