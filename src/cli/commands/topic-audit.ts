/**
 * `kafka-csfle topic audit`: scans a topic and reports tagged fields in clear (exit 1), records
 * per DEK version against the NIST GCM budget, and schemas without encryption rules. Attaches to
 * the `topic` command group (shared with `topic reencrypt`).
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { auditTopic, DEFAULT_AUDIT_GROUP, HttpSchemaSource, type SubjectNameStrategy } from '../../index';
import { intArg, UsageError } from '../args';
import type { CliContext } from '../context';
import { kafkaConnection, topicGroup } from './topic';

/** Registers `topic audit`. */
export function registerTopicAudit(program: Command, ctx: CliContext): void {
  topicGroup(program)
    .command('audit')
    .description('scan a topic: tagged fields in clear (exit 1), records per DEK version vs the 2^32 GCM budget, schemas without rules (no key needed)')
    .requiredOption('--topic <topic>', 'topic to scan')
    .option('--brokers <host:port,...>', 'Kafka bootstrap brokers (env KAFKA_BROKERS)')
    .option('--kafka-ssl', 'connect to Kafka with TLS')
    .addOption(
      new Option('--kafka-sasl <mechanism>', 'SASL mechanism; credentials from env KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD').choices(['plain', 'scram-sha-256', 'scram-sha-512']),
    )
    .option('--from-beginning', 'scan from the earliest offsets (default: from the audit group\'s committed offsets)')
    .addOption(new Option('--max <n>', 'stop after N records').argParser(intArg))
    .option('--group <group>', `consumer group of incremental audits (default ${DEFAULT_AUDIT_GROUP})`)
    .addOption(new Option('--subject-strategy <strategy>', 'subject name strategy').choices(['topic', 'record', 'topic-record']).default('topic'))
    .addOption(new Option('--max-findings <n>', 'clear-field findings listed per subject (counts stay exact; default 1000)').argParser(intArg))
    .action(
      async (o: {
        topic: string;
        brokers?: string;
        kafkaSsl?: boolean;
        kafkaSasl?: string;
        fromBeginning?: boolean;
        max?: number;
        group?: string;
        subjectStrategy: SubjectNameStrategy;
        maxFindings?: number;
      }) => {
        if (o.max === 0) throw new UsageError('--max must be at least 1');
        if (o.fromBeginning && o.group !== undefined) throw new UsageError('--group applies to incremental audits, not with --from-beginning');
        const report = await auditTopic({
          topic: o.topic,
          kafka: kafkaConnection(o, ctx.io.env),
          serde: { schemaRegistry: new HttpSchemaSource(ctx.connection()), subjectNameStrategy: o.subjectStrategy },
          fromBeginning: o.fromBeginning === true,
          ...(o.max !== undefined ? { max: o.max } : {}),
          ...(o.group !== undefined ? { group: o.group } : {}),
          ...(o.maxFindings !== undefined ? { maxFindings: o.maxFindings } : {}),
          onProgress: (p) => ctx.progress.update(`topic audit ${o.topic}: ${p.scanned}/${p.total} records, ${p.clearFields} tagged fields in clear`),
        });
        ctx.progress.done();
        ctx.print(report);
        if (!report.ok) ctx.exitWith(1);
      },
    );
}
