/**
 * `npm run bench:rewrap`: DEK versions rewrapped per second against a DEK registry over HTTP
 * (AxonOps started by `bash scripts/services/axonops.sh start`; URL from SCHEMA_REGISTRY_URL),
 * local-kms, journal fsync'd per step. Registers BENCH_DEKS DEKs (default 200) under a new KEK,
 * then rewraps them with concurrency 1 and 8.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DekRegistryClient, newKmsClient, rewrapKek } from '../src/index';
import { generateTinkKey } from '../src/crypto/tink-key';

async function main(): Promise<void> {
  const url = process.env['SCHEMA_REGISTRY_URL'];
  if (!url) throw new Error('SCHEMA_REGISTRY_URL is not set (bash scripts/services/axonops.sh start; . .cache/env/axonops.env)');
  const n = Number(process.env['BENCH_DEKS'] ?? 200);
  const kms = { 'local-kms': { secret: 'bench-secret' } };
  const registry = new DekRegistryClient({ url, cacheCapacity: 0 });
  const client = await newKmsClient('local-kms', 'bench', kms['local-kms']);
  for (const concurrency of [1, 8]) {
    const kekName = `bench_rewrap_${Date.now().toString(36)}_${concurrency}`;
    await registry.registerKek({ name: kekName, kmsType: 'local-kms', kmsKeyId: 'bench' });
    for (let i = 0; i < n; i++) {
      const proto = generateTinkKey('AES256_GCM');
      await registry.registerDek(kekName, { subject: `s${i}`, version: 1, algorithm: 'AES256_GCM', encryptedKeyMaterial: (await client.wrap(proto)).toString('base64') });
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-rewrap-'));
    const report = await rewrapKek({ dekRegistry: registry, kms, kekName, journalPath: path.join(dir, 'j'), concurrency });
    rmSync(dir, { recursive: true, force: true });
    if (report.rewrapped !== n) throw new Error(`expected ${n} rewrapped, got ${JSON.stringify(report)}`);
    const perSecond = (n / report.durationMs) * 1000;
    process.stdout.write(`rewrap ${n} DEKs, concurrency ${concurrency}: ${report.durationMs} ms, ${perSecond.toFixed(1)} DEKs/s\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exitCode = 1;
});
