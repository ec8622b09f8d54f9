/**
 * Where the `kafka-csfle` command reads and writes, so tests can run it in-process.
 *
 * @packageDocumentation
 */

/** Where the command writes, and its environment. */
export interface CliIo {
  /** Standard output (JSON results, help, version). */
  out(text: string): void;
  /** Standard error (JSON errors, usage errors, progress line). */
  err(text: string): void;
  /** Environment variables (`SCHEMA_REGISTRY_URL`, ...). */
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal; the progress line is drawn only then. */
  errIsTTY?: boolean;
  /**
   * Standard input as a stream, for commands that process it line by line (`decrypt`, which may
   * read millions of records); default `process.stdin`.
   */
  stdin?: NodeJS.ReadableStream;
  /** Reads standard input to its end (commands that take data on stdin, e.g. `inspect`). */
  readStdin?(): Promise<Buffer>;
}
