/**
 * The package as a new user gets it: `npm pack`, install the tarball into a fresh app (from the
 * npm cache when possible), then ESM import, CJS require, a real round trip, `tsc --strict` with
 * `skipLibCheck: false` under node16 (ESM and CJS), nodenext and bundler, `npx kafka-csfle
 * --version`, arethetypeswrong, the install size and no EBADENGINE warning. Cloud SDKs are not
 * installed: their drivers must fail with KMS_DRIVER_UNAVAILABLE naming the install line.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const MAX_INSTALL_BYTES = 15 * 1024 * 1024;

/** Child env without the npm_* variables `npm test` sets (they would leak its config). */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

let work: string;
let app: string;
let tarball: string;
let installLog: string;

function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    total += st.isDirectory() ? bytesUnder(p) : st.size;
  }
  return total;
}

async function node(args: string[]): Promise<string> {
  return (await exec(process.execPath, args, { cwd: app, env })).stdout;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'csfle-pkg-'));
  const packed = await exec('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: root, env });
  tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
  const r = await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'warn', tarball], { cwd: app, env });
  installLog = r.stdout + r.stderr;
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('installed from the packed tarball into a fresh app', () => {
  it('ships LICENSE, no source map without its sources, and no cloud SDK', async () => {
    const dir = path.join(app, 'node_modules/kafka-csfle');
    expect(readFileSync(path.join(dir, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    const map = JSON.parse(readFileSync(path.join(dir, 'dist/cjs/index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    expect(map.sourcesContent?.length).toBe(map.sources.length);
    for (const sdk of ['@aws-sdk/client-kms', '@azure/identity', '@azure/keyvault-keys', '@google-cloud/kms', '@kafkajs/confluent-schema-registry']) {
      expect(() => lstatSync(path.join(app, 'node_modules', sdk)), sdk).toThrow();
    }
  });

  it('installs without EBADENGINE (or any) warning, within 15 MB', () => {
    expect(installLog).not.toMatch(/EBADENGINE|deprecated/i);
    expect(installLog).not.toMatch(/npm warn/i);
    const bytes = bytesUnder(path.join(app, 'node_modules'));
    expect(bytes).toBeLessThanOrEqual(MAX_INSTALL_BYTES);
  });

  it('works from CJS require and ESM import (one module instance), with a real round trip', async () => {
    const roundTrip = `
      const schema = { type: 'record', name: 'User', fields: [{ name: 'ssn', type: 'string', 'confluent:tags': ['PII'] }] };
      const ruleSet = { domainRules: [{ name: 'e', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'],
        params: { 'encrypt.kek.name': 'k', 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'x' } }] };
      const schemaRegistry = new m.InMemorySchemaRegistry();
      const dekRegistry = new m.InMemoryDekRegistry();
      const kms = { 'local-kms': { secret: 'pkg-test-secret' } };
      const ser = new m.AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(schema), ruleSet } });
      const bytes = await ser.serialize('t', { ssn: '123-45-6789' });
      const back = await new m.AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('t', bytes);
      console.log(JSON.stringify({ clear: bytes.includes('123-45-6789'), back }));`;
    const cjs = await node(['-e', `const m = require('kafka-csfle'); (async () => { ${roundTrip} })()`]);
    expect(JSON.parse(cjs)).toEqual({ clear: false, back: { ssn: '123-45-6789' } });
    const esm = await node([
      '--input-type=module',
      '-e',
      `import * as m from 'kafka-csfle'; import { createRequire } from 'node:module';
       if (m.AvroSerializer !== createRequire(import.meta.url)('kafka-csfle').AvroSerializer) throw new Error('two instances');
       ${roundTrip}`,
    ]);
    expect(JSON.parse(esm)).toEqual({ clear: false, back: { ssn: '123-45-6789' } });
  });

  it('a cloud driver without its SDK fails on first use with KMS_DRIVER_UNAVAILABLE and the npm install line', async () => {
    const out = await node([
      '-e',
      `const m = require('kafka-csfle');
       const cases = [['aws-kms', 'arn:aws:kms:us-east-1:111122223333:key/k', { region: 'us-east-1' }],
         ['azure-kms', 'https://v.vault.azure.net/keys/k/1', { 'tenant.id': 't', 'client.id': 'c', 'client.secret': 's' }],
         ['gcp-kms', 'projects/p/locations/l/keyRings/r/cryptoKeys/k', {}]];
       (async () => {
         const res = {};
         for (const [type, id, config] of cases) {
           try { await (await m.getKmsDriver(type).newClient({ kmsKeyId: id, config })).wrap(Buffer.alloc(16)); res[type] = 'no error'; }
           catch (e) { res[type] = [e.code, e.message]; }
         }
         console.log(JSON.stringify(res));
       })();`,
    ]);
    const res = JSON.parse(out) as Record<string, [string, string]>;
    expect(res['aws-kms']![0]).toBe('KMS_DRIVER_UNAVAILABLE');
    expect(res['aws-kms']![1]).toContain('Run: npm install @aws-sdk/client-kms @aws-sdk/credential-provider-node @aws-sdk/client-sts');
    expect(res['azure-kms']![0]).toBe('KMS_DRIVER_UNAVAILABLE');
    expect(res['azure-kms']![1]).toContain('Run: npm install @azure/keyvault-keys @azure/identity');
    expect(res['gcp-kms']![0]).toBe('KMS_DRIVER_UNAVAILABLE');
    expect(res['gcp-kms']![1]).toContain('Run: npm install @google-cloud/kms');
  });

  it('type-checks a consumer app under node16 (ESM, CJS), nodenext and bundler with skipLibCheck false', async () => {
    const source = `import { AvroSerializer, InMemorySchemaRegistry, InMemoryDekRegistry, CsfleError, type KmsOptions, type RegistryHttpOptions } from 'kafka-csfle';
const kms: KmsOptions = {
  'aws-kms': { 'access.key.id': 'a', 'secret.access.key': 'b', region: 'eu-west-1' },
  hcvault: { 'token.id': 't', 'ssl.ca.location': '/etc/ca.pem' },
  'my-custom-kms': { anything: 1 },
};
// @ts-expect-error a misspelt key of a built-in driver does not compile
const typo: KmsOptions = { 'aws-kms': { 'secret.acess.key': 'b' } };
const http: RegistryHttpOptions = { url: 'https://sr:8081', 'ssl.ca.location': '/etc/ca.pem', rejectUnauthorized: true };
export const ser = new AvroSerializer({ schemaRegistry: new InMemorySchemaRegistry(), dekRegistry: new InMemoryDekRegistry(), kms });
export const isErr = (e: unknown): boolean => e instanceof CsfleError;
export { typo, http };
`;
    const typeRoots = [path.join(root, 'node_modules/@types')];
    const configs: Record<string, { file: string; type?: 'module'; compilerOptions: Record<string, unknown> }> = {
      'node16-esm': { file: 'a.mts', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
      'node16-cjs': { file: 'a.cts', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
      nodenext: { file: 'a.ts', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
      bundler: { file: 'a.ts', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
    };
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    await Promise.all(
      Object.entries(configs).map(async ([name, c]) => {
        const dir = path.join(app, `ts-${name}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, ...(c.type ? { type: c.type } : {}) }));
        writeFileSync(path.join(dir, c.file), source);
        writeFileSync(
          path.join(dir, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: { ...c.compilerOptions, target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'], typeRoots },
            files: [c.file],
          }),
        );
        const r = await exec(process.execPath, [tsc, '-p', dir], { cwd: dir, env }).catch((e: { stdout: string }) => ({ stdout: `FAILED\n${e.stdout}` }));
        expect(r.stdout, name).toBe('');
      }),
    );
  }, 120_000);

  it('npx kafka-csfle --version prints the package version', async () => {
    const r = await exec('npx', ['--no-install', 'kafka-csfle', '--version'], { cwd: app, env });
    expect(r.stdout.trim()).toBe(pkg.version);
  }, 60_000);

  it('arethetypeswrong finds no problem in the tarball', async () => {
    const cli = path.join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const out = path.join(work, 'attw.json');
    // to a file: the CLI exits before a large piped stdout is flushed
    await exec('sh', ['-c', `"${process.execPath}" "${cli}" "${tarball}" --format json > "${out}"`], { cwd: work, env }).catch(() => undefined);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { problems: Record<string, unknown[]> };
    expect(Object.keys(report.problems)).toEqual([]);
  }, 60_000);
});
