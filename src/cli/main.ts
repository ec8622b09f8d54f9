#!/usr/bin/env node
/**
 * Entry point of the `kafka-csfle` command (package.json `bin`). See {@link run} and docs/cli.md.
 *
 * @packageDocumentation
 */
import { run } from './program';

run(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  errIsTTY: process.stderr.isTTY === true,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
