/**
 * `kafka-csfle inspect`: one framed record (hex or base64 argument, or stdin), looked at without
 * any key — schema id / GUID, subject, writer schema, each tagged field as ciphertext or clear
 * text, DEK versions referenced.
 *
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { HttpSchemaSource, RecordInspector, type SubjectNameStrategy } from '../../index';
import { UsageError } from '../args';
import type { CliContext } from '../context';

type Encoding = 'hex' | 'base64' | 'raw';

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The record bytes from text (hex or base64; `auto` tries hex first) or raw bytes. */
export function recordBytes(input: Buffer | string, encoding: Encoding | 'auto'): Buffer {
  if (encoding === 'raw') return Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const text = (Buffer.isBuffer(input) ? input.toString('latin1') : input).replace(/\s+/g, '');
  if (encoding === 'hex' || (encoding === 'auto' && HEX.test(text))) {
    if (!HEX.test(text)) throw new UsageError('the record is not valid hex');
    return Buffer.from(text, 'hex');
  }
  if (encoding === 'base64' || (encoding === 'auto' && BASE64.test(text))) {
    if (!BASE64.test(text)) throw new UsageError('the record is not valid base64');
    return Buffer.from(text, 'base64');
  }
  if (Buffer.isBuffer(input)) return input; // stdin: raw bytes (e.g. from kcat)
  throw new UsageError('the record must be hex or base64 (or raw bytes on stdin)');
}

/** Registers `inspect`. */
export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('show schema, subject and each tagged field of one framed record as ciphertext or clear text (no key needed)')
    .argument('[record]', 'the record (key or value bytes) in hex or base64; read from stdin when absent (hex, base64 or raw bytes)')
    .option('--topic <topic>', 'topic of the record (subject from the subject name strategy)')
    .option('--subject <subject>', 'subject of the record (instead of --topic)')
    .addOption(new Option('--subject-strategy <strategy>', 'subject name strategy with --topic').choices(['topic', 'record', 'topic-record']).default('topic'))
    .option('--key', 'the record is a Kafka record key (subject <topic>-key)')
    .addOption(new Option('--encoding <encoding>', 'how the record is written (default: auto)').choices(['hex', 'base64', 'raw']))
    .action(async (record: string | undefined, o: { topic?: string; subject?: string; subjectStrategy: SubjectNameStrategy; key?: boolean; encoding?: Encoding }) => {
      if ((o.topic === undefined) === (o.subject === undefined)) throw new UsageError('give either --topic or --subject');
      let input: Buffer | string;
      if (record !== undefined) input = record;
      else {
        if (!ctx.io.readStdin) throw new UsageError('no record given and no stdin to read');
        input = await ctx.io.readStdin();
      }
      const bytes = recordBytes(input, o.encoding ?? 'auto');
      if (bytes.length === 0) throw new UsageError('the record is empty');
      const inspector = new RecordInspector({
        schemaRegistry: new HttpSchemaSource(ctx.connection()),
        subjectNameStrategy: o.subjectStrategy,
        isKey: o.key === true,
      });
      ctx.print(await inspector.inspect(bytes, { ...(o.topic !== undefined ? { topic: o.topic } : {}), ...(o.subject !== undefined ? { subject: o.subject } : {}) }));
    });
}
