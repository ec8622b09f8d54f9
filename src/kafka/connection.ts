/**
 * Kafka-side types of the public API that must not need kafkajs' own type declarations (kafkajs
 * is an optional peer: an app without it still type-checks with \`skipLibCheck: false\`).
 *
 * @packageDocumentation
 */

/** Connection to the Kafka cluster (the subset of kafkajs' `KafkaConfig` the jobs pass through). */
export interface KafkaConnection {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Client id (default `kafka-csfle`). */
  clientId?: string;
  /** TLS: `true`, or Node `tls.connect` options (CA, client certificate). */
  ssl?: boolean | Record<string, unknown>;
  /** SASL: kafkajs' `{ mechanism, username, password }` (or other mechanisms' fields). */
  sasl?: Record<string, unknown>;
  /** Connection timeout in ms (kafkajs default 1000). */
  connectionTimeout?: number;
  /** Request timeout in ms (kafkajs default 30000). */
  requestTimeout?: number;
}

/**
 * A kafkajs \`Kafka\` instance, described by shape so the public declarations never import
 * kafkajs' types. Any kafkajs 2.x \`Kafka\` satisfies it.
 */
export interface KafkajsClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumer(config: any): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  producer(config?: any): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  admin(config?: any): unknown;
}

/** How record keys are handled: \`auto\` (Avro if framed, else raw), \`avro\` or \`raw\`. */
export type KeyFormat = 'auto' | 'avro' | 'raw';
