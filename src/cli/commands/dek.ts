/**
 * `kafka-csfle dek ...`: list, get, create (stored or generated and wrapped here), delete and
 * undelete DEKs.
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { CsfleError, DekRegistryClient, KeyRing, type DekAlgorithm } from '../../index';
import { ALGORITHM_CHOICES, intArg, keyValue, redacted, UsageError, versionArg } from '../args';
import type { CliContext } from '../context';
import { registerDekShred } from './lifecycle';

const algorithmOption = () =>
  new Option('--algorithm <algorithm>', 'DEK algorithm (part of its identity)').choices(ALGORITHM_CHOICES).default(undefined, 'AES256_GCM');

/** Registers the `dek` command group. */
export function registerDek(program: Command, ctx: CliContext): void {
  const dek = program.command('dek').description('data encryption keys (DEKs) under a KEK');
  const client = () => new DekRegistryClient(ctx.connection());

  dek
    .command('list')
    .description('subjects with DEKs under a KEK')
    .argument('<kek>', 'KEK name')
    .option('--deleted', 'include soft-deleted DEKs')
    .option('--offset <n>', 'skip the first n', intArg)
    .option('--limit <n>', 'at most n', intArg)
    .action(async (kek: string, o: { deleted?: boolean; offset?: number; limit?: number }) => {
      ctx.print(await client().listDekSubjects(kek, o));
    });

  dek
    .command('versions')
    .description('versions of the DEK of a subject')
    .argument('<kek>', 'KEK name')
    .argument('<subject>', 'subject')
    .addOption(algorithmOption())
    .option('--deleted', 'include soft-deleted versions')
    .option('--offset <n>', 'skip the first n', intArg)
    .option('--limit <n>', 'at most n', intArg)
    .action(async (kek: string, subject: string, o: { algorithm?: DekAlgorithm; deleted?: boolean; offset?: number; limit?: number }) => {
      ctx.print(await client().listDekVersions(kek, subject, o));
    });

  dek
    .command('get')
    .description('one DEK (key material is never shown)')
    .argument('<kek>', 'KEK name')
    .argument('<subject>', 'subject')
    .option('--version <n|latest>', 'version (default latest)', versionArg)
    .addOption(algorithmOption())
    .option('--deleted', 'also find a soft-deleted DEK')
    .action(async (kek: string, subject: string, o: { version?: number | 'latest'; algorithm?: DekAlgorithm; deleted?: boolean }) => {
      const found = await client().getDek(kek, subject, { algorithm: o.algorithm, version: o.version, deleted: o.deleted });
      if (!found) {
        throw new CsfleError('DEK_NOT_FOUND', `DEK not found`, {
          kekName: kek,
          subject,
          algorithm: o.algorithm ?? 'AES256_GCM',
          dekVersion: typeof o.version === 'number' ? o.version : undefined,
        });
      }
      ctx.print(redacted(found));
    });

  dek
    .command('create')
    .description(
      'store a DEK wrapped elsewhere, let a shared KEK generate one (no material), or --generate one here and wrap it ' +
        'with the KMS as a producer would (local-kms reads its secret from LOCAL_SECRET or --kms-config secret=...)',
    )
    .argument('<kek>', 'KEK name')
    .argument('<subject>', 'subject')
    .addOption(new Option('--version <n>', 'version to store').argParser(intArg).conflicts('generate'))
    .addOption(algorithmOption())
    .addOption(new Option('--encrypted-key-material <base64>', 'the wrapped DEK').conflicts('generate'))
    .option('--generate', 'generate the next DEK here and wrap it with the KMS')
    .option('--kms-type <type>', 'with --generate: create the KEK too if missing')
    .option('--kms-key-id <id>', 'with --generate: create the KEK too if missing')
    .option('--kms-config <key=value>', 'with --generate: KMS driver config (repeatable)', keyValue)
    .action(
      async (
        kek: string,
        subject: string,
        o: {
          version?: number;
          algorithm?: DekAlgorithm;
          encryptedKeyMaterial?: string;
          generate?: boolean;
          kmsType?: string;
          kmsKeyId?: string;
          kmsConfig?: Record<string, string>;
        },
      ) => {
        const c = client();
        if (!o.generate) {
          if (o.kmsType !== undefined || o.kmsKeyId !== undefined || o.kmsConfig !== undefined) {
            throw new UsageError('--kms-type, --kms-key-id and --kms-config apply only with --generate');
          }
          const stored = await c.registerDek(kek, {
            subject,
            version: o.version,
            algorithm: o.algorithm,
            encryptedKeyMaterial: o.encryptedKeyMaterial,
          });
          ctx.print(redacted(stored));
          return;
        }
        let kmsType = o.kmsType;
        if (!kmsType) {
          const existing = await c.getKek(kek);
          if (!existing) throw new UsageError(`KEK '${kek}' does not exist: pass --kms-type and --kms-key-id to create it`);
          kmsType = existing.kmsType;
        }
        const ring = new KeyRing({ registry: c, kms: { [kmsType]: o.kmsConfig ?? {} } });
        const key = await ring.writeKey({
          kekName: kek,
          subject,
          algorithm: o.algorithm ?? 'AES256_GCM',
          expiryDays: 0,
          ...(o.kmsType ? { kmsType: o.kmsType } : {}),
          ...(o.kmsKeyId ? { kmsKeyId: o.kmsKeyId } : {}),
        });
        const created = await c.getDek(kek, subject, { algorithm: o.algorithm, version: key.version });
        ctx.print(created ? redacted(created) : { kekName: kek, subject, version: key.version });
      },
    );

  dek
    .command('delete')
    .description('soft-delete a DEK version, or all versions (--permanent after a soft delete)')
    .argument('<kek>', 'KEK name')
    .argument('<subject>', 'subject')
    .option('--version <n>', 'version (default all)', intArg)
    .addOption(algorithmOption())
    .option('--permanent', 'delete for good')
    .action(async (kek: string, subject: string, o: { version?: number; algorithm?: DekAlgorithm; permanent?: boolean }) => {
      await client().deleteDek(kek, subject, { algorithm: o.algorithm, version: o.version, permanent: o.permanent });
      ctx.print({
        deleted: { kek, subject, algorithm: o.algorithm ?? 'AES256_GCM', version: o.version ?? 'all' },
        permanent: o.permanent === true,
      });
    });

  dek
    .command('undelete')
    .description('restore a soft-deleted DEK version, or all versions')
    .argument('<kek>', 'KEK name')
    .argument('<subject>', 'subject')
    .option('--version <n>', 'version (default all)', intArg)
    .addOption(algorithmOption())
    .action(async (kek: string, subject: string, o: { version?: number; algorithm?: DekAlgorithm }) => {
      await client().undeleteDek(kek, subject, { algorithm: o.algorithm, version: o.version });
      ctx.print({ undeleted: { kek, subject, algorithm: o.algorithm ?? 'AES256_GCM', version: o.version ?? 'all' } });
    });

  registerDekShred(dek, ctx);
}
