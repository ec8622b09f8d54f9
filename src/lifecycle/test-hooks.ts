/**
 * Crash points for tests of resumable operations: with the environment variable
 * `KAFKA_CSFLE_TEST_CRASH_AT=<step>`, the process kills itself (SIGKILL: no cleanup, no flush) the
 * first time it reaches that step boundary. Unset (always, outside tests), it does nothing.
 *
 * Steps of a KEK rewrap: `after-journal`, `after-soft-delete`, `after-delete`, `after-create`,
 * `before-verify`.
 *
 * @packageDocumentation
 */

/** The environment variable naming the step at which to crash. */
export const CRASH_AT_ENV = 'KAFKA_CSFLE_TEST_CRASH_AT';

/** Kills the process abruptly when `step` is the configured crash step. */
export function crashPoint(step: string): void {
  if (process.env[CRASH_AT_ENV] === step) process.kill(process.pid, 'SIGKILL');
}
