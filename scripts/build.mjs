// Builds dist/cjs (tsc, CommonJS + .d.ts) and dist/esm/index.mjs, an ES module facade that
// re-exports the CommonJS build's named exports, so `import { AvroSerializer } from
// 'kafka-csfle'` and `require('kafka-csfle')` both work and share one module instance.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});
const require = createRequire(import.meta.url);
const cjs = require(path.join(root, 'dist/cjs/index.js'));
const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule');
mkdirSync(path.join(root, 'dist/esm'), { recursive: true });
writeFileSync(
  path.join(root, 'dist/esm/index.mjs'),
  `import cjs from '../cjs/index.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`,
);
writeFileSync(path.join(root, 'dist/esm/index.d.mts'), `export * from '../cjs/index.js';\n`);
const cli = path.join(root, 'dist/cjs/cli/main.js');
if (existsSync(cli)) chmodSync(cli, 0o755);
console.log(`built dist/cjs and dist/esm (${names.length} exports)`);
