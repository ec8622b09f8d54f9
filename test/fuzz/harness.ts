/**
 * Decode fuzzing through the public API: mutated Confluent-framed records against
 * `AvroDeserializer`, across AES-GCM, AES-SIV, DEK rotation, payload encryption, arrays, maps,
 * nested and recursive records. Shared by the suite (test/fuzz/decode.fuzz.test.ts) and
 * `npm run fuzz -- --count N [--seed S]` (test/fuzz/main.ts).
 *
 * Oracle, per input:
 * - it decodes to the exact original record; or
 * - it throws a `CsfleError` whose code is in the documented table ({@link documentedCodes}),
 *   whose message, context and causes hold no plaintext of an encrypted field and no key bytes; or
 * - (only where the mutation can hit bytes no cipher authenticates: plaintext fields, map keys,
 *   framing of field-encrypted records) it decodes to a record valid for the writer schema whose
 *   every encrypted value is a plaintext that was really encrypted (never garbage, never a
 *   ciphertext passed off as plaintext).
 * - Every input finishes within {@link SLOW_MS} of CPU time (wall time is reported too, but on a
 *   shared machine it measures the load, not the decoder); anything else is an incident.
 *
 * @packageDocumentation
 */
import * as avsc from 'avsc';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  newKmsClient,
  type DekAlgorithm,
  type RuleSet,
} from '../../src/index';
import { encryptRuleSet } from '../helpers/fixtures';

export const SLOW_MS = 1000;
const SECRET = 'fuzz-secret-0f1e2d3c';
const KEK = 'fuzz-kek';
const DAY_MS = 86_400_000;
const kms = { 'local-kms': { secret: SECRET } };

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PII = ['PII'];
const richSchema = {
  type: 'record',
  name: 'Rich',
  namespace: 'fuzz',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string', 'confluent:tags': PII },
    { name: 'tags', type: { type: 'array', items: 'string' }, 'confluent:tags': PII },
    { name: 'attrs', type: { type: 'map', values: 'string' }, 'confluent:tags': PII },
    { name: 'note', type: ['null', 'string'], default: null, 'confluent:tags': PII },
    { name: 'blob', type: 'bytes', 'confluent:tags': PII },
    {
      name: 'addr',
      type: {
        type: 'record',
        name: 'Addr',
        fields: [
          { name: 'street', type: 'string', 'confluent:tags': PII },
          { name: 'zip', type: 'string' },
          { name: 'geo', type: { type: 'array', items: 'double' } },
        ],
      },
    },
    {
      name: 'history',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Event',
          fields: [
            { name: 'at', type: 'long' },
            { name: 'what', type: 'string', 'confluent:tags': PII },
            { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B', 'C'] } },
          ],
        },
      },
    },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    { name: 'code', type: { type: 'fixed', name: 'Code', size: 4 } },
    { name: 'nulls', type: { type: 'array', items: 'null' } },
  ],
};

const linkedSchema = {
  type: 'record',
  name: 'Node',
  namespace: 'fuzz',
  fields: [
    { name: 'label', type: 'string', 'confluent:tags': PII },
    { name: 'children', type: { type: 'array', items: 'Node' } },
    { name: 'next', type: ['null', 'Node'], default: null },
  ],
};

interface Rich {
  id: number;
  name: string;
  tags: string[];
  attrs: Record<string, string>;
  note: string | null;
  blob: Buffer;
  addr: { street: string; zip: string; geo: number[] };
  history: { at: number; what: string; kind: string }[];
  counts: Record<string, number>;
  code: Buffer;
  nulls: null[];
}

function word(rnd: () => number, prefix: string): string {
  const n = 4 + Math.floor(rnd() * 12);
  let s = prefix;
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(rnd() * 36)];
  return s;
}

