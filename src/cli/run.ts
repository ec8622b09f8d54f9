/**
 * The `kafka-csfle` admin command: KEKs, DEKs and schemas with rule sets, against a
 * Confluent-compatible registry. Output is JSON on stdout; errors are JSON on stderr.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CsfleError,
  DekRegistryClient,
  HttpSchemaSource,
  KeyRing,
  type DekAlgorithm,
  type Metadata,
  type RegistryHttpOptions,
  type RuleSet,
  type SchemaInfo,
  type SchemaReference,
} from '../index';

/** Where the command writes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

/** Usage text. */
export const USAGE = `kafka-csfle — administer CSFLE keys and schemas in a Confluent-compatible registry

Usage: kafka-csfle [global options] <command> [arguments] [options]

Global options:
  --url URL[,URL...]     registry base URL(s), failover in order (env SCHEMA_REGISTRY_URL)
  --basic USER:PASS      HTTP basic auth (env SCHEMA_REGISTRY_BASIC_AUTH)
  --bearer TOKEN         bearer token (env SCHEMA_REGISTRY_BEARER_TOKEN)
  --timeout MS           per-request timeout (default 10000)
  --retries N            retries on network errors / 429 / 5xx (default 3)
  --help                 this text

KEKs:
  kek list [--deleted] [--subject-prefix P]... [--offset N] [--limit N]
  kek get NAME [--deleted]
  kek create NAME --kms-type TYPE --kms-key-id ID [--kms-prop K=V]... [--doc TEXT] [--shared]
  kek update NAME [--kms-prop K=V]... [--doc TEXT] [--shared | --not-shared]
  kek delete NAME [--permanent]
  kek undelete NAME

DEKs (--algorithm AES128_GCM|AES256_GCM|AES256_SIV, default AES256_GCM):
  dek list KEK [--deleted]                          subjects with DEKs under KEK
  dek versions KEK SUBJECT [--algorithm A] [--deleted]
  dek get KEK SUBJECT [--version N|latest] [--algorithm A] [--deleted]
  dek create KEK SUBJECT [--version N] [--algorithm A] [--encrypted-key-material BASE64]
                                                    (omit the material for a shared KEK)
  dek create KEK SUBJECT --generate [--algorithm A] [--kms-type T --kms-key-id ID]
                  [--kms-config K=V]...             generate a DEK locally and wrap it with the
                                                    KMS, as a producer would (creates the KEK
                                                    too if --kms-type/--kms-key-id are given).
                                                    local-kms reads its secret from LOCAL_SECRET
                                                    or --kms-config secret=...
  dek delete KEK SUBJECT [--version N] [--algorithm A] [--permanent]
  dek undelete KEK SUBJECT [--version N] [--algorithm A]

Schemas:
  schema register SUBJECT --schema FILE [--rules FILE] [--metadata FILE] [--references FILE]
                  [--type AVRO|JSON|PROTOBUF]       prints {"id": N}; fails if the registry
                                                    drops the rule set (RULE_SET_DROPPED)
  schema get --id N [--subject S]
  schema get SUBJECT [--version N|latest]

Output is JSON. Exit codes: 0 ok, 1 registry/key error (JSON on stderr), 2 usage error.
`;

class UsageError extends Error {}

const ALGORITHMS = ['AES128_GCM', 'AES256_GCM', 'AES256_SIV'];

function algorithm(v: string | undefined): DekAlgorithm | undefined {
  if (v === undefined) return undefined;
  if (!ALGORITHMS.includes(v)) throw new UsageError(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);
  return v as DekAlgorithm;
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`${name} must be an integer`);
  return Number(v);
}

function props(list: string[] | undefined): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--kms-prop / --kms-config expect KEY=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} file ${file}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UsageError(`${what} file ${file} is not valid JSON`);
  }
}

function need(positionals: string[], index: number, name: string): string {
  const v = positionals[index];
  if (v === undefined || v === '') throw new UsageError(`missing ${name}`);
  return v;
}

function connection(values: Record<string, unknown>, env: CliIo['env']): RegistryHttpOptions {
  const rawUrl = (values.url as string | undefined) ?? env.SCHEMA_REGISTRY_URL;
  if (!rawUrl) throw new UsageError('no registry URL: pass --url or set SCHEMA_REGISTRY_URL');
  const url = rawUrl.split(',').map((u) => u.trim()).filter(Boolean);
  const opts: RegistryHttpOptions = { url };
  const basic = (values.basic as string | undefined) ?? env.SCHEMA_REGISTRY_BASIC_AUTH;
  const bearer = (values.bearer as string | undefined) ?? env.SCHEMA_REGISTRY_BEARER_TOKEN;
  if (basic !== undefined && bearer !== undefined) throw new UsageError('use either --basic or --bearer');
  if (basic !== undefined) {
    const i = basic.indexOf(':');
    if (i < 0) throw new UsageError('--basic expects USER:PASS');
    opts.auth = { basic: { username: basic.slice(0, i), password: basic.slice(i + 1) } };
  } else if (bearer !== undefined) {
    opts.auth = { bearer };
  }
  const timeout = int('--timeout', values.timeout as string | undefined);
  if (timeout !== undefined) opts.timeoutMs = timeout;
  const retries = int('--retries', values.retries as string | undefined);
  if (retries !== undefined) opts.maxRetries = retries;
  opts.cacheCapacity = 0;
  return opts;
}

