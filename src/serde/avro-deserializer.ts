/**
 * The Avro deserializer: parses Confluent framing, decodes with the writer schema and decrypts
 * the encrypted fields the consumer has access to.
 *
 * @packageDocumentation
 */
import { CsfleError, SerdeError } from '../errors';
import { parseFrame } from './framing';
import type { DeserializerOptions } from './options';
import { runReadFieldSteps, runReadPayloadSteps } from './rule-runner';
import { SerdeCore, type SchemaContext } from './serde-core';
import { needsRecordName, subjectName } from './subject';

/**
 * Deserializes Confluent-framed Avro, decrypting encrypted fields (and payloads).
 *
 * With `onFailure: "ERROR,NONE"` a consumer without access to the KEK receives the record with
 * the encrypted fields left as ciphertext (base64 strings / bytes) instead of an error.
 *
 * @example
 * ```ts
 * const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } } });
 * const customer = await deserializer.deserialize('customers', message.value);
 * ```
 */
export class AvroDeserializer {
  readonly #core: SerdeCore;
  readonly #options: DeserializerOptions;
  /** topic → schema id → context (no per-record string building). */
  readonly #contexts = new Map<string, Map<number, SchemaContext>>();
  readonly #pending = new Map<string, Promise<SchemaContext>>();

  constructor(options: DeserializerOptions) {
    this.#core = new SerdeCore(options);
    this.#options = options;
  }

  /** Deserializes one message. Rejects with a {@link CsfleError} (never containing field values). */
  async deserialize(topic: string, bytes: Buffer): Promise<unknown> {
    const { schemaId, payload } = parseFrame(bytes, topic);
    const ctx = this.#contexts.get(topic)?.get(schemaId) ?? (await this.#context(topic, schemaId));
    const errCtx = { topic, subject: ctx.subject, schemaId };
    const body = ctx.steps.encoding.length === 0 ? payload : await runReadPayloadSteps(ctx.steps.encoding, this.#core.keyRing, ctx.subject, payload, errCtx);
    let value: unknown;
    try {
      value = ctx.type.fromBuffer(body);
    } catch {
      // avsc messages may quote decoded data: say only what failed.
      throw new SerdeError('DESERIALIZATION_FAILED', 'Payload does not decode with the writer schema (truncated or corrupted message?)', errCtx);
    }
    return ctx.steps.domain.length === 0 ? value : runReadFieldSteps(ctx.steps.domain, this.#core.keyRing, ctx.subject, value, errCtx);
  }

  #context(topic: string, schemaId: number): Promise<SchemaContext> {
    const key = `${topic}\u0000${schemaId}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      const isKey = this.#options.isKey ?? false;
      const strategy = this.#options.subjectNameStrategy;
      // With the topic strategy the subject is known before the schema: pass it to the registry.
      const subject = needsRecordName(strategy) ? (recordName: string | undefined) => subjectName(strategy, topic, isKey, recordName) : subjectName(strategy, topic, isKey, undefined);
      pending = this.#core
        .context(schemaId, subject, 'READ')
        .then((ctx) => {
          let byId = this.#contexts.get(topic);
          if (!byId) this.#contexts.set(topic, (byId = new Map()));
          byId.set(schemaId, ctx);
          return ctx;
        })
        .catch((err: unknown) => {
          if (err instanceof CsfleError) throw err;
          throw new SerdeError('DESERIALIZATION_FAILED', `Could not resolve schema: ${(err as Error).message}`, { topic, schemaId });
        })
        .finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }
}
