/**
 * Loads kafkajs, an optional peer dependency, on first use: the rest of the library works
 * without it. The only module of kafka-csfle that imports kafkajs at run time.
 *
 * @packageDocumentation
 */
import type * as KafkaJs from 'kafkajs';
import { CsfleError, type CsfleErrorCode } from '../errors';
import type { KafkaConnection } from './connection';

export type { KafkaConnection } from './connection';

/** The kafkajs module. */
export type KafkajsModule = typeof KafkaJs;

let loading: Promise<KafkajsModule> | undefined;

/**
 * The kafkajs module, imported once. Rejects with a {@link CsfleError} of `code` when kafkajs is
 * not installed.
 */
export function loadKafkajs(code: CsfleErrorCode): Promise<KafkajsModule> {
  loading ??= import('kafkajs').catch((err: unknown) => {
    loading = undefined;
    throw new CsfleError(code, 'kafkajs is not installed: add it to your project (npm install kafkajs) to use the Kafka jobs', { cause: err });
  });
  return loading;
}


/** A kafkajs client for `connection`, logging only errors (through `warn` when given). */
export async function newKafka(
  connection: KafkaConnection,
  code: CsfleErrorCode,
  warn?: (message: string, context?: Record<string, unknown>) => void,
): Promise<KafkaJs.Kafka> {
  const kafkajs = await loadKafkajs(code);
  const { brokers, clientId, ...rest } = connection;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new CsfleError(code, 'No Kafka brokers given');
  }
  return new kafkajs.Kafka({
    ...(rest as Partial<KafkaJs.KafkaConfig>),
    brokers,
    clientId: clientId ?? 'kafka-csfle',
    logLevel: kafkajs.logLevel.ERROR,
    logCreator:
      () =>
      ({ log }) => {
        if (warn) warn(`kafkajs: ${String(log.message)}`, { broker: log.broker, groupId: log.groupId });
      },
  });
}

/** True when a kafkajs error says this producer was fenced (another one took its transactional id). */
export function isFenced(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e != null && depth < 5; depth++) {
    const o = e as { type?: unknown; name?: unknown; cause?: unknown; originalError?: unknown };
    if (o.type === 'INVALID_PRODUCER_EPOCH' || o.type === 'PRODUCER_FENCED') return true;
    e = o.cause ?? o.originalError;
  }
  return false;
}
