/**
 * Interval mode: an incremental export pass every N milliseconds until stopped.
 *
 * @packageDocumentation
 */
import { CsfleError } from '../../errors';
import { KeyExportPass, type ExportKeysOptions, type ExportKeysResult } from './export-keys';

/** Options of {@link runKeyExporter}. */
export interface RunKeyExporterOptions extends Omit<ExportKeysOptions, 'full'> {
  /** Time between the end of one pass and the start of the next. */
  intervalMs: number;
  /** Stops the exporter (after the pass in flight, if any). */
  signal?: AbortSignal;
  /** Called after every pass. */
  onPass?(result: ExportKeysResult): void;
  /**
   * Called when a pass after the first fails (the exporter keeps going and retries at the next
   * interval). Default: `logger.warn`. The first pass's failure rejects instead, so a
   * misconfigured exporter (refused, unwritable sink, unknown KEK) stops at once.
   */
  onError?(error: unknown): void;
}

/**
 * Runs incremental export passes every `intervalMs` until `signal` aborts. Only keys no exporter
 * wrote to the sink before are written; several exporters on one sink never write a key twice, and
 * a restarted exporter resumes from the checkpoint in the sink.
 *
 * @returns resolves once stopped; rejects if the first pass fails.
 */
export async function runKeyExporter(options: RunKeyExporterOptions): Promise<void> {
  const { intervalMs, signal, onPass, onError, ...rest } = options;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new CsfleError('INVALID_REQUEST', `intervalMs must be a non-negative number (got ${intervalMs})`);
  }
  const pass = new KeyExportPass({ ...rest, full: false });
  let first = true;
  while (!signal?.aborted) {
    try {
      onPass?.(await pass.run());
    } catch (e) {
      if (first) throw e;
      if (onError) onError(e);
      else rest.logger?.warn('Key export pass failed; retrying at the next interval', { error: (e as Error)?.message });
    }
    first = false;
    if (signal?.aborted) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, intervalMs);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