/**
 * Runs the command line `argv` (without `node` and the script path). Resolves the exit code.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        basic: { type: 'string' },
        bearer: { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        deleted: { type: 'boolean' },
        permanent: { type: 'boolean' },
        shared: { type: 'boolean' },
        'not-shared': { type: 'boolean' },
        'subject-prefix': { type: 'string', multiple: true },
        offset: { type: 'string' },
        limit: { type: 'string' },
        'kms-type': { type: 'string' },
        'kms-key-id': { type: 'string' },
        'kms-prop': { type: 'string', multiple: true },
        doc: { type: 'string' },
        version: { type: 'string' },
        algorithm: { type: 'string' },
        'encrypted-key-material': { type: 'string' },
        generate: { type: 'boolean' },
        'kms-config': { type: 'string', multiple: true },
        schema: { type: 'string' },
        rules: { type: 'string' },
        metadata: { type: 'string' },
        references: { type: 'string' },
        type: { type: 'string' },
        id: { type: 'string' },
        subject: { type: 'string' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  const print = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`);
  try {
    const [group, action] = positionals;
    const args = positionals.slice(2);
    const conn = connection(values, io.env);
    const list = { deleted: values.deleted, offset: int('--offset', values.offset), limit: int('--limit', values.limit) };
    if (group === 'kek') {
      const c = new DekRegistryClient(conn);
      switch (action) {
        case 'list':
          print(await c.listKeks({ ...list, subjectPrefix: values['subject-prefix'] }));
          return 0;
        case 'get': {
          const name = need(args, 0, 'KEK name');
          const kek = await c.getKek(name, { deleted: values.deleted });
          if (!kek) throw new CsfleError('KEK_NOT_FOUND', `KEK '${name}' not found`, { kekName: name });
          print(kek);
          return 0;
        }
        case 'create': {
          const name = need(args, 0, 'KEK name');
          const kmsType = values['kms-type'];
          const kmsKeyId = values['kms-key-id'];
          if (!kmsType || !kmsKeyId) throw new UsageError('kek create needs --kms-type and --kms-key-id');
          print(
            await c.registerKek({
              name,
              kmsType,
              kmsKeyId,
              kmsProps: props(values['kms-prop']),
              doc: values.doc,
              shared: values.shared === true,
            }),
          );
          return 0;
        }
        case 'update': {
          const name = need(args, 0, 'KEK name');
          const body: { kmsProps?: Record<string, string>; doc?: string; shared?: boolean } = {};
          const p = props(values['kms-prop']);
          if (p) body.kmsProps = p;
          if (values.doc !== undefined) body.doc = values.doc;
          if (values.shared) body.shared = true;
          if (values['not-shared']) body.shared = false;
          print(await c.updateKek(name, body));
          return 0;
        }
        case 'delete': {
          const name = need(args, 0, 'KEK name');
          await c.deleteKek(name, { permanent: values.permanent });
          print({ deleted: name, permanent: values.permanent === true });
          return 0;
        }
        case 'undelete': {
          const name = need(args, 0, 'KEK name');
          await c.undeleteKek(name);
          print({ undeleted: name });
          return 0;
        }
      }
    } else if (group === 'dek') {
      const c = new DekRegistryClient(conn);
      const kek = need(args, 0, 'KEK name');
      const alg = algorithm(values.algorithm);
      const version = values.version === 'latest' ? 'latest' : int('--version', values.version);
      switch (action) {
        case 'list':
          print(await c.listDekSubjects(kek, list));
          return 0;
        case 'versions':
          print(await c.listDekVersions(kek, need(args, 1, 'subject'), { ...list, algorithm: alg }));
          return 0;
        case 'get': {
          const subject = need(args, 1, 'subject');
          const dek = await c.getDek(kek, subject, { algorithm: alg, version, deleted: values.deleted });
          if (!dek) {
            throw new CsfleError('DEK_NOT_FOUND', `DEK not found`, {
              kekName: kek,
              subject,
              algorithm: alg ?? 'AES256_GCM',
              dekVersion: typeof version === 'number' ? version : undefined,
            });
          }
          const shown = { ...dek };
          if (shown.keyMaterial !== undefined) shown.keyMaterial = '[redacted]';
          print(shown);
          return 0;
        }
        case 'create': {
          const subject = need(args, 1, 'subject');
          if (version === 'latest') throw new UsageError('dek create needs a numeric --version');
          if (values.generate) {
            if (values['encrypted-key-material'] !== undefined || version !== undefined) {
              throw new UsageError('--generate creates the next DEK itself: drop --encrypted-key-material and --version');
            }
            let kmsType = values['kms-type'];
            if (!kmsType) {
              const existing = await c.getKek(kek);
              if (!existing) throw new UsageError(`KEK '${kek}' does not exist: pass --kms-type and --kms-key-id to create it`);
              kmsType = existing.kmsType;
            }
            const ring = new KeyRing({ registry: c, kms: { [kmsType]: props(values['kms-config']) ?? {} } });
            const key = await ring.writeKey({
              kekName: kek,
              subject,
              algorithm: alg ?? 'AES256_GCM',
              expiryDays: 0,
              ...(values['kms-type'] ? { kmsType: values['kms-type'] } : {}),
              ...(values['kms-key-id'] ? { kmsKeyId: values['kms-key-id'] } : {}),
            });
            const created = await c.getDek(kek, subject, { algorithm: alg, version: key.version });
            const shown = { ...created };
            if (shown.keyMaterial !== undefined) shown.keyMaterial = '[redacted]';
            print(shown);
            return 0;
          }
          const dek = await c.registerDek(kek, {
            subject,
            version,
            algorithm: alg,
            encryptedKeyMaterial: values['encrypted-key-material'],
          });
          const shown = { ...dek };
          if (shown.keyMaterial !== undefined) shown.keyMaterial = '[redacted]';
          print(shown);
          return 0;
        }
        case 'delete': {
          const subject = need(args, 1, 'subject');
          if (version === 'latest') throw new UsageError('dek delete needs a numeric --version');
          await c.deleteDek(kek, subject, { algorithm: alg, version, permanent: values.permanent });
          print({ deleted: { kek, subject, algorithm: alg ?? 'AES256_GCM', version: version ?? 'all' }, permanent: values.permanent === true });
          return 0;
        }
        case 'undelete': {
          const subject = need(args, 1, 'subject');
          if (version === 'latest') throw new UsageError('dek undelete needs a numeric --version');
          await c.undeleteDek(kek, subject, { algorithm: alg, version });
          print({ undeleted: { kek, subject, algorithm: alg ?? 'AES256_GCM', version: version ?? 'all' } });
          return 0;
        }
      }
    } else if (group === 'schema') {
      const src = new HttpSchemaSource(conn);
      switch (action) {
        case 'register': {
          const subject = need(args, 0, 'subject');
          if (!values.schema) throw new UsageError('schema register needs --schema FILE');
          let schemaText: string;
          try {
            schemaText = readFileSync(values.schema, 'utf8');
          } catch {
            throw new UsageError(`cannot read schema file ${values.schema}`);
          }
          const info: SchemaInfo = { schema: schemaText.trim() };
          if (values.type) {
            if (!['AVRO', 'JSON', 'PROTOBUF'].includes(values.type)) throw new UsageError('--type must be AVRO, JSON or PROTOBUF');
            info.schemaType = values.type as SchemaInfo['schemaType'];
          }
          if (values.rules) {
            const r = readJson<RuleSet | { ruleSet: RuleSet }>(values.rules, 'rules');
            info.ruleSet = 'ruleSet' in r ? r.ruleSet : r;
          }
          if (values.metadata) info.metadata = readJson<Metadata>(values.metadata, 'metadata');
          if (values.references) info.references = readJson<SchemaReference[]>(values.references, 'references');
          print({ subject, id: await src.register(subject, info) });
          return 0;
        }
        case 'get': {
          const id = int('--id', values.id);
          if (id !== undefined) {
            print(await src.getById(id, values.subject));
            return 0;
          }
          const subject = need(args, 0, 'subject (or --id)');
          const v = values.version;
          print(v === undefined || v === 'latest' ? await src.getLatest(subject) : await src.getByVersion(subject, int('--version', v)!));
          return 0;
        }
      }
    }
    throw new UsageError(`unknown command: ${positionals.slice(0, 2).join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n\nRun kafka-csfle --help for usage.\n`);
      return 2;
    }
    if (e instanceof CsfleError) {
      io.err(
        `${JSON.stringify({ error: { code: e.code, message: e.message, retryable: e.retryable, ...e.context } }, null, 2)}\n`,
      );
      return 1;
    }
    io.err(`${JSON.stringify({ error: { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) } })}\n`);
    return 1;
  }
}
