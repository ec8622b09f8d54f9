/**
 * Subject name strategies: topic (`<topic>-value` / `<topic>-key`), record (record full name),
 * topic-record (`<topic>-<record full name>`), or a function.
 *
 * @packageDocumentation
 */
import { SerdeError } from '../errors';
import type { SubjectNameStrategy } from './options';

/** The subject of `topic` under `strategy` (DEKs are scoped to it too). */
export function subjectName(
  strategy: SubjectNameStrategy | undefined,
  topic: string,
  isKey: boolean,
  recordFullName: string | undefined,
): string {
  const s = strategy ?? 'topic';
  if (typeof s === 'function') return s(topic, isKey, recordFullName);
  if (s === 'topic') return `${topic}-${isKey ? 'key' : 'value'}`;
  if (!recordFullName) {
    throw new SerdeError('SERIALIZATION_FAILED', `The ${s} subject name strategy needs a named (record) schema`, { topic });
  }
  if (s === 'record') return recordFullName;
  return `${topic}-${recordFullName}`;
}

/** True when the strategy's subject depends on the record name (known only once the schema is). */
export function needsRecordName(strategy: SubjectNameStrategy | undefined): boolean {
  return strategy === 'record' || strategy === 'topic-record' || typeof strategy === 'function';
}
