/**
 * `kafka-csfle keys export`: DEKs of a KEK to a directory or S3 as JSONL (wrapped by default,
 * Tink JSON keysets with `--plaintext`), once or every `--interval`. See docs/key-export.md.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  ALLOW_PLAINTEXT_EXPORT_ENV,
  assertPlaintextExportAllowed,
  DekRegistryClient,
  exportKeys,
  runKeyExporter,
  type ExportKeysOptions,
  type ExportKeysResult,
} from '../../index';
import { collect, keyValue, UsageError } from '../args';
import type { CliContext } from '../context';

/** Parses `500ms`, `30s`, `5m`, `1h` or a number of seconds into milliseconds. */
export function durationArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expects a duration such as 30s, 5m, 1h or 500ms.');
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

interface ExportFlags {
  kek: string;
  subject?: string[];
  out: string;
  plaintext?: boolean;
  interval?: number;
  once?: boolean;
  full?: boolean;
  includeDeleted?: boolean;
  kmsConfig?: Record<string, string>;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  claimTimeout?: number;
}

/** Registers the `keys` command group. */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('key escrow: export DEKs for backup, audits and decryption outside Kafka');

  keys
    .command('export')
    .description(
      'write the DEKs of a KEK as JSON lines (one DEK version per line) to a directory or s3://bucket/prefix; ' +
        'only keys not exported to that sink before, unless --full. Wrapped (no KMS needed) unless --plaintext',
    )
    .requiredOption('--kek <name>', 'KEK whose DEKs are exported')
    .option('--subject <subject>', 'only this subject (repeatable; default all)', collect)
    .requiredOption('--out <dir|s3://bucket/prefix>', 'the sink')
    .option('--plaintext', `Tink JSON keysets instead of wrapped keys (needs KMS decrypt and ${ALLOW_PLAINTEXT_EXPORT_ENV}=1)`)
    .addOption(new Option('--interval <duration>', 'export new keys every duration (30s, 5m) until SIGINT/SIGTERM').argParser(durationArg).conflicts(['once', 'full']))
    .option('--once', 'one pass, then exit (default)')
    .option('--full', 'a snapshot of every selected key, ignoring the checkpoint')
    .option('--include-deleted', 'export soft-deleted DEKs too')
    .option('--kms-config <key=value>', 'with --plaintext: KMS driver config for the KEK (repeatable)', keyValue)
    .option('--s3-endpoint <url>', 'S3 endpoint override (S3-compatible stores)')
    .option('--s3-region <region>', 'S3 region')
    .option('--s3-path-style', 'path-style S3 URLs (MinIO, moto)')
    .option('--claim-timeout <duration>', "finish another exporter's unfinished keys after this (default 30s)", durationArg)
    .action(async (o: ExportFlags) => {
      if (o.kmsConfig && !o.plaintext) throw new UsageError('--kms-config applies only with --plaintext');
      if (o.plaintext) {
        assertPlaintextExportAllowed(ctx.io.env);
        ctx.io.err(
          `warning: exporting PLAINTEXT DEKs of KEK '${o.kek}' to ${o.out}: anyone who can read it can decrypt ` +
            `the data of these keys without the KMS. Restrict access to the sink.\n`,
        );
      }
      const dekRegistry = new DekRegistryClient(ctx.connection());
      let kms: ExportKeysOptions['kms'];
      if (o.kmsConfig) {
        const kek = await dekRegistry.getKek(o.kek, { deleted: o.includeDeleted });
        if (kek) kms = { [kek.kmsType]: o.kmsConfig ?? {} };
      }
      const options: ExportKeysOptions = {
        dekRegistry,
        kekName: o.kek,
        subjects: o.subject,
        sink: o.out,
        s3: {
          ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}),
          ...(o.s3Region ? { region: o.s3Region } : {}),
          ...(o.s3PathStyle ? { forcePathStyle: true } : {}),
        },
        mode: o.plaintext ? 'plaintext' : 'wrapped',
        kms,
        includeDeleted: o.includeDeleted === true,
        full: o.full === true,
        ...(o.claimTimeout !== undefined ? { claimTimeoutMs: o.claimTimeout } : {}),
        env: ctx.io.env,
        onProgress: (p) => ctx.progress.update(`keys export: ${p.phase} ${p.done}/${p.total}`),
      };
      if (o.interval === undefined) {
        ctx.print(summary(await exportKeys(options)));
        return;
      }
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await runKeyExporter({
          ...options,
          intervalMs: o.interval,
          signal: ac.signal,
          onPass: (r) => ctx.io.out(`${JSON.stringify(summary(r))}\n`),
          onError: (e) => ctx.io.err(`${JSON.stringify({ error: { message: (e as Error)?.message ?? String(e) } })}\n`),
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

function summary(r: ExportKeysResult): Record<string, unknown> {
  return {
    sink: r.sink,
    mode: r.mode,
    files: r.files,
    exported: r.exported.length,
    keyLinks: r.exported,
    alreadyExported: r.alreadyExported,
    inProgressElsewhere: r.inProgressElsewhere,
    recovered: r.recovered,
  };
}
