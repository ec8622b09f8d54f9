/**
 * What every command module gets from the program: output, the registry connection built from
 * the global options, and the progress line of the running command.
 *
 * @packageDocumentation
 */
import type { RegistryHttpOptions } from '../index';
import type { CliIo } from './io';
import type { Progress } from './progress';

/** Shared services handed to each `register<Group>(program, ctx)`. */
export interface CliContext {
  /** Where the command writes. */
  readonly io: CliIo;
  /**
   * The registry connection from the global options (`--url`, `--basic`, `--bearer`,
   * `--timeout`, `--connect-timeout`, `--retries`) and their environment variables. Throws a
   * usage error when no URL is given. `url` (a command's own registry flag) replaces the global
   * `--url`; credentials, TLS and timeouts still come from the global options.
   */
  connection(url?: string): RegistryHttpOptions;
  /** Prints a result as JSON on stdout. */
  print(value: unknown): void;
  /**
   * The progress line of the running command (stderr; drawn only after 1 s, on a TTY, without
   * `--quiet`). Map a library function's `onProgress` to `ctx.progress.update(text)`.
   */
  readonly progress: Progress;
  /**
   * Sets the exit code of a command that completed but found a problem it reports on stdout
   * (e.g. `topic audit` finding clear text: 1). Default 0.
   */
  exitWith(code: number): void;
}
