/**
 * `npm run fuzz -- --count N [--seed S]`: long decode-fuzzing runs (see harness.ts). Prints
 * progress every 10,000 inputs and a JSON report; exits 1 when there is any incident.
 */
import { buildScenarios, fuzz, type FuzzReport } from './harness';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return v;
}

async function main(): Promise<void> {
  const count = arg('count', 100_000);
  const seed = arg('seed', Date.now() % 2 ** 31);
  const scenarios = await buildScenarios(seed);
  const line = (done: number, r: FuzzReport): string =>
    `${done.toLocaleString('en-US')} inputs, ${r.incidents.length} incidents, max ${r.maxCpuMs.toFixed(1)} ms CPU / ${r.maxMs.toFixed(1)} ms wall, ${Math.round((done / r.elapsedMs) * 1000).toLocaleString('en-US')}/s`;
  const report = await fuzz(scenarios, count, seed, (done, r) => process.stderr.write(`${line(done, r)}\n`));
  console.log(JSON.stringify({ seed, scenarios: scenarios.map((s) => s.name), ...report }, null, 2));
  process.exitCode = report.incidents.length > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
