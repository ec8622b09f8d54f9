/**
 * `kafka-csfle kek ...`: list, get, create, update, delete and undelete KEKs; rewrap (lifecycle.ts).
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { CsfleError, DekRegistryClient } from '../../index';
import { collect, intArg, keyValue } from '../args';
import type { CliContext } from '../context';
import { registerKekRewrap } from './lifecycle';

/** Registers the `kek` command group. */
export function registerKek(program: Command, ctx: CliContext): void {
  const kek = program.command('kek').description('key encryption keys (KEKs)');
  const client = () => new DekRegistryClient(ctx.connection());

  kek
    .command('list')
    .description('names of the KEKs')
    .option('--deleted', 'include soft-deleted KEKs')
    .option('--subject-prefix <prefix>', 'only KEKs with DEKs for subjects starting with prefix (repeatable)', collect)
    .option('--offset <n>', 'skip the first n', intArg)
    .option('--limit <n>', 'at most n', intArg)
    .action(async (o: { deleted?: boolean; subjectPrefix?: string[]; offset?: number; limit?: number }) => {
      ctx.print(await client().listKeks({ deleted: o.deleted, subjectPrefix: o.subjectPrefix, offset: o.offset, limit: o.limit }));
    });

  kek
    .command('get')
    .description('one KEK')
    .argument('<name>', 'KEK name')
    .option('--deleted', 'also find a soft-deleted KEK')
    .action(async (name: string, o: { deleted?: boolean }) => {
      const found = await client().getKek(name, { deleted: o.deleted });
      if (!found) throw new CsfleError('KEK_NOT_FOUND', `KEK '${name}' not found`, { kekName: name });
      ctx.print(found);
    });

  kek
    .command('create')
    .description('register a KEK')
    .argument('<name>', 'KEK name')
    .requiredOption('--kms-type <type>', 'aws-kms, azure-kms, gcp-kms, hcvault, local-kms, ...')
    .requiredOption('--kms-key-id <id>', 'key id / ARN / URL in the KMS')
    .option('--kms-prop <key=value>', 'KMS property (repeatable)', keyValue)
    .option('--doc <text>', 'description')
    .option('--shared', 'the registry generates and wraps DEKs itself')
    .action(async (name: string, o: { kmsType: string; kmsKeyId: string; kmsProp?: Record<string, string>; doc?: string; shared?: boolean }) => {
      ctx.print(
        await client().registerKek({ name, kmsType: o.kmsType, kmsKeyId: o.kmsKeyId, kmsProps: o.kmsProp, doc: o.doc, shared: o.shared === true }),
      );
    });

  kek
    .command('update')
    .description('change the properties, doc or shared flag of a KEK (the KMS type and key id never change)')
    .argument('<name>', 'KEK name')
    .option('--kms-prop <key=value>', 'KMS property (repeatable; replaces all properties)', keyValue)
    .option('--doc <text>', 'description')
    .addOption(new Option('--shared', 'make the KEK shared').conflicts('notShared'))
    .option('--not-shared', 'make the KEK not shared')
    .action(async (name: string, o: { kmsProp?: Record<string, string>; doc?: string; shared?: boolean; notShared?: boolean }) => {
      const body: { kmsProps?: Record<string, string>; doc?: string; shared?: boolean } = {};
      if (o.kmsProp) body.kmsProps = o.kmsProp;
      if (o.doc !== undefined) body.doc = o.doc;
      if (o.shared) body.shared = true;
      if (o.notShared) body.shared = false;
      ctx.print(await client().updateKek(name, body));
    });

  kek
    .command('delete')
    .description('soft-delete a KEK (--permanent after a soft delete)')
    .argument('<name>', 'KEK name')
    .option('--permanent', 'delete for good')
    .action(async (name: string, o: { permanent?: boolean }) => {
      await client().deleteKek(name, { permanent: o.permanent });
      ctx.print({ deleted: name, permanent: o.permanent === true });
    });

  kek
    .command('undelete')
    .description('restore a soft-deleted KEK')
    .argument('<name>', 'KEK name')
    .action(async (name: string) => {
      await client().undeleteKek(name);
      ctx.print({ undeleted: name });
    });

  registerKekRewrap(kek, ctx);
}
