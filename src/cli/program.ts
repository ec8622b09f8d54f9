/**
 * The `kafka-csfle` program: global options, `--version`, strict parsing (unknown or
 * non-applicable flags and extra arguments are usage errors, exit 2), JSON errors (exit 1), and
 * one registration line per command group (`src/cli/commands/<group>.ts`).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { CsfleError, type RegistryHttpOptions } from '../index';
import { intArg, UsageError } from './args';
import { registerDecrypt } from './commands/decrypt';
import { registerDek } from './commands/dek';
import { registerKek } from './commands/kek';
import { registerInspect } from './commands/inspect';
import { registerKeys } from './commands/keys';
import { registerSchema } from './commands/schema';
import { registerTopic } from './commands/topic';
import { registerTopicAudit } from './commands/topic-audit';
import type { CliContext } from './context';
import type { CliIo } from './io';
import { createProgress, type Progress } from './progress';

export type { CliIo } from './io';
export type { CliContext } from './context';

/** Default `--connect-timeout` of the CLI: a registry that does not answer fails fast. */
export const CLI_CONNECT_TIMEOUT_MS = 5_000;

/** The package version, read from the package.json next to the sources or the build. */
export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kafka-csfle' && pkg.version) return pkg.version;
    } catch {
      // not here: look one level up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

/** The global options, accepted before the command and after it. */
function globalOptions(): Option[] {
  return [
    new Option('--url <url>', 'registry base URL(s), comma-separated for failover (env SCHEMA_REGISTRY_URL)'),
    new Option('--basic <user:pass>', 'HTTP basic auth (env SCHEMA_REGISTRY_BASIC_AUTH)'),
    new Option('--bearer <token>', 'bearer token (env SCHEMA_REGISTRY_BEARER_TOKEN)'),
    new Option('--timeout <ms>', 'per-request timeout (default 10000)').argParser(intArg),
    new Option('--connect-timeout <ms>', `time to connect and get an answer (default ${CLI_CONNECT_TIMEOUT_MS})`).argParser(intArg),
    new Option('--retries <n>', 'retries on network errors / 429 / 5xx (default 3)').argParser(intArg),
    new Option('-q, --quiet', 'no progress line on stderr'),
  ].map((o) => o.helpGroup('Global options:'));
}

function connection(opts: Record<string, unknown>, env: CliIo['env'], urlOverride?: string): RegistryHttpOptions {
  const rawUrl = urlOverride ?? (opts.url as string | undefined) ?? env.SCHEMA_REGISTRY_URL;
  if (!rawUrl) throw new UsageError('no registry URL: pass --url or set SCHEMA_REGISTRY_URL');
  const url = rawUrl.split(',').map((u) => u.trim()).filter(Boolean);
  const conn: RegistryHttpOptions = { url, cacheCapacity: 0, retryOnTimeout: false };
  const basic = (opts.basic as string | undefined) ?? env.SCHEMA_REGISTRY_BASIC_AUTH;
  const bearer = (opts.bearer as string | undefined) ?? env.SCHEMA_REGISTRY_BEARER_TOKEN;
  if (basic !== undefined && bearer !== undefined) throw new UsageError('use either --basic or --bearer');
  if (basic !== undefined) {
    const i = basic.indexOf(':');
    if (i < 0) throw new UsageError('--basic expects USER:PASS');
    conn.auth = { basic: { username: basic.slice(0, i), password: basic.slice(i + 1) } };
  } else if (bearer !== undefined) {
    conn.auth = { bearer };
  }
  if (opts.timeout !== undefined) conn.timeoutMs = opts.timeout as number;
  conn.connectTimeoutMs = (opts.connectTimeout as number | undefined) ?? CLI_CONNECT_TIMEOUT_MS;
  if (opts.retries !== undefined) conn.maxRetries = opts.retries as number;
  return conn;
}

function leaves(cmd: Command): Command[] {
  return cmd.commands.length === 0 ? [cmd] : cmd.commands.flatMap(leaves);
}

/**
 * Builds a fresh program writing to `io` (commander keeps parse state, so one per run).
 * Command groups register here, one line each.
 */
export function buildProgram(io: CliIo): { program: Command; ctx: CliContext; finish(): void; exitCode(): number } {
  const program = new Command('kafka-csfle');
  let exitCode = 0;
  let active: Command = program;
  let activePath = '';
  let current: Progress | undefined;
  const progress: Progress = {
    update: (text) => current?.update(text),
    done: (text) => {
      current?.done(text);
      current = undefined;
    },
  };
  const ctx: CliContext = {
    io,
    connection: (url) => {
      const conn = connection(active.optsWithGlobals(), io.env, url);
      progress.update(`${activePath}: waiting for ${([] as string[]).concat(conn.url).join(', ')}`);
      return conn;
    },
    print: (value) => io.out(`${JSON.stringify(value, null, 2)}\n`),
    progress,
    exitWith: (code) => {
      exitCode = code;
    },
  };
  program
    .description('Administer CSFLE keys (KEKs, DEKs) and schemas with rule sets in a Confluent-compatible registry.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .showHelpAfterError('(run with -h for usage)')
    .addHelpText(
      'after',
      '\nOutput is JSON on stdout; errors are JSON on stderr.\nExit codes: 0 ok, 1 registry/key error (topic audit: a tagged field in clear), 2 usage error.',
    )
    .hook('preAction', (_root, actionCommand) => {
      active = actionCommand;
      current = createProgress(io, { quiet: actionCommand.optsWithGlobals().quiet === true });
      const names: string[] = [];
      for (let c: Command | null = actionCommand; c && c !== program; c = c.parent) names.unshift(c.name());
      activePath = names.join(' ');
      current.update(activePath);
    });
  for (const o of globalOptions()) program.addOption(o);

  registerKek(program, ctx);
  registerDek(program, ctx);
  registerSchema(program, ctx);
  registerKeys(program, ctx);
  registerDecrypt(program, ctx);
  registerInspect(program, ctx);
  registerTopic(program, ctx);
  registerTopicAudit(program, ctx);

  // Every command accepts the global options after its own arguments too.
  for (const leaf of leaves(program)) {
    if (leaf === program) continue;
    for (const o of globalOptions()) leaf.addOption(o);
  }
  return { program, ctx, finish: () => progress.done(), exitCode: () => exitCode };
}

/**
 * Runs the command line `argv` (without `node` and the script path) and resolves the exit code:
 * 0 ok, 1 registry / key error (JSON on stderr), 2 usage error.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { program, finish, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (e) {
    finish();
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n(run with -h for usage)\n`);
      return 2;
    }
    if (e instanceof CsfleError) {
      io.err(`${JSON.stringify({ error: { code: e.code, message: e.message, retryable: e.retryable, ...e.context } }, null, 2)}\n`);
      return 1;
    }
    io.err(`${JSON.stringify({ error: { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) } })}\n`);
    return 1;
  } finally {
    finish();
  }
}
