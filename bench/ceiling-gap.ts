/**
 * `npx tsx bench/ceiling-gap.ts`: CPU time per record of kafka-csfle next to the hand-written
 * ceiling, per format (AES256_GCM), alternating the two 8 × 10 000 records at a time in one
 * process (the first 2 rounds are warm-up); prints the medians and ceiling / ours. A steadier
 * view of the overhead than wall-clock rates on a shared machine.
 */
import { ceilingImpl } from './impl/ceiling';
import { customerRecord, FORMATS, TOPIC } from './impl/common';
import { oursImpl } from './impl/ours';

const ROUNDS = 8;
const N = 10_000;

async function main(): Promise<void> {
  for (const format of FORMATS) {
    const impls = { ours: await oursImpl('AES256_GCM', format), ceiling: await ceilingImpl('AES256_GCM', format) };
    const bytes = { ours: await impls.ours.serialize(TOPIC, { ...customerRecord }), ceiling: await impls.ceiling.serialize(TOPIC, { ...customerRecord }) };
    for (const op of ['serialize', 'deserialize'] as const) {
      const cpu: Record<'ours' | 'ceiling', number[]> = { ours: [], ceiling: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const name of ['ours', 'ceiling'] as const) {
          const impl = impls[name];
          const t0 = process.cpuUsage();
          for (let i = 0; i < N; i++) {
            if (op === 'serialize') await impl.serialize(TOPIC, { ...customerRecord });
            else await impl.deserialize(TOPIC, bytes[name]);
          }
          const c = process.cpuUsage(t0);
          if (r >= 2) cpu[name].push((c.user + c.system) / N);
        }
      }
      const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
      const [o, c] = [med(cpu.ours), med(cpu.ceiling)];
      console.log(`${format.padEnd(8)} ${op.padEnd(11)} ours ${o.toFixed(2)} µs  ceiling ${c.toFixed(2)} µs  ours/ceiling ${(c / o).toFixed(2)}x`);
    }
  }
}

void main();
