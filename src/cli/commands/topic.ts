/**
 * `kafka-csfle topic ...`: jobs over Kafka topics. `topic reencrypt` copies a topic under the
 * current keys, exactly once (see docs/key-lifecycle.md). The Kafka connection and serde flags
 * are shared by every command of the group ({@link addKafkaOptions}, {@link kafkaConnection},
 * {@link serdeFromFlags}).
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import {
  CsfleError,
  reencryptTopic,
  registeredKmsTypes,
  verifyReencryption,
  type KafkaConnection,
  type KeyFormat,
  type ReencryptProgress,
  type SerdeOptions,
  type SubjectNameStrategy,
} from '../../index';
import { intArg, keyValue, UsageError } from '../args';
import type { CliContext } from '../context';

/** Flags of the Kafka connection and of the serdes, shared by the `topic` commands. */
export interface KafkaFlags {
  brokers?: string;
  kafkaSsl?: boolean;
  kafkaSasl?: string;
  schemaRegistry?: string;
  dekRegistry?: string;
  kmsConfig?: Record<string, string>;
  subjectNameStrategy?: SubjectNameStrategy;
  keyFormat?: KeyFormat;
}

/** Adds the Kafka connection flags (`--brokers`, `--kafka-ssl`, `--kafka-sasl`) read by {@link kafkaConnection}. */
export function addKafkaConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--brokers <host:port,...>', 'Kafka bootstrap brokers (env KAFKA_BROKERS)')
    .option('--kafka-ssl', 'connect to Kafka with TLS')
    .addOption(
      new Option('--kafka-sasl <mechanism>', 'SASL mechanism; credentials from env KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD').choices([
        'plain',
        'scram-sha-256',
        'scram-sha-512',
      ]),
    );
}

/** Adds the Kafka connection and serde flags to a `topic` command. */
export function addKafkaOptions(cmd: Command): Command {
  return addKafkaConnectionOptions(cmd)
    .option('--schema-registry <url>', 'schema registry URL (default: --url / SCHEMA_REGISTRY_URL)')
    .option('--dek-registry <url>', 'DEK registry URL (default: the schema registry)')
    .option('--kms-config <key=value>', 'KMS driver config given to every KMS type, e.g. secret=... for local-kms (repeatable)', keyValue)
    .addOption(new Option('--subject-name-strategy <strategy>', 'value subject name strategy (default topic)').choices(['topic', 'record', 'topic-record']))
    .addOption(new Option('--key-format <format>', 'keys: auto (re-encrypt Avro-framed keys), avro, raw (default auto)').choices(['auto', 'avro', 'raw']));
}

/** The `topic` command group, created by whichever topic command registers first. */
export function topicGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'topic') ?? program.command('topic').description('jobs over Kafka topics (re-encryption, audit)');
}

/**
 * The Kafka connection of every `topic` command: brokers from `--brokers` or `KAFKA_BROKERS`,
 * `--kafka-ssl`, SASL from `--kafka-sasl` or `KAFKA_SASL_MECHANISM` with `KAFKA_SASL_USERNAME` /
 * `KAFKA_SASL_PASSWORD`.
 */