function richRecord(rnd: () => number, i: number): Rich {
  const k = (max: number) => Math.floor(rnd() * max);
  const attrs: Record<string, string> = {};
  for (let j = 0, n = k(4); j < n; j++) attrs[word(rnd, 'key')] = word(rnd, 'Sattr-');
  const counts: Record<string, number> = {};
  for (let j = 0, n = k(4); j < n; j++) counts[word(rnd, 'c')] = k(1_000_000) - 500_000;
  return {
    id: i * 7919 - 100_000,
    name: word(rnd, 'Sname-'),
    tags: Array.from({ length: k(4) }, () => word(rnd, 'Stag-')),
    attrs,
    note: rnd() < 0.5 ? null : word(rnd, 'Snote-'),
    blob: Buffer.from(word(rnd, 'Sblob-'), 'utf8'),
    addr: { street: word(rnd, 'Sstreet-'), zip: word(rnd, 'z'), geo: Array.from({ length: k(3) }, () => rnd() * 180 - 90) },
    history: Array.from({ length: k(3) }, () => ({ at: k(2 ** 40), what: word(rnd, 'Swhat-'), kind: 'ABC'[k(3)]! })),
    counts,
    code: Buffer.from([k(256), k(256), k(256), k(256)]),
    nulls: new Array(k(3)).fill(null),
  };
}

/** The encrypted (PII) values of a Rich record. */
function richSecrets(r: Rich): string[] {
  return [r.name, ...r.tags, ...Object.values(r.attrs), ...(r.note === null ? [] : [r.note]), r.blob.toString('hex'), r.addr.street, ...r.history.map((h) => h.what)];
}

interface LinkedNode {
  label: string;
  children: LinkedNode[];
  next: LinkedNode | null;
}

function linkedRecord(rnd: () => number, depth = 0): LinkedNode {
  return {
    label: word(rnd, 'Slabel-'),
    children: depth < 3 ? Array.from({ length: Math.floor(rnd() * 3) }, () => linkedRecord(rnd, depth + 1)) : [],
    next: depth < 6 && rnd() < 0.6 ? linkedRecord(rnd, depth + 1) : null,
  };
}

function linkedSecrets(n: LinkedNode | null): string[] {
  if (!n) return [];
  return [n.label, ...n.children.flatMap(linkedSecrets), ...linkedSecrets(n.next)];
}

/** One configuration under fuzz. */
export interface Scenario {
  readonly name: string;
  readonly topic: string;
  readonly deserializer: AvroDeserializer;
  readonly type: avsc.Type;
  /** Framed records and their originals. */
  readonly records: { bytes: Buffer; value: unknown; canon: string }[];
  /** Every encrypted plaintext of the corpus (strings; bytes as hex). */
  readonly secrets: Set<string>;
  /** True when every payload byte is authenticated (ENCRYPT_PAYLOAD): only the original may decode. */
  readonly strict: boolean;
  /** Encrypted values of a decoded record (for the oracle); undefined = no encryption. */
  readonly secretsOf: ((v: unknown) => string[]) | undefined;
  /** Strings and key bytes that no error may contain. */
  readonly forbidden: string[];
  /** Ciphertext strings (base64) of encrypted string fields, to paste and to forge versions in. */
  readonly ciphertexts: string[];
  readonly rotating: boolean;
}

function fieldRules(algorithm: DekAlgorithm, extra: Record<string, string> = {}): RuleSet {
  return encryptRuleSet({ 'encrypt.kek.name': KEK, 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'fuzz-key', 'encrypt.dek.algorithm': algorithm, ...extra });
}

function payloadRules(algorithm: DekAlgorithm): RuleSet {
  const rule = fieldRules(algorithm).domainRules![0]!;
  return { encodingRules: [{ ...rule, name: 'encrypt-payload', type: 'ENCRYPT_PAYLOAD', tags: [] }] };
}

