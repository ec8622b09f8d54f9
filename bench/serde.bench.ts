/**
 * `npm run bench`: records/s of serialize and deserialize for a Customer record (7 fields, 3 PII
 * strings, inline tags, ENCRYPT rule, local-kms) as Avro, JSON Schema and Protobuf, AES256_GCM
 * and AES256_SIV, side by side:
 *
 * - kafka-csfle Avro/Json/Protobuf Serializer and Deserializer (in-memory registries),
 * - Confluent's same-format serdes (@confluentinc/schemaregistry, mock registries),
 * - a hand-written ceiling: the format's codec (avsc; ajv + JSON; @bufbuild/protobuf) +
 *   node:crypto (cached key; our AesSiv for SIV), no registries.
 *
 * Each measurement is warmed up and sized for ~0.8 s per run; 7 rounds run the implementations
 * back to back (interleaved, so load from other processes hits all alike). Reported: the median
 * records per wall second, the median records per CPU second of this process (process.cpuUsage;
 * robust on a shared machine), and the ratios as medians of the per-round ratios.
 * "seq" = N sequential awaits; "c64" = batches of 64 concurrent calls (Promise.all).
 * Results: stdout table + bench/results/latest.json.
 *
 * Env: BENCH_TARGET_MS (default 800), BENCH_REPEATS (rounds, default 7), BENCH_FORMATS
 * (e.g. "json,protobuf"), BENCH_ONLY (substring filter on "impl format algorithm op mode", e.g.
 * "kafka-csfle json AES256_SIV serialize"). Either filter skips writing the JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DekAlgorithm } from '../src/index';
import { confluentImpl } from './impl/confluent';
import { ceilingImpl } from './impl/ceiling';
import { oursImpl, oursOtelImpl } from './impl/ours';
import { customerRecord, FORMATS, TOPIC, type Format, type Impl } from './impl/common';

const TARGET_MS = Number(process.env['BENCH_TARGET_MS'] ?? 800);
const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 7);
const ONLY = process.env['BENCH_ONLY'];
const CONCURRENCY = 64;
const ALGORITHMS: DekAlgorithm[] = ['AES256_GCM', 'AES256_SIV'];
/** BENCH_FORMATS: comma-separated subset of avro,json,protobuf (default: all). */
const SELECTED_FORMATS: readonly Format[] = process.env['BENCH_FORMATS'] ? (process.env['BENCH_FORMATS'].split(',') as Format[]) : FORMATS;
const IMPLS: { name: string; make: (a: DekAlgorithm, f: Format) => Promise<Impl> }[] = [
  { name: 'kafka-csfle', make: oursImpl },
  // Metrics exported through a no-op OpenTelemetry meter (Avro only: the cost does not depend on the format).
  { name: '+otel-noop', make: oursOtelImpl },
  { name: 'confluent', make: confluentImpl },
  { name: 'ceiling', make: ceilingImpl },
];
type Op = 'serialize' | 'deserialize';
type Mode = 'seq' | 'c64';

