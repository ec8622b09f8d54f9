/**
 * A consumer in a fresh process (empty caches): reads Confluent-framed records (base64, one per
 * line on stdin), deserializes them with kafka-csfle against the registry at SCHEMA_REGISTRY_URL
 * and prints one JSON line per record. Errors print {"error":{code,retryable,message}} and exit 1.
 *
 * Env: SCHEMA_REGISTRY_URL, CSFLE_TOPIC, CSFLE_LOCAL_SECRET.
 */
import { AvroDeserializer, CsfleError } from '../../../src/index';

async function main(): Promise<void> {
  const url = process.env.SCHEMA_REGISTRY_URL;
  const topic = process.env.CSFLE_TOPIC;
  const secret = process.env.CSFLE_LOCAL_SECRET;
  if (!url || !topic || !secret) throw new Error('SCHEMA_REGISTRY_URL, CSFLE_TOPIC and CSFLE_LOCAL_SECRET are required');
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const http = { url, maxRetries: 1, retryBackoffMs: 50, timeoutMs: 3_000 };
  const deserializer = new AvroDeserializer({
    schemaRegistry: http,
    dekRegistry: http,
    kms: { 'local-kms': { secret } },
  });
  for (const line of input.split('\n').filter(Boolean)) {
    const value = await deserializer.deserialize(topic, Buffer.from(line, 'base64'));
    process.stdout.write(`${JSON.stringify(value, (_k, v) => (Buffer.isBuffer(v) ? v.toString('base64') : v))}\n`);
  }
}

main().catch((e: unknown) => {
  const err = e instanceof CsfleError ? { code: e.code, retryable: e.retryable, message: e.message } : { message: String(e) };
  process.stdout.write(`${JSON.stringify({ error: err })}\n`);
  process.exitCode = 1;
});
