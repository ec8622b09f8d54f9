/**
 * Records that cannot be re-encrypted: the error that names them (topic, partition, offset, never
 * their contents) and their copy for the dead-letter topic.
 *
 * @packageDocumentation
 */
import { CsfleError } from '../errors';
import type { RecordHeaders } from '../serde/framing';
import { TargetWriteError } from './record-copier';

/** Headers added to a dead-lettered record (its key, value and own headers are unchanged). */
export const DEAD_LETTER_HEADERS = {
  topic: 'kafka-csfle.source.topic',
  partition: 'kafka-csfle.source.partition',
  offset: 'kafka-csfle.source.offset',
  error: 'kafka-csfle.error.code',
} as const;

/** A record that cannot be re-encrypted, as an error naming topic, partition and offset (never its contents). */
export function badRecord(failure: unknown, topic: string, partition: number, offset: string): CsfleError {
  const writing = failure instanceof TargetWriteError;
  const err = writing ? failure.error : failure;
  const cause = err instanceof CsfleError ? err : undefined;
  return new CsfleError(
    'REENCRYPT_FAILED',
    `Cannot ${writing ? 'write the re-encrypted' : 're-encrypt the'} record: ${cause ? `${cause.code}: ${cause.detail}` : 'unexpected failure'}`,
    { ...(cause?.context ?? {}), topic, partition, offset, retryable: cause?.retryable ?? false, cause: err },
  );
}

/** A consumed record, as much of it as a dead letter needs (kafkajs' `KafkaMessage` fits; no kafkajs types in the declarations). */
export interface ConsumedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
  timestamp: string;
  offset: string;
}

/** The dead letter of a record: unchanged, with the source and error headers added. */
export function deadLetterMessage(m: ConsumedRecord, topic: string, partition: number, err: CsfleError): { key: Buffer | null; value: Buffer | null; headers: RecordHeaders; timestamp: string } {
  const headers: RecordHeaders = { ...(m.headers ?? {}) };
  headers[DEAD_LETTER_HEADERS.topic] = topic;
  headers[DEAD_LETTER_HEADERS.partition] = String(partition);
  headers[DEAD_LETTER_HEADERS.offset] = m.offset;
  headers[DEAD_LETTER_HEADERS.error] = (err.cause as CsfleError | undefined)?.code ?? err.code;
  return { key: m.key, value: m.value, headers, timestamp: m.timestamp };
}
