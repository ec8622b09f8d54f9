/**
 * The built-in audit sink: one JSON object per line, appended to a file or written to a stream —
 * a CloudTrail-like trail on the client side.
 *
 * @packageDocumentation
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { AuditEvent, AuditListener } from './audit';

/** A JSON-lines audit writer: pass `onAudit` as the serde's `onAudit` option. */
export interface JsonLinesAuditWriter {
  /** Writes one event as one line (never throws; a write error is kept for {@link close}). */
  readonly onAudit: AuditListener;
  /** Events written so far. */
  readonly written: number;
  /** Flushes and closes (a file) or just flushes (a stream given by the caller, left open). */
  close(): Promise<void>;
}

/**
 * Writes audit events as JSON lines to `target`: a file path (opened for append, created with
 * mode 0600) or a writable stream (e.g. `process.stderr`).
 *
 * @example
 * ```ts
 * const trail = jsonLinesAuditWriter('/var/log/app/csfle-audit.jsonl');
 * const deserializer = new AvroDeserializer({ ...options, onAudit: trail.onAudit });
 * // on shutdown
 * await trail.close();
 * ```
 */
export function jsonLinesAuditWriter(target: string | Writable): JsonLinesAuditWriter {
  const owned = typeof target === 'string';
  const stream: Writable = owned ? createWriteStream(target, { flags: 'a', mode: 0o600 }) : target;
  let error: Error | undefined;
  let written = 0;
  const onError = (err: Error) => {
    error ??= err;
  };
  stream.on('error', onError);
  const writer: JsonLinesAuditWriter = {
    onAudit(event: AuditEvent) {
      if (error) return;
      try {
        stream.write(`${JSON.stringify(event)}\n`);
        written++;
      } catch (err) {
        onError(err as Error);
      }
    },
    get written() {
      return written;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        // The error listener stays: a stream may still report errors after close.
        const done = () => (error ? reject(error) : resolve());
        if (error) {
          if (owned) stream.destroy();
          done();
        } else if (owned && stream.closed) {
          done();
        } else if (owned) {
          // A file stream closes after 'finish' or after an 'error' (open failure included).
          stream.once('close', done);
          stream.end();
        }
        else if (stream.writableNeedDrain) stream.once('drain', done);
        else done();
      });
    },
  };
  return writer;
}
