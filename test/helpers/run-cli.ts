/** Runs the `kafka-csfle` CLI in-process and captures what it writes. */
import { Readable } from 'node:stream';
import { run, type CliIo } from '../../src/cli/program';

export interface CliOutput {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the CLI with `argv`; `io` adds to or overrides an empty environment and a non-TTY
 * stderr. Returns the exit code and everything written to stdout and stderr.
 */
export async function runCli(argv: string[], io: Partial<Omit<CliIo, 'out' | 'err'>> = {}): Promise<CliOutput> {
  let out = '';
  let err = '';
  const code = await run(argv, { env: {}, errIsTTY: false, ...io, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/**
 * A `runCli` bound to a Schema Registry: `SCHEMA_REGISTRY_URL` is `url()` (read at call time, so
 * it may be set in a `beforeAll`), `opts.env` adds to it, and `opts.stdin` lines are fed on stdin.
 */
export function registryCli(url: () => string) {
  return (argv: string[], opts: { env?: Record<string, string>; stdin?: string[] } = {}): Promise<CliOutput> =>
    runCli(argv, {
      env: { SCHEMA_REGISTRY_URL: url(), ...opts.env },
      ...(opts.stdin ? { stdin: Readable.from(opts.stdin.map((l) => `${l}\n`)) } : {}),
    });
}

/** Parses one JSON value per non-blank line. */
export const jsonLines = (text: string): unknown[] => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