/** JSON-like canonical text of a value (records compared by fields, Buffers as hex). */
export function canon(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Buffer.isBuffer(v)) return `b:${v.toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return JSON.stringify(v);
}

async function keyBytes(dekRegistry: InMemoryDekRegistry): Promise<string[]> {
  const out: string[] = [];
  const client = await newKmsClient('local-kms', 'fuzz-key', { secret: SECRET });
  if (!(await dekRegistry.getKek(KEK))) return out;
  for (const subject of await dekRegistry.listDekSubjects(KEK)) {
    for (const algorithm of ['AES256_GCM', 'AES256_SIV'] as DekAlgorithm[]) {
      for (const version of await dekRegistry.listDekVersions(KEK, subject, { algorithm })) {
        const dek = await dekRegistry.getDek(KEK, subject, { version, algorithm });
        if (!dek?.encryptedKeyMaterial) continue;
        const material = await client.unwrap(Buffer.from(dek.encryptedKeyMaterial, 'base64'));
        const raw = material.subarray(material.length - (algorithm === 'AES256_SIV' ? 64 : 32));
        for (const b of [material, raw, raw.subarray(0, 16)]) out.push(b.toString('base64'), b.toString('hex'), b.toString('latin1'));
      }
    }
  }
  return out;
}

/** Strings of an encrypted field, read from the raw (still encrypted) record. */
function rawCiphertexts(type: avsc.Type, framed: Buffer, pick: (raw: Record<string, unknown>) => unknown[]): string[] {
  const raw = type.fromBuffer(framed.subarray(5)) as Record<string, unknown>;
  return pick(raw).filter((x): x is string => typeof x === 'string');
}

/** Builds the scenarios with `perScenario` records each. */
export async function buildScenarios(seed: number, perScenario = 12): Promise<Scenario[]> {
  const rnd = prng(seed);
  const scenarios: Scenario[] = [];
  const richType = avsc.Type.forSchema(richSchema as avsc.Schema);
  const linkedType = avsc.Type.forSchema(linkedSchema as avsc.Schema);

  const make = async (
    name: string,
    schema: object,
    type: avsc.Type,
    ruleSet: RuleSet | undefined,
    gen: (i: number) => unknown,
    secretsOf: ((v: unknown) => string[]) | undefined,
    opts: { rotating?: boolean; strict?: boolean } = {},
  ): Promise<void> => {
    const schemaRegistry = new InMemorySchemaRegistry();
    let offset = opts.rotating ? -3 * DAY_MS : 0;
    const dekRegistry = new InMemoryDekRegistry({ kms, now: () => Date.now() + offset });
    const topic = `fz-${name}`;
    const info = { schema: JSON.stringify(schema), ...(ruleSet ? { ruleSet } : {}) };
    const records: Scenario['records'] = [];
    const produce = async (from: number, to: number): Promise<void> => {
      const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: info });
      for (let i = from; i < to; i++) {
        const value = gen(i);
        records.push({ bytes: await serializer.serialize(topic, value), value, canon: canon(value) });
      }
    };
    if (opts.rotating) {
      await produce(0, perScenario >> 1); // DEK v1, created three days ago with 1-day expiry
      offset = 0;
      await produce(perScenario >> 1, perScenario); // a fresh producer rotates to v2
    } else {
      await produce(0, perScenario);
    }
    const secrets = new Set<string>();
    if (secretsOf) for (const r of records) for (const s of secretsOf(r.value)) secrets.add(s);
    const ciphertexts =
      ruleSet?.domainRules && type === richType
        ? records.flatMap((r) => rawCiphertexts(type, r.bytes, (raw) => [raw['name'], ...(raw['tags'] as unknown[]), (raw['addr'] as Record<string, unknown>)['street']]))
        : [];
    const forbidden = [...secrets].filter((s) => s.length >= 8);
    forbidden.push(SECRET, ...(await keyBytes(dekRegistry)));
    scenarios.push({
      name,
      topic,
      deserializer: new AvroDeserializer({ schemaRegistry, dekRegistry, kms }),
      type,
      records,
      secrets,
      strict: opts.strict ?? false,
      secretsOf,
      forbidden,
      ciphertexts,
      rotating: opts.rotating ?? false,
    });
  };

  const richSecretsOf = (v: unknown) => richSecrets(v as Rich);
  await make('gcm', richSchema, richType, fieldRules('AES256_GCM'), (i) => richRecord(rnd, i), richSecretsOf);
  await make('siv', richSchema, richType, fieldRules('AES256_SIV'), (i) => richRecord(rnd, i), richSecretsOf);
  await make('rotation', richSchema, richType, fieldRules('AES256_GCM', { 'encrypt.dek.expiry.days': '1' }), (i) => richRecord(rnd, i), richSecretsOf, { rotating: true });
  await make('siv-rotation', richSchema, richType, fieldRules('AES256_SIV', { 'encrypt.dek.expiry.days': '1' }), (i) => richRecord(rnd, i), richSecretsOf, { rotating: true });
  await make('payload', richSchema, richType, payloadRules('AES256_GCM'), (i) => richRecord(rnd, i), richSecretsOf, { strict: true });
  await make('linked', linkedSchema, linkedType, fieldRules('AES256_GCM'), () => linkedRecord(rnd), (v) => linkedSecrets(v as LinkedNode));
  await make('plain', richSchema, richType, undefined, (i) => richRecord(rnd, i), undefined);
  return scenarios;
}

/** The error codes documented in docs/concepts.md ("Error codes" table). */
export function documentedCodes(): Set<string> {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'concepts.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Error codes'));
  const codes = new Set<string>();
  for (const row of section.matchAll(/^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|/gm)) for (const c of row[1]!.matchAll(/`([A-Z_]+)`/g)) codes.add(c[1]!);
  return codes;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  do {
    let b = z % 128;
    z = Math.floor(z / 128);
    if (z > 0) b |= 0x80;
    out.push(b);
  } while (z > 0);
  return Buffer.from(out);
}

const HUGE = [2 ** 31 - 1, 5e7, 2 ** 53 - 1, -(2 ** 31), 2 ** 40, 1e6, 65_537, -1, 4096];

/** The mutation kinds. */
export const MUTATIONS = [
  'bitflip',
  'byteset',
  'truncate',
  'extend',
  'random',
  'huge',
  'forgeVersion',
  'pasteCiphertext',
  'splice',
  'unknownId',
  'guidFrame',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Applies one mutation to a record of `s`. */
export function mutate(s: Scenario, kind: Mutation, rnd: () => number): Buffer {
  const k = (max: number) => Math.floor(rnd() * max);
  const rec = s.records[k(s.records.length)]!;
  const src = Buffer.from(rec.bytes);
  switch (kind) {
    case 'bitflip': {
      for (let i = 0, n = 1 + k(4); i < n; i++) src[k(src.length)]! ^= 1 << k(8);
      return src;
    }
    case 'byteset': {
      for (let i = 0, n = 1 + k(3); i < n; i++) src[5 + k(src.length - 5)] = k(256);
      return src;
    }
    case 'truncate':
      return src.subarray(0, k(src.length));
    case 'extend':
      return Buffer.concat([src, Buffer.from(Array.from({ length: 1 + k(16) }, () => k(256)))]);
    case 'random': {
      const body = Buffer.from(Array.from({ length: k(64) }, () => k(256)));
      return rnd() < 0.7 ? Buffer.concat([src.subarray(0, 5), body]) : body;
    }
    case 'huge': {
      const at = 5 + k(src.length - 5);
      const v = varint(HUGE[k(HUGE.length)]!);
      return rnd() < 0.5 ? Buffer.concat([src.subarray(0, at), v, src.subarray(at)]) : Buffer.concat([src.subarray(0, at), v, src.subarray(Math.min(src.length, at + v.length))]);
    }
    case 'forgeVersion':
    case 'pasteCiphertext': {
      if (s.ciphertexts.length === 0) return mutate(s, 'huge', rnd);
      const raw = s.type.fromBuffer(src.subarray(5)) as Record<string, unknown>;
      const target = k(2) === 0 ? 'name' : 'street';
      const current = target === 'name' ? (raw['name'] as string) : ((raw['addr'] as Record<string, string>)['street'] as string);
      let replacement: string;
      if (kind === 'forgeVersion') {
        const ct = Buffer.from(current, 'base64');
        const version = [0, 2, 3, 7, 99, 2 ** 31 - 1, -1][k(7)]!;
        const forged = s.rotating ? Buffer.from(ct) : Buffer.concat([Buffer.alloc(5), ct]);
        forged[0] = 0;
        forged.writeInt32BE(version, 1);
        replacement = forged.toString('base64');
      } else {
        replacement = s.ciphertexts[k(s.ciphertexts.length)]!;
      }
      if (target === 'name') raw['name'] = replacement;
      else (raw['addr'] as Record<string, string>)['street'] = replacement;
      return Buffer.concat([src.subarray(0, 5), s.type.toBuffer(raw)]);
    }
    case 'splice': {
      const other = s.records[k(s.records.length)]!.bytes;
      const a = 5 + k(src.length - 5);
      const b = 5 + k(other.length - 5);
      const len = 1 + k(24);
      return Buffer.concat([src.subarray(0, a), other.subarray(b, b + len), src.subarray(a + k(len + 1))]);
    }
    case 'unknownId': {
      src.writeInt32BE([0, 2, 3, 1000, 2 ** 31 - 1, -1][k(6)]!, 1);
      return src;
    }
    case 'guidFrame': {
      const guid = Buffer.from(Array.from({ length: 16 }, () => k(256)));
      return Buffer.concat([Buffer.of(1), guid, src.subarray(5)]);
    }
  }
}

/** What went wrong with one input. */
export interface Incident {
  scenario: string;
  mutation: Mutation;
  kind: 'hang' | 'not-csfle-error' | 'undocumented-code' | 'secret-in-error' | 'wrong-value';
  detail: string;
  input: string;
}

/** Totals of a run. */
export interface FuzzReport {
  inputs: number;
  sameAsOriginal: number;
  otherValidRecord: number;
  errors: Record<string, number>;
  incidents: Incident[];
  /** Slowest input, wall-clock ms. */
  maxMs: number;
  /** Slowest input, CPU ms of this process. */
  maxCpuMs: number;
  elapsedMs: number;
}

function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur && i < 8; i++) {
    const err = cur as Error & { context?: unknown };
    parts.push(String(err.message), JSON.stringify(err.context ?? {}));
    cur = err.cause;
  }
  parts.push(inspect(e, { depth: 6 }));
  return parts.join('\n');
}

/** Runs `count` mutated inputs spread over the scenarios and mutation kinds. */
export async function fuzz(
  scenarios: Scenario[],
  count: number,
  seed: number,
  onProgress?: (done: number, report: FuzzReport) => void,
): Promise<FuzzReport> {
  const rnd = prng(seed ^ 0x5eed);
  const codes = documentedCodes();
  const report: FuzzReport = { inputs: 0, sameAsOriginal: 0, otherValidRecord: 0, errors: {}, incidents: [], maxMs: 0, maxCpuMs: 0, elapsedMs: 0 };
  const t0 = performance.now();
  const incident = (s: Scenario, m: Mutation, kind: Incident['kind'], detail: string, input: Buffer): void => {
    if (report.incidents.length < 100) report.incidents.push({ scenario: s.name, mutation: m, kind, detail, input: input.toString('hex').slice(0, 400) });
    else report.incidents.length++;
  };
  for (let i = 0; i < count; i++) {
    const s = scenarios[i % scenarios.length]!;
    const m = MUTATIONS[Math.floor(i / scenarios.length) % MUTATIONS.length]!;
    const input = mutate(s, m, rnd);
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    let value: unknown;
    let error: unknown;
    let failed = false;
    try {
      value = await s.deserializer.deserialize(s.topic, input);
    } catch (e) {
      failed = true;
      error = e;
    }
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    report.inputs++;
    if (ms > report.maxMs) report.maxMs = ms;
    if (cpuMs > report.maxCpuMs) report.maxCpuMs = cpuMs;
    if (cpuMs > SLOW_MS) incident(s, m, 'hang', `${cpuMs.toFixed(0)} ms CPU (${ms.toFixed(0)} ms wall)`, input);
    if (failed) {
      if (!(error instanceof CsfleError)) {
        incident(s, m, 'not-csfle-error', String((error as Error)?.name ?? error), input);
        continue;
      }
      report.errors[error.code] = (report.errors[error.code] ?? 0) + 1;
      if (!codes.has(error.code)) incident(s, m, 'undocumented-code', error.code, input);
      const text = errorText(error);
      const leaked = s.forbidden.find((f) => text.includes(f));
      if (leaked !== undefined) incident(s, m, 'secret-in-error', `${error.code}: ${error.detail}`, input);
    } else {
      const c = canon(value);
      if (s.records.some((r) => r.canon === c)) {
        report.sameAsOriginal++;
      } else if (!s.strict && s.type.isValid(value) && (!s.secretsOf || s.secretsOf(value).every((x) => s.secrets.has(x)))) {
        report.otherValidRecord++;
      } else {
        incident(s, m, 'wrong-value', 'decoded to a value that is not an original record', input);
      }
    }
    if (onProgress && (i + 1) % 10_000 === 0) {
      report.elapsedMs = performance.now() - t0;
      onProgress(i + 1, report);
    }
  }
  report.elapsedMs = performance.now() - t0;
  return report;
}
