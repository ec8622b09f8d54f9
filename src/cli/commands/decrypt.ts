/**
 * `kafka-csfle decrypt`: reads framed Avro, JSON Schema or Protobuf records (one base64 or hex record per line on stdin, or a
 * topic from a broker) and prints them decrypted as JSON lines, with keys from a key export and
 * no DEK Registry. See docs/key-export.md.
 *
 * @packageDocumentation
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import {
  createOfflineDeserializer,
  CsfleError,
  decodeRecordLine,
  ExportedKeyRegistry,
  HttpSchemaSource,
  isPlaintextLine,
  readExportedKeys,
  readTopic,
  recordToJson,
  type ExportedKeyLine,
  type RuleSet,
  type SchemaInfo,
} from '../../index';
import { keyValue, readJson, readText, UsageError } from '../args';
import type { CliContext } from '../context';
import { addKafkaConnectionOptions, kafkaConnection } from './topic';

interface DecryptFlags {
  keys: string[];
  schemaRegistry?: string;
  schema?: string;
  schemaType?: SchemaType;
  rules?: string;
  subject?: string;
  topic?: string;
  brokers?: string;
  kafkaSsl?: boolean;
  kafkaSasl?: string;
  kmsConfig?: Record<string, string>;
  encoding: 'auto' | 'hex' | 'base64';
}

type SchemaType = NonNullable<SchemaInfo['schemaType']>;

/** The schema type of a bare schema file, by its extension (`.proto`, `.json`; otherwise Avro). */
function typeByExtension(file: string): SchemaType {
  const ext = path.extname(file).toLowerCase();
  return ext === '.proto' ? 'PROTOBUF' : ext === '.json' ? 'JSON' : 'AVRO';
}

/**
 * A schema file: `{ schema, schemaType?, ruleSet?, metadata? }` as `schema get` prints it (its
 * `schemaType`, absent = AVRO, unless `--schema-type` says otherwise), or a bare schema (`.avsc`
 * Avro, `.json` JSON Schema, `.proto` Protobuf, or as `--schema-type` says) with `--rules`.
 */
function schemaFromFile(file: string, rulesFile: string | undefined, schemaType: SchemaType | undefined): SchemaInfo {
  const text = readText(file, 'schema');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  let info: SchemaInfo;
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { schema?: unknown }).schema === 'string') {
    const s = v as SchemaInfo;
    info = { schema: s.schema, schemaType: schemaType ?? s.schemaType ?? 'AVRO', metadata: s.metadata, ruleSet: s.ruleSet, references: s.references };
  } else {
    const type = schemaType ?? typeByExtension(file);
    if (type !== 'PROTOBUF' && v === undefined) throw new UsageError(`schema file ${file} is not valid JSON (a ${type} schema)`);
    info = { schema: type === 'PROTOBUF' ? text : JSON.stringify(v), schemaType: type };
  }
  if (rulesFile) {
    const r = readJson<RuleSet | { ruleSet: RuleSet }>(rulesFile, 'rules');
    info.ruleSet = 'ruleSet' in r ? r.ruleSet : r;
  }
  if (!info.ruleSet) throw new UsageError(`schema file ${file} has no ruleSet: pass --rules FILE (nothing would be decrypted)`);
  return info;
}

function defaultSubject(lines: readonly ExportedKeyLine[]): string {
  const subjects = [...new Set(lines.map((l) => l.subject))];
  if (subjects.length !== 1) {
    throw new UsageError(`the keys hold ${subjects.length} subjects: pass --subject to say which one encrypted the records`);
  }
  return subjects[0]!;
}

/** Registers the `decrypt` command. */
export function registerDecrypt(program: Command, ctx: CliContext): void {
  addKafkaConnectionOptions(program.command('decrypt'))
    .description(
      'decrypt framed records with exported keys (no DEK Registry; no KMS with plaintext keys): one base64 or hex ' +
        'record per line on stdin, or --topic from a broker; prints one JSON line per record',
    )
    .requiredOption('--keys <path...>', 'key export files or directories')
    .option('--schema-registry <url>', 'schema registry holding the records\' schemas')
    .option('--schema <file>', 'one schema for every record: JSON as `schema get` prints it, or a bare schema (.avsc, .json, .proto) with --rules')
    .addOption(
      new Option('--schema-type <type>', 'with --schema: the schema type (default: the file\'s schemaType, else by extension: .proto PROTOBUF, .json JSON, else AVRO)').choices(['AVRO', 'JSON', 'PROTOBUF']),
    )
    .option('--rules <file>', 'with --schema: the rule set (JSON)')
    .option('--subject <subject>', 'subject whose DEKs encrypted the records (default: <topic>-value, or the only subject in the keys)')
    .option('--topic <topic>', 'read this topic from the beginning up to its end at start (instead of stdin)')
    .option('--kms-config <key=value>', 'KMS driver config for wrapped keys (repeatable)', keyValue)
    .addOption(new Option('--encoding <encoding>', 'stdin record encoding').choices(['auto', 'hex', 'base64']).default('auto'))
    .action(async (o: DecryptFlags) => {
      if ((o.schema === undefined) === (o.schemaRegistry === undefined)) {
        throw new UsageError('pass exactly one of --schema-registry URL and --schema FILE');
      }
      if (o.rules !== undefined && o.schema === undefined) throw new UsageError('--rules applies only with --schema');
      if (o.schemaType !== undefined && o.schema === undefined) throw new UsageError('--schema-type applies only with --schema');
      const lines = await readExportedKeys(o.keys);
      if (lines.length === 0) throw new UsageError(`no keys in ${o.keys.join(', ')}`);
      const kmsTypes = new Set(lines.filter((l) => !isPlaintextLine(l)).map((l) => (l as { kmsType: string }).kmsType));
      const kms = Object.fromEntries([...kmsTypes].map((t) => [t, o.kmsConfig ?? {}]));
      const subject = o.subject ?? (o.topic === undefined ? defaultSubject(lines) : undefined);
      const deserializer = createOfflineDeserializer({
        keys: new ExportedKeyRegistry(lines),
        ...(o.schema !== undefined
          ? { schema: schemaFromFile(o.schema, o.rules, o.schemaType) }
          : { schemaRegistry: new HttpSchemaSource(ctx.connection(o.schemaRegistry)) }),
        ...(subject !== undefined ? { subject } : {}),
        kms,
      });
      let count = 0;
      const report = (): void => ctx.progress.update(`decrypt: ${count} records`);

      if (o.topic !== undefined) {
        const topic = o.topic;
        await readTopic(kafkaConnection(o, ctx.io.env), topic, async (r) => {
          if (r.value === null) return;
          let value: unknown;
          try {
            value = await deserializer.deserialize(topic, r.value, r.headers);
          } catch (e) {
            if (e instanceof CsfleError) throw e.withContext({ topic, partition: r.partition, offset: r.offset });
            throw e;
          }
          ctx.io.out(`{"partition":${r.partition},"offset":"${r.offset}","value":${recordToJson(value)}}\n`);
          count++;
          report();
        });
        return;
      }
      const input = ctx.io.stdin ?? process.stdin;
      let lineNo = 0;
      for await (const text of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (!text.trim()) continue;
        let value: unknown;
        try {
          value = await deserializer.deserialize(subject ?? '', decodeRecordLine(text, o.encoding));
        } catch (e) {
          if (e instanceof CsfleError) throw e.withContext({}, `record on input line ${lineNo}: ${e.detail}`);
          throw e;
        }
        ctx.io.out(`${recordToJson(value)}\n`);
        count++;
        report();
      }
    });
}
