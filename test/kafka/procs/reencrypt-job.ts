/**
 * The re-encryption job as a separate process, for the crash and scale-out tests: options as
 * JSON in REENCRYPT_JOB; progress as JSON lines on stderr; the report as JSON on stdout; exit 1
 * with `{"error": {...}}` on stderr when the job fails.
 */
import { CsfleError, reencryptTopic, type ReencryptOptions } from '../../../src/index';

const options = JSON.parse(process.env.REENCRYPT_JOB ?? '{}') as ReencryptOptions;
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
reencryptTopic({
  ...options,
  signal: stop.signal,
  progressIntervalMs: options.progressIntervalMs ?? 200,
  onProgress: (p) => process.stderr.write(`${JSON.stringify({ progress: p })}\n`),
}).then(
  (report) => {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  },
  (err: unknown) => {
    const e = err as CsfleError;
    process.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, ...(e instanceof CsfleError ? e.context : {}) } })}\n`);
    process.exitCode = 1;
  },
);
