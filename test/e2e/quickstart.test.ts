/**
 * The README Quickstart, extracted from README.md and run as a user would (its own process,
 * `tsx`, importing 'kafka-csfle' by name) against the broker and registry of `npm test`: it must
 * print the decrypted record and exit by itself, twice in a row (its topic, KEK and schema are its
 * own, so a re-run does not conflict). Also: the examples' producer and consumer agree on the
 * default local-kms secret when LOCAL_SECRET is not set.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleCustomers } from '../../examples/customer-schema';
import { ROOT, runTsx as run } from './run-tsx';

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  for (const k of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL']) {
    if (!process.env[k]) throw new Error(`${k} is not set: run with \`npm test\` (starts Kafka and AxonOps)`);
  }
  const e: NodeJS.ProcessEnv = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...extra };
  return e;
}

const dir = mkdtempSync(path.join(ROOT, '.quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README Quickstart and examples as a new user runs them', () => {
  it('the Quickstart prints the decrypted record and exits, twice in a row', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('## Quickstart')[1]!;
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    expect(code).toContain("'quickstart-kek'");
    expect(code).toContain('await consumer.disconnect()');
    const file = path.join(dir, 'quickstart.mts');
    writeFileSync(file, code);
    for (let i = 0; i < 2; i++) {
      const r = await run(file, env({ LOCAL_SECRET: 'quickstart-test-secret' }));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/name: 'Ada'/);
      expect(r.stdout).toMatch(/ssn: '123-45-6789'/);
    }
  }, 200_000);

  it('the examples agree on the default local-kms secret when LOCAL_SECRET is unset', async () => {
    const id = randomBytes(4).toString('hex');
    const common = { TOPIC: `defaults-${id}`, KEK_NAME: `defaults-kek-${id}`, KMS_TYPE: 'local-kms', KMS_KEY_ID: 'k', EXPECT: String(sampleCustomers.length), IDLE_TIMEOUT_MS: '60000' };
    const e = env(common);
    delete e.LOCAL_SECRET;
    const produced = await run('examples/producer.ts', e);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toContain('LOCAL_SECRET is not set');
    const consumed = await run('examples/consumer.ts', e);
    expect(consumed.code, consumed.stderr).toBe(0);
    for (const c of sampleCustomers) expect(consumed.stdout).toContain(JSON.stringify(c));
  }, 200_000);
});
