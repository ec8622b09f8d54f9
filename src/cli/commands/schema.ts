/**
 * `kafka-csfle schema ...`: register a schema with its rule set, metadata and references; read
 * one back by id or by subject and version.
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { HttpSchemaSource, type Metadata, type RuleSet, type SchemaInfo, type SchemaReference } from '../../index';
import { intArg, readJson, readText, UsageError, versionArg } from '../args';
import type { CliContext } from '../context';

/** Registers the `schema` command group. */
export function registerSchema(program: Command, ctx: CliContext): void {
  const schema = program.command('schema').description('schemas with rule sets');
  const source = () => new HttpSchemaSource(ctx.connection());

  schema
    .command('register')
    .description('register a schema (fails with RULE_SET_DROPPED if the registry drops the rule set); prints {"id": N}')
    .argument('<subject>', 'subject')
    .requiredOption('--schema <file>', 'schema text')
    .option('--rules <file>', 'rule set JSON ({"domainRules": [...]} or {"ruleSet": {...}})')
    .option('--metadata <file>', 'metadata JSON')
    .option('--references <file>', 'references JSON')
    .addOption(new Option('--type <type>', 'schema type (default AVRO)').choices(['AVRO', 'JSON', 'PROTOBUF']))
    .action(async (subject: string, o: { schema: string; rules?: string; metadata?: string; references?: string; type?: SchemaInfo['schemaType'] }) => {
      const info: SchemaInfo = { schema: readText(o.schema, 'schema').trim() };
      if (o.type) info.schemaType = o.type;
      if (o.rules) {
        const r = readJson<RuleSet | { ruleSet: RuleSet }>(o.rules, 'rules');
        info.ruleSet = 'ruleSet' in r ? r.ruleSet : r;
      }
      if (o.metadata) info.metadata = readJson<Metadata>(o.metadata, 'metadata');
      if (o.references) info.references = readJson<SchemaReference[]>(o.references, 'references');
      ctx.print({ subject, id: await source().register(subject, info) });
    });

  schema
    .command('get')
    .description('a schema by --id, or by subject and version')
    .argument('[subject]', 'subject (unless --id)')
    .addOption(new Option('--id <n>', 'schema id').argParser(intArg).conflicts('version'))
    .option('--subject <subject>', 'with --id: the subject the id is registered under')
    .option('--version <n|latest>', 'version (default latest)', versionArg)
    .action(async (subject: string | undefined, o: { id?: number; subject?: string; version?: number | 'latest' }) => {
      const src = source();
      if (o.id !== undefined) {
        if (subject !== undefined) throw new UsageError('give either --id or a subject');
        ctx.print(await src.getById(o.id, o.subject));
        return;
      }
      if (subject === undefined) throw new UsageError('missing subject (or --id)');
      if (o.subject !== undefined) throw new UsageError('--subject applies only with --id');
      ctx.print(o.version === undefined || o.version === 'latest' ? await src.getLatest(subject) : await src.getByVersion(subject, o.version));
    });
}