interface Result {
  format: Format;
  algorithm: DekAlgorithm;
  op: Op;
  mode: Mode;
  impl: string;
  /** Median over rounds of records per wall-clock second. */
  recordsPerSec: number;
  /** Median over rounds of records per CPU-second of this process (robust to other load). */
  recordsPerCpuSec: number;
  wallRuns: number[];
  cpuRuns: number[];
  n: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `n` operations; resolves to elapsed wall ms and process CPU ms (user + system). */
async function run(op: (i: number) => Promise<unknown>, n: number, mode: Mode): Promise<{ wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'seq') {
    for (let i = 0; i < n; i++) await op(i);
  } else {
    const batch: Promise<unknown>[] = new Array(CONCURRENCY);
    for (let i = 0; i < n; i += CONCURRENCY) {
      const m = Math.min(CONCURRENCY, n - i);
      batch.length = m;
      for (let j = 0; j < m; j++) batch[j] = op(i + j);
      await Promise.all(batch);
    }
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/** Warm up (JIT, caches, first-record registry/KMS work), then size N for ~TARGET_MS. */
async function calibrate(op: (i: number) => Promise<unknown>, mode: Mode): Promise<number> {
  await run(op, 2_000, mode);
  let n = 1_000;
  let ms = (await run(op, n, mode)).wallMs;
  while (ms < 150) {
    n *= 4;
    ms = (await run(op, n, mode)).wallMs;
  }
  return Math.max(CONCURRENCY, Math.round((n * TARGET_MS) / ms / CONCURRENCY) * CONCURRENCY);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

const IMPL_NAMES = ['kafka-csfle', 'confluent', 'ceiling'];

async function main(): Promise<void> {
  const results: Result[] = [];
  /** Per (algorithm, op, mode): per-round ratios ours/other, measured back to back. */
  const paired: Record<string, { vsConfluent: number[]; vsCeiling: number[]; vsConfluentCpu: number[]; vsCeilingCpu: number[]; otel: number[]; otelCpu: number[] }> = {};
  console.log(`kafka-csfle serde bench — node ${process.version}, ${cpus().length}x ${cpus()[0]?.model ?? '?'}`);
  console.log(`~${TARGET_MS} ms per run, ${REPEATS} rounds (implementations interleaved), medians; seq = sequential awaits, c64 = ${CONCURRENCY} concurrent`);
  console.log('rec/s = records per wall second; rec/cpu-s = records per CPU second of this process (robust to other load)\n');
  for (const format of SELECTED_FORMATS) for (const algorithm of ALGORITHMS) {
    const impls: { name: string; impl: Impl; bytes: Buffer }[] = [];
    for (const { name, make } of IMPLS) {
      if (name === '+otel-noop' && format !== 'avro') continue;
      const impl = await make(algorithm, format);
      // Each implementation reads what it wrote (all of them are interoperable; see test/interop).
      const bytes = await impl.serialize(TOPIC, { ...customerRecord });
      const check = (await impl.deserialize(TOPIC, bytes)) as Record<string, unknown>;
      if (check['ssn'] !== customerRecord.ssn || check['email'] !== customerRecord.email) {
        throw new Error(`${name} ${format} ${algorithm}: round trip failed`);
      }
      impls.push({ name, impl, bytes });
    }
    for (const op of ['serialize', 'deserialize'] as const) {
      for (const mode of ['seq', 'c64'] as const) {
        const selected = impls.filter(({ name }) => !ONLY || `${name} ${format} ${algorithm} ${op} ${mode}`.includes(ONLY));
        if (selected.length === 0) continue;
        const fns = selected.map(({ impl, bytes }) =>
          op === 'serialize' ? () => impl.serialize(TOPIC, { ...customerRecord }) : () => impl.deserialize(TOPIC, bytes),
        );
        const ns: number[] = [];
        for (const fn of fns) ns.push(await calibrate(fn, mode));
        // Interleave the implementations round by round so load from other processes on the
        // machine hits all of them alike.
        const wall: number[][] = selected.map(() => []);
        const cpu: number[][] = selected.map(() => []);
        for (let r = 0; r < REPEATS; r++) {
          for (let k = 0; k < fns.length; k++) {
            const { wallMs, cpuMs } = await run(fns[k]!, ns[k]!, mode);
            wall[k]!.push(Math.round((ns[k]! * 1000) / wallMs));
            cpu[k]!.push(Math.round((ns[k]! * 1000) / cpuMs));
          }
        }
        const key = `${format} ${algorithm} ${op} ${mode}`;
        const idx = (n: string) => selected.findIndex((s) => s.name === n);
        const [o, c, l, m] = [idx('kafka-csfle'), idx('confluent'), idx('ceiling'), idx('+otel-noop')];
        const ratios = (a: number[][], i: number, j: number) => (i < 0 || j < 0 ? [] : a[i]!.map((v, r) => v / a[j]![r]!));
        paired[key] = {
          vsConfluent: ratios(wall, o, c),
          vsCeiling: ratios(wall, o, l),
          vsConfluentCpu: ratios(cpu, o, c),
          vsCeilingCpu: ratios(cpu, o, l),
          otel: ratios(wall, m, o),
          otelCpu: ratios(cpu, m, o),
        };
        selected.forEach(({ name }, k) => {
          const res: Result = {
            format,
            algorithm,
            op,
            mode,
            impl: name,
            recordsPerSec: median(wall[k]!),
            recordsPerCpuSec: median(cpu[k]!),
            wallRuns: wall[k]!,
            cpuRuns: cpu[k]!,
            n: ns[k]!,
          };
          results.push(res);
          console.log(
            `  ${key.padEnd(36)} ${name.padEnd(11)} ${fmt(res.recordsPerSec).padStart(9)} rec/s ${fmt(res.recordsPerCpuSec).padStart(9)} rec/cpu-s  (wall runs ${wall[k]!.map(fmt).join(' / ')}; N=${fmt(ns[k]!)})`,
          );
        });
      }
    }
    for (const { impl } of impls) await impl.close?.();
  }

  // Table with ratios: medians of per-round ratios (each round runs the implementations back to back).
  const rows: Record<string, unknown>[] = [];
  const c = (v: number | undefined) => (v === undefined ? '-' : fmt(v));
  const x = (v: number[] | undefined) => (v === undefined || v.length === 0 ? '-' : `${median(v).toFixed(2)}x`);
  console.log('\nrec/s (wall, median of rounds); ratios = median of per-round ratios, wall / cpu');
  console.log('| format   | algorithm  | op          | mode | kafka-csfle | confluent | ceiling | ours/confluent (wall / cpu) | ours/ceiling (wall / cpu) | +otel-noop/ours (wall / cpu) |');
  console.log('|----------|------------|-------------|------|------------:|----------:|--------:|----------------------------:|--------------------------:|-----------------------------:|');
  for (const format of SELECTED_FORMATS) for (const algorithm of ALGORITHMS) {
    for (const op of ['serialize', 'deserialize'] as const) {
      for (const mode of ['seq', 'c64'] as const) {
        const key = `${format} ${algorithm} ${op} ${mode}`;
        const get = (impl: string) => results.find((r) => r.format === format && r.algorithm === algorithm && r.op === op && r.mode === mode && r.impl === impl);
        const [ours, conf, ceil] = IMPL_NAMES.map(get);
        if (!ours && !conf && !ceil) continue;
        const p = paired[key]!;
        const num = (v: number[]) => (v.length === 0 ? undefined : Number(median(v).toFixed(3)));
        rows.push({
          format,
          algorithm,
          op,
          mode,
          ours: ours?.recordsPerSec,
          confluent: conf?.recordsPerSec,
          ceiling: ceil?.recordsPerSec,
          oursCpu: ours?.recordsPerCpuSec,
          confluentCpu: conf?.recordsPerCpuSec,
          ceilingCpu: ceil?.recordsPerCpuSec,
          oursOverConfluent: num(p.vsConfluent),
          oursOverCeiling: num(p.vsCeiling),
          oursOverConfluentCpu: num(p.vsConfluentCpu),
          oursOverCeilingCpu: num(p.vsCeilingCpu),
          otelNoopOverOurs: num(p.otel),
          otelNoopOverOursCpu: num(p.otelCpu),
        });
        console.log(
          `| ${format.padEnd(8)} | ${algorithm.padEnd(10)} | ${op.padEnd(11)} | ${mode}  | ${c(ours?.recordsPerSec).padStart(11)} | ${c(conf?.recordsPerSec).padStart(9)} | ${c(ceil?.recordsPerSec).padStart(7)} | ${`${x(p.vsConfluent)} / ${x(p.vsConfluentCpu)}`.padStart(27)} | ${`${x(p.vsCeiling)} / ${x(p.vsCeilingCpu)}`.padStart(25)} | ${`${x(p.otel)} / ${x(p.otelCpu)}`.padStart(28)} |`,
        );
      }
    }
  }
  console.log('\nTargets: ours/confluent >= 15x (Avro), >= 10x (JSON, Protobuf); ours/ceiling >= 0.8x; +otel-noop/ours >= 0.95x (metrics cost < 5%)');

  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus().length}x ${cpus()[0]?.model ?? '?'}`,
    loadAverage: loadavg(),
    targetMsPerRun: TARGET_MS,
    rounds: REPEATS,
    concurrency: CONCURRENCY,
    record: 'Customer: 7 fields, 3 PII strings (inline tags), ENCRYPT rule, local-kms; as Avro, JSON Schema and Protobuf',
    formats: SELECTED_FORMATS,
    targets: { oursOverConfluent: { avro: 15, json: 10, protobuf: 10 }, oursOverCeiling: 0.8, otelNoopOverOurs: 0.95 },
    table: rows,
    results,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  if (!ONLY && !process.env['BENCH_FORMATS']) writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
