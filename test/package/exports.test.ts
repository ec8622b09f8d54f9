import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const names = ['AvroSerializer', 'AvroDeserializer', 'InMemorySchemaRegistry', 'InMemoryDekRegistry', 'registerKmsDriver', 'CsfleError'];

describe('package entry points (built dist)', () => {
  it('dist is built (npm test builds it before the suite)', () => {
    expect(existsSync(path.join(root, 'dist/cjs/index.js'))).toBe(true);
    expect(existsSync(path.join(root, 'dist/esm/index.mjs'))).toBe(true);
    expect(existsSync(path.join(root, 'dist/cjs/index.d.ts'))).toBe(true);
  });

  it('works from CommonJS require', () => {
    const out = execFileSync(process.execPath, ['-e', `const m = require('kafka-csfle'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`], { cwd: root }).toString();
    expect(JSON.parse(out)).toEqual(names.map(() => 'function'));
  });

  it('works from ESM import, sharing one module instance with require', () => {
    const code = `import * as m from 'kafka-csfle'; import { createRequire } from 'node:module'; const c = createRequire(import.meta.url)('kafka-csfle'); console.log(JSON.stringify([${names.map((n) => `typeof m.${n}`).join(',')}, m.AvroSerializer === c.AvroSerializer]))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root }).toString();
    expect(JSON.parse(out)).toEqual([...names.map(() => 'function'), true]);
  });

  it('the demo (README main job) runs and shows ciphertext on the wire, plaintext for the authorized consumer, ciphertext for the outsider', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/demo.ts'], { cwd: root, env: { ...process.env, LOCAL_SECRET: '' } }).toString();
    const [wire, authorized, outsider] = [out.split('2. On the wire')[1]!.split('3. ')[0]!, out.split('3. An authorized')[1]!.split('4. ')[0]!, out.split('4. A consumer')[1]!];
    expect(wire).not.toContain('Ada Lovelace');
    expect(authorized).toContain('"name":"Ada Lovelace"');
    expect(authorized).toContain('"ssn":"123-45-6789"');
    expect(outsider).not.toContain('Ada Lovelace');
    expect(outsider).toContain('"country":"UK"');
    expect(outsider).toContain('KMS_ACCESS_DENIED');
  });
});
