/**
 * A KEK rewrap in its own process, for crash tests: the test sets KAFKA_CSFLE_TEST_CRASH_AT to
 * make it SIGKILL itself at a step boundary. Prints the report as JSON on stdout.
 *
 * Env: SCHEMA_REGISTRY_URL, CSFLE_KEK, CSFLE_JOURNAL, CSFLE_LOCAL_SECRET, CSFLE_RESUME (1 = resume).
 */
import { rewrapKek } from '../../../src/index';

async function main(): Promise<void> {
  const report = await rewrapKek({
    dekRegistry: { url: process.env.SCHEMA_REGISTRY_URL!, maxRetries: 1 },
    kms: { 'local-kms': { secret: process.env.CSFLE_LOCAL_SECRET! } },
    kekName: process.env.CSFLE_KEK!,
    journalPath: process.env.CSFLE_JOURNAL!,
    resume: process.env.CSFLE_RESUME === '1',
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: { code: (e as { code?: string }).code, message: String((e as Error).message) } })}\n`);
  process.exitCode = 1;
});
