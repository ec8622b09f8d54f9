/**
 * Profiling helper: runs one implementation/op for a while so `node --cpu-prof` sees the steady
 * state. Usage: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts ours serialize AES256_GCM 200000 [avro|json|protobuf]`
 * then `npx tsx bench/summarize-profile.ts /tmp/prof/<file>.cpuprofile`.
 */
import type { DekAlgorithm } from '../src/index';
import { ceilingImpl } from './impl/ceiling';
import { customerRecord, TOPIC, type Format, type Impl } from './impl/common';
import { confluentImpl } from './impl/confluent';
import { oursImpl } from './impl/ours';

async function main(): Promise<void> {
  const [which = 'ours', op = 'serialize', algorithm = 'AES256_GCM', count = '200000', format = 'avro'] = process.argv.slice(2);
  const make: Record<string, (a: DekAlgorithm, f: Format) => Promise<Impl>> = { ours: oursImpl, confluent: confluentImpl, ceiling: ceilingImpl };
  const impl = await make[which]!(algorithm as DekAlgorithm, format as Format);
  const bytes = await impl.serialize(TOPIC, { ...customerRecord });
  const n = Number(count);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (op === 'serialize') await impl.serialize(TOPIC, { ...customerRecord });
    else await impl.deserialize(TOPIC, bytes);
  }
  const ms = performance.now() - t0;
  console.log(`${which} ${format} ${op} ${algorithm}: ${Math.round((n * 1000) / ms).toLocaleString('en-US')} rec/s`);
}

void main();
