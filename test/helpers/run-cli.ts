/** Runs the `kafka-csfle` CLI in-process and captures what it writes. */
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
