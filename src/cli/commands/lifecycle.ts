/**
 * The key lifecycle commands: `kafka-csfle kek rewrap` (registered on the `kek` group) and
 * `kafka-csfle dek shred` (on the `dek` group). Thin wrappers over `rewrapKek` and `shredDeks`;
 * see docs/key-lifecycle.md.
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { CsfleError, DekRegistryClient, jsonLinesAuditWriter, rewrapKek, shredDeks, type DekAlgorithm, type KmsConfig, type RewrapProgress } from '../../index';
import { ALGORITHM_CHOICES, intArg, keyValue } from '../args';
import type { CliContext } from '../context';

/** `kek rewrap <name>`: re-wraps every DEK version under the KEK with the KMS key as it is now. */
export function registerKekRewrap(kek: Command, ctx: CliContext): void {
  kek
    .command('rewrap')
    .description(
      'unwrap every DEK version under the KEK and wrap it again with the KMS key as it is now (after a KMS rotation); ' +
        'journaled and resumable; JSON report on stdout, progress on stderr',
    )
    .argument('<name>', 'KEK name')
    .option('--journal <file>', 'journal file (default kafka-csfle-rewrap-<name>.journal); keep it until the rewrap is complete')
    .option('--resume', 'finish the DEK replacements of an interrupted run (from the journal), then go on')
    .option('--dry-run', 'unwrap, wrap and verify every DEK, change nothing')
    .option('--include-deleted', 'rewrap soft-deleted DEK versions too (they stay soft-deleted)')
    .option('--concurrency <n>', 'DEK versions handled at once (default 1)', intArg)
    .option('--kms-config <key=value>', "KMS driver config for the KEK's kmsType (repeatable), e.g. secret=... for local-kms", keyValue)
    .option('--audit-log <file>', 'append a kek.rewrapped audit event per DEK version to this JSON-lines file')
    .action(
      async (
        name: string,
        o: { journal?: string; resume?: boolean; dryRun?: boolean; includeDeleted?: boolean; concurrency?: number; kmsConfig?: Record<string, string>; auditLog?: string },
      ) => {
        const trail = o.auditLog !== undefined ? jsonLinesAuditWriter(o.auditLog) : undefined;
        const dekRegistry = new DekRegistryClient(ctx.connection());
        const kmsType = (await dekRegistry.getKek(name, { deleted: true }))?.kmsType;
        const kms: Record<string, KmsConfig> = kmsType !== undefined && o.kmsConfig ? { [kmsType]: o.kmsConfig } : {};
        const report = await rewrapKek({
          dekRegistry,
          kms,
          kekName: name,
          ...(o.journal !== undefined ? { journalPath: o.journal } : {}),
          resume: o.resume === true,
          dryRun: o.dryRun === true,
          includeDeleted: o.includeDeleted === true,
          ...(o.concurrency !== undefined ? { concurrency: Math.max(1, o.concurrency) } : {}),
          onProgress: (p: RewrapProgress) => ctx.progress.update(`kek rewrap ${name}: ${p.phase} ${p.done}/${p.total}`),
          ...(trail ? { onAudit: trail.onAudit } : {}),
        }).finally(() => trail?.close());
        ctx.print(report);
        if (report.failed > 0) {
          const pending = report.failures.filter((f) => f.pending).length;
          throw new CsfleError(
            'REWRAP_FAILED',
            `${report.failed} DEK version(s) could not be rewrapped (see the report on stdout)` +
              (pending > 0 ? `; ${pending} left open in the journal: run again with --resume` : ''),
            { kekName: name },
          );
        }
      },
    );
}

/** `dek shred <kek> <subject> --yes`: destroys DEK versions (crypto-shredding). */
export function registerDekShred(dek: Command, ctx: CliContext): void {
  dek
    .command('shred')
    .description(
      'crypto-shredding: soft-delete then permanently delete DEK versions, so the data they encrypted can no longer be ' +
        'decrypted by new readers; prints what was destroyed',
    )
    .argument('<kek>', 'KEK name')
    .argument('<subject>', 'subject')
    .option('--version <n>', 'only this version (default: every version)', intArg)
    .addOption(new Option('--algorithm <algorithm>', 'only this algorithm (default: every algorithm)').choices(ALGORITHM_CHOICES))
    .option('--yes', 'confirm: the keys, and the data only they can decrypt, are destroyed for good')
    .option('--audit-log <file>', 'append a dek.shredded audit event per DEK version to this JSON-lines file')
    .action(async (kekName: string, subject: string, o: { version?: number; algorithm?: DekAlgorithm; yes?: boolean; auditLog?: string }) => {
      if (o.yes !== true) {
        throw new CsfleError('CONFIRMATION_REQUIRED', 'dek shred destroys keys for good: add --yes to confirm', {
          kekName,
          subject,
          ...(o.version !== undefined ? { dekVersion: o.version } : {}),
        });
      }
      const trail = o.auditLog !== undefined ? jsonLinesAuditWriter(o.auditLog) : undefined;
      ctx.print(
        await shredDeks({
          dekRegistry: ctx.connection(),
          kekName,
          subject,
          ...(o.version !== undefined ? { version: o.version } : {}),
          ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
          ...(trail ? { onAudit: trail.onAudit } : {}),
        }).finally(() => trail?.close()),
      );
    });
}
