/**
 * The kafka-csfle admin CLI against real AxonOps: KEKs, DEKs, schema + rule set registration,
 * auth flags, JSON output, exit codes. One run goes through the real entry point in a child
 * process (`npx tsx src/cli/main.ts`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/cli/program';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { AvroDeserializer, AvroSerializer } from '../../src/index';
import { HttpSchemaSource } from '../../src/serde/http-schema-source';
import { customers, customerSchema, SECRET } from '../registry/e2e-fixtures';
import { ENCRYPT_RULES } from '../registry/fixtures';
import { runCli } from '../helpers/run-cli';
import { requireEnv, StubServer, uniq } from '../registry/helpers';

let url: string;
beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
});

let stubs: StubServer[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.stop()));
  stubs = [];
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; json: unknown }> {
  return cliWith({ errIsTTY: false }, ...argv);
}

async function cliWith(
  opts: { errIsTTY: boolean },
  ...argv: string[]
): Promise<{ code: number; out: string; err: string; json: unknown }> {
  const { code, out, err } = await runCli(argv, { env: { SCHEMA_REGISTRY_URL: url }, errIsTTY: opts.errIsTTY });
  let json: unknown;
  try {
    json = JSON.parse(code === 0 ? out : err);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}

describe('kafka-csfle CLI', () => {
  it('kek create / get / list / update / delete / undelete', async () => {
    const name = uniq('clikek');
    const created = await cli('kek', 'create', name, '--kms-type', 'local-kms', '--kms-key-id', 'k1', '--kms-prop', 'a=b', '--doc', 'hello', '--url', url);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ name, kmsType: 'local-kms', kmsKeyId: 'k1', kmsProps: { a: 'b' }, doc: 'hello', shared: false });
    expect((await cli('kek', 'get', name)).json).toMatchObject({ name });
    expect((await cli('kek', 'list')).json).toContain(name);
    expect((await cli('kek', 'update', name, '--doc', 'bye', '--shared')).json).toMatchObject({ doc: 'bye', shared: true });
    expect((await cli('kek', 'delete', name)).code).toBe(0);
    expect((await cli('kek', 'list')).json).not.toContain(name);
    expect((await cli('kek', 'list', '--deleted')).json).toContain(name);
    expect((await cli('kek', 'undelete', name)).code).toBe(0);
    expect((await cli('kek', 'get', name)).json).toMatchObject({ name });
    const dup = await cli('kek', 'create', name, '--kms-type', 'local-kms', '--kms-key-id', 'k1');
    expect(dup.code).toBe(1);
    expect(dup.json).toMatchObject({ error: { code: 'CONFLICT', status: 409, kekName: name } });
  });

  it('dek create / get / versions / list / delete / undelete', async () => {
    const kek = uniq('clikek');
    await cli('kek', 'create', kek, '--kms-type', 'local-kms', '--kms-key-id', 'k1');
    const subject = `${uniq('t')}-value`;
    const c1 = await cli('dek', 'create', kek, subject, '--algorithm', 'AES256_SIV', '--encrypted-key-material', 'AAAA');
    expect(c1.code).toBe(0);
    expect(c1.json).toMatchObject({ kekName: kek, subject, version: 1, algorithm: 'AES256_SIV' });
    await cli('dek', 'create', kek, subject, '--algorithm', 'AES256_SIV', '--version', '2', '--encrypted-key-material', 'BBBB');
    expect((await cli('dek', 'get', kek, subject, '--algorithm', 'AES256_SIV', '--version', 'latest')).json).toMatchObject({ version: 2 });
    expect((await cli('dek', 'versions', kek, subject, '--algorithm', 'AES256_SIV')).json).toEqual([1, 2]);
    expect((await cli('dek', 'list', kek)).json).toEqual([subject]);
    expect((await cli('dek', 'delete', kek, subject, '--algorithm', 'AES256_SIV', '--version', '1')).code).toBe(0);
    expect((await cli('dek', 'versions', kek, subject, '--algorithm', 'AES256_SIV')).json).toEqual([2]);
    expect((await cli('dek', 'undelete', kek, subject, '--algorithm', 'AES256_SIV', '--version', '1')).code).toBe(0);
    const missing = await cli('dek', 'get', kek, subject);
    expect(missing.code).toBe(1);
    expect(missing.json).toMatchObject({ error: { code: 'DEK_NOT_FOUND', algorithm: 'AES256_GCM' } });
  });

  it('dek create --generate makes a real DEK (local-kms) that producers and consumers then use', async () => {
    const kek = uniq('genkek');
    const topic = uniq('gen');
    const subject = `${topic}-value`;
    const gen = await cli('dek', 'create', kek, subject, '--generate', '--kms-type', 'local-kms', '--kms-key-id', 'mykey', '--kms-config', `secret=${SECRET}`);
    expect(gen.code).toBe(0);
    expect(gen.out).not.toContain(SECRET);
    const dek = gen.json as { version: number; encryptedKeyMaterial: string };
    expect(dek.version).toBe(1);
    const schemaRegistry = new HttpSchemaSource({ url });
    const dekRegistry = new DekRegistryClient({ url });
    const ser = new AvroSerializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret: SECRET } }, schema: customerSchema(kek) });
    const bytes = await ser.serialize(topic, customers[0]);
    expect((await new DekRegistryClient({ url }).getDek(kek, subject))?.encryptedKeyMaterial).toBe(dek.encryptedKeyMaterial);
    const de = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret: SECRET } } });
    expect(await de.deserialize(topic, bytes)).toEqual(customers[0]);
  });

  it('schema register with a rule set from a file, then schema get by id and by subject', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'csfle-cli-'));
    const schemaFile = path.join(dir, 'user.avsc');
    const rulesFile = path.join(dir, 'rules.json');
    const metaFile = path.join(dir, 'metadata.json');
    writeFileSync(
      schemaFile,
      JSON.stringify({ type: 'record', name: uniq('U'), fields: [{ name: 'ssn', type: 'string', 'confluent:tags': ['PII'] }] }),
    );
    writeFileSync(rulesFile, JSON.stringify({ ruleSet: ENCRYPT_RULES('cli-kek') }));
    writeFileSync(metaFile, JSON.stringify({ properties: { owner: 'cli' } }));
    const subject = `${uniq('cli')}-value`;
    const reg = await cli('schema', 'register', subject, '--schema', schemaFile, '--rules', rulesFile, '--metadata', metaFile);
    expect(reg.code).toBe(0);
    const id = (reg.json as { id: number }).id;
    expect(id).toBeGreaterThan(0);
    expect((await cli('schema', 'get', '--id', String(id), '--subject', subject)).json).toMatchObject({ id, ruleSet: ENCRYPT_RULES('cli-kek') });
    expect((await cli('schema', 'get', subject)).json).toMatchObject({ id, version: 1, metadata: { properties: { owner: 'cli' } } });
  });

  it('schema register fails with RULE_SET_DROPPED on a registry that does not keep rule sets', async () => {
    const s = await new StubServer((r) =>
      r.method === 'POST' ? { status: 200, body: { id: 1 } } : { status: 200, body: { schema: '"string"' } },
    ).start();
    stubs.push(s);
    const dir = mkdtempSync(path.join(tmpdir(), 'csfle-cli-'));
    writeFileSync(path.join(dir, 's.avsc'), '"string"');
    writeFileSync(path.join(dir, 'r.json'), JSON.stringify(ENCRYPT_RULES('k')));
    const r = await cli('schema', 'register', 'x-value', '--url', s.url, '--schema', path.join(dir, 's.avsc'), '--rules', path.join(dir, 'r.json'));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ error: { code: 'RULE_SET_DROPPED', subject: 'x-value', schemaId: 1 } });
  });

  it('sends --basic / --bearer credentials and never prints them', async () => {
    const s = await new StubServer(() => ({ status: 401, body: { error_code: 40101, message: 'Unauthorized' } })).start();
    stubs.push(s);
    const basic = await cli('kek', 'list', '--url', s.url, '--basic', 'alice:pw-secret-1');
    expect(basic.code).toBe(1);
    expect(basic.json).toMatchObject({ error: { code: 'UNAUTHORIZED', status: 401 } });
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw-secret-1').toString('base64')}`);
    const bearer = await cli('kek', 'list', '--url', s.url, '--bearer', 'tok-secret-2');
    expect(s.requests[1]!.headers.authorization).toBe('Bearer tok-secret-2');
    for (const r of [basic, bearer]) {
      expect(r.out + r.err).not.toMatch(/pw-secret-1|tok-secret-2/);
    }
  });

  it('usage errors exit 2', async () => {
    expect((await cli('kek', 'create', 'x')).code).toBe(2);
    expect((await cli('dek', 'get', 'k', 's', '--algorithm', 'AES512')).code).toBe(2);
    expect((await cli('nope')).code).toBe(2);
    expect((await cli()).code).toBe(2);
    expect((await cli('kek', 'get')).code).toBe(2); // missing argument
    expect((await cli('kek', 'get', 'a', 'b')).code).toBe(2); // extra argument
    expect((await cli('kek', 'list', '--limit', 'ten')).code).toBe(2);
    expect((await cli('dek', 'create', 'k', 's', '--generate', '--version', '2')).code).toBe(2);
    expect((await cli('dek', 'create', 'k', 's', '--kms-type', 'local-kms')).code).toBe(2); // only with --generate
    expect((await cli('kek', 'update', 'k', '--shared', '--not-shared')).code).toBe(2);
    expect((await cli('--help')).code).toBe(0);
  });

  it('--version prints the package version; -h works per command', async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(pkg.version);
    for (const argv of [['kek', 'create', '-h'], ['dek', 'get', '--help'], ['schema', 'register', '-h'], ['kek', '-h']]) {
      const h = await cli(...argv);
      expect(h.code, argv.join(' ')).toBe(0);
      expect(h.out).toContain(`Usage: kafka-csfle ${argv.slice(0, -1).join(' ')}`);
    }
    expect((await cli('kek', 'create', '-h')).out).toMatch(/--kms-key-id <id>[\s\S]*Global options:[\s\S]*--url <url>/);
  });

  it('a flag that does not apply to the command is a usage error and changes nothing', async () => {
    const name = uniq('strictkek');
    expect((await cli('kek', 'create', name, '--kms-type', 'local-kms', '--kms-key-id', 'k1')).code).toBe(0);
    const r = await cli('kek', 'update', name, '--kms-key-id', 'k2');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--kms-key-id'");
    expect((await cli('kek', 'get', name)).json).toMatchObject({ kmsKeyId: 'k1' });
    expect((await cli('kek', 'list', '--permanent')).code).toBe(2);
    expect((await cli('kek', 'get', name, '--version', '1')).code).toBe(2); // --version is global-only
  });

  describe('against a registry that accepts connections but never answers', () => {
    let silent: Server;
    let silentUrl: string;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      silent = createServer((s) => sockets.add(s)); // accepts, never writes
      await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
      silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => silent.close(ok));
    });

    it('fails fast with REGISTRY_UNAVAILABLE naming the URL', async () => {
      const t0 = Date.now();
      const r = await cli('kek', 'list', '--url', silentUrl, '--connect-timeout', '400');
      const took = Date.now() - t0;
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ error: { code: 'REGISTRY_UNAVAILABLE', retryable: true } });
      expect((r.json as { error: { message: string } }).error.message).toContain(`waiting for ${silentUrl} to answer`);
      expect(took).toBeLessThan(3_000); // no retries of a silent URL (before: 4 x 10 s)
    });

    it('shows a progress line on a TTY after 1 s, and none without a TTY or with --quiet', async () => {
      const argv = ['kek', 'list', '--url', silentUrl, '--connect-timeout', '2300'];
      const [tty, quiet, pipe] = await Promise.all([
        cliWith({ errIsTTY: true }, ...argv),
        cliWith({ errIsTTY: true }, ...argv, '--quiet'),
        cliWith({ errIsTTY: false }, ...argv),
      ]);
      expect(tty.err).toContain(`kek list: waiting for ${silentUrl} (1s)`);
      expect(tty.err).toContain('\r\x1b[K{'); // line cleared before the JSON error
      expect(tty.err.match(/\(\d+s\)/g)!.length).toBeLessThanOrEqual(2); // at most one repaint per second
      for (const r of [quiet, pipe]) {
        expect(r.code).toBe(1);
        expect(r.err).not.toContain('kek list: waiting');
        expect(r.err).not.toContain('\r');
        expect(() => JSON.parse(r.err)).not.toThrow();
      }
    });
  });

  it('runs as a real command (child process, env URL)', async () => {
    const name = uniq('binkek');
    const exec = promisify(execFile);
    const root = path.resolve(__dirname, '../..');
    const { stdout } = await exec('npx', ['tsx', 'src/cli/main.ts', 'kek', 'create', name, '--kms-type', 'local-kms', '--kms-key-id', 'x'], {
      cwd: root,
      env: { ...process.env, SCHEMA_REGISTRY_URL: url },
    });
    expect(JSON.parse(stdout)).toMatchObject({ name });
    const failed = await exec('npx', ['tsx', 'src/cli/main.ts', 'kek', 'get', uniq('missing')], {
      cwd: root,
      env: { ...process.env, SCHEMA_REGISTRY_URL: url },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect(JSON.parse((failed as { stderr: string }).stderr)).toMatchObject({ error: { code: 'KEK_NOT_FOUND' } });
  }, 60_000);
});
