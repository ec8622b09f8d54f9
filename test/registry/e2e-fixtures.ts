/** Records, schema and helpers shared by the serde end-to-end suites against AxonOps. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { SchemaInfo } from '../../src/serde/schema-source';
import { ENCRYPT_RULES } from './fixtures';

export const SECRET = 'e2e-local-kms-secret';

export interface Customer {
  id: number;
  name: string;
  ssn: string;
  note: string;
}

export const customers: Customer[] = [
  { id: 1, name: 'Ada Lovelace', ssn: '111-22-3333', note: 'first' },
  { id: 2, name: 'Alan Turing', ssn: '444-55-6666', note: 'second' },
  { id: 3, name: 'Grace Hopper', ssn: '777-88-9999', note: 'third' },
];

/**
 * The Customer schema (name and ssn tagged PII) with an ENCRYPT rule set for `kek`. The KEK name
 * goes into the namespace so each test's schema is distinct: AxonOps assigns schema ids by the
 * schema's canonical form only (doc ignored), so one schema with two rule sets would share an id
 * (see docs/dek-registry.md).
 */
export function customerSchema(kek: string, algorithm?: string): SchemaInfo {
  return {
    schemaType: 'AVRO',
    schema: JSON.stringify({
      type: 'record',
      name: 'Customer',
      namespace: `e2e.${kek.replace(/[^A-Za-z0-9_]/g, '_')}`,
      fields: [
        { name: 'id', type: 'int' },
        { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
        { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
        { name: 'note', type: 'string' },
      ],
    }),
    ruleSet: ENCRYPT_RULES(kek, 'mykey', algorithm),
  };
}

/** True when no PII plaintext of `c` appears in the framed bytes. */
export function piiHidden(bytes: Buffer, c: Customer): boolean {
  const s = bytes.toString('latin1');
  return !s.includes(c.name) && !s.includes(c.ssn) && s.includes(c.note);
}

const ROOT = path.resolve(__dirname, '../..');

/** Runs procs/consumer.ts in a fresh process (empty caches) over `records`. */
export async function consumeInFreshProcess(
  url: string,
  topic: string,
  records: Buffer[],
): Promise<{ code: number; lines: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'npx',
      ['tsx', path.join('test', 'registry', 'procs', 'consumer.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, SCHEMA_REGISTRY_URL: url, CSFLE_TOPIC: topic, CSFLE_LOCAL_SECRET: SECRET },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const lines = stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            try {
              return JSON.parse(l) as Record<string, unknown>;
            } catch {
              return { unparsed: l };
            }
          });
        if (err && typeof (err as { code?: unknown }).code !== 'number') {
          reject(new Error(`consumer process failed to run: ${err.message}\n${stderr}`));
          return;
        }
        resolve({ code: err ? ((err as { code: number }).code ?? 1) : 0, lines });
      },
    );
    child.stdin?.end(records.map((r) => r.toString('base64')).join('\n') + '\n');
  });
}