export function kafkaConnection(o: Pick<KafkaFlags, 'brokers' | 'kafkaSsl' | 'kafkaSasl'>, env: CliContext['io']['env']): KafkaConnection {
  const brokers = (o.brokers ?? env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new UsageError('no Kafka brokers: pass --brokers or set KAFKA_BROKERS');
  const conn: KafkaConnection = { brokers };
  if (o.kafkaSsl) conn.ssl = true;
  const mechanism = o.kafkaSasl ?? env.KAFKA_SASL_MECHANISM;
  if (mechanism) {
    const username = env.KAFKA_SASL_USERNAME;
    const password = env.KAFKA_SASL_PASSWORD;
    if (!username || !password) throw new UsageError('SASL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD in the environment');
    conn.sasl = { mechanism, username, password };
  }
  return conn;
}

/** Serde options (registries, KMS config, subject name strategy) from the flags and global options. */
export function serdeFromFlags(o: KafkaFlags, ctx: CliContext): SerdeOptions {
  const schemaRegistry = ctx.connection(o.schemaRegistry);
  const dekRegistry = o.dekRegistry ? ctx.connection(o.dekRegistry) : schemaRegistry;
  const kmsConfig = o.kmsConfig ?? {};
  return {
    schemaRegistry,
    dekRegistry,
    kms: Object.fromEntries(registeredKmsTypes().map((t) => [t, kmsConfig])),
    ...(o.subjectNameStrategy ? { subjectNameStrategy: o.subjectNameStrategy } : {}),
  };
}

/** One progress line: rate, lag per partition, ETA. */
export function progressText(p: ReencryptProgress): string {
  const lag = Object.entries(p.lag)
    .map(([partition, n]) => `p${partition}=${n}`)
    .join(' ');
  const eta = p.etaSeconds === undefined ? '?' : `${p.etaSeconds}s`;
  return `copied ${p.copied}${p.deadLettered ? ` (+${p.deadLettered} dead-lettered)` : ''}, ${p.recordsPerSecond} records/s, lag ${p.totalLag}${lag ? ` [${lag}]` : ''}, ETA ${eta}`;
}

interface ReencryptFlags extends KafkaFlags {
  from: string;
  to: string;
  group?: string;
  deadLetter?: string;
  verify?: boolean;
  stopAtEnd?: boolean;
  maxRecordsPerTransaction?: number;
  sessionTimeout?: number;
}

/** Registers the `topic` command group. */
export function registerTopic(program: Command, ctx: CliContext): void {
  addKafkaOptions(
    topicGroup(program)
      .command('reencrypt')
      .description(
        'copy a topic into another one under the current keys (latest DEK, current rules), exactly once; ' +
          'processes started with the same --group split the partitions; prints a JSON report',
      )
      .requiredOption('--from <topic>', 'source topic')
      .requiredOption('--to <topic>', 'target topic (created with the source partition count if missing)')
      .option('--group <id>', 'consumer group: the job progress (required unless --verify)')
      .option('--dead-letter <topic>', 'copy records that cannot be decrypted there unchanged instead of stopping')
      .option('--stop-at-end', 'stop once the source is copied up to its end as of the start (default: run until Ctrl-C)')
      .option('--verify', 'compare both topics decrypted, record by record, instead of copying (exit 1 on differences)')
      .option('--max-records-per-transaction <n>', 'records per Kafka transaction (default 2000)', intArg)
      .option('--session-timeout <ms>', 'consumer group session timeout (default 30000)', intArg),
  ).action(async (o: ReencryptFlags) => {
    const kafka = kafkaConnection(o, ctx.io.env);
    const serde = serdeFromFlags(o, ctx);
    const keyFormat = o.keyFormat;
    if (o.verify) {
      if (o.group !== undefined || o.deadLetter !== undefined || o.stopAtEnd) throw new UsageError('--verify takes no --group, --dead-letter or --stop-at-end');
      ctx.progress.update(`topic reencrypt --verify: reading ${o.from} and ${o.to}`);
      const report = await verifyReencryption({ from: o.from, to: o.to, kafka, serde, ...(keyFormat ? { keyFormat } : {}) });
      ctx.print(report);
      if (!report.match) throw new CsfleError('REENCRYPT_FAILED', 'The target does not match the source (see the report on stdout)', { topic: o.to });
      return;
    }
    if (!o.group) throw new UsageError('topic reencrypt needs --group <id>');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const report = await reencryptTopic({
        from: o.from,
        to: o.to,
        group: o.group,
        kafka,
        serde,
        ...(o.deadLetter !== undefined ? { deadLetter: o.deadLetter } : {}),
        ...(o.stopAtEnd ? { stopAtEnd: true } : {}),
        ...(keyFormat ? { keyFormat } : {}),
        ...(o.maxRecordsPerTransaction !== undefined ? { maxRecordsPerTransaction: o.maxRecordsPerTransaction } : {}),
        ...(o.sessionTimeout !== undefined ? { sessionTimeoutMs: o.sessionTimeout } : {}),
        signal: stop.signal,
        onProgress: (p) => ctx.progress.update(progressText(p)),
      });
      ctx.print(report);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  });
}
