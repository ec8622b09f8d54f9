/**
 * The AWS SDK's one-time NodeVersionSupportWarning (printed on Node < 22) is silenced when the
 * aws-kms driver or the S3 export sink creates its clients, unless the user set the SDK's own
 * switch. Runs the built package in a fresh process (the SDK remembers the notice process-wide).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const load = `const m = require(${JSON.stringify(path.join(root, 'dist/cjs/index.js'))});`;
const kmsScript = `${load}
(async () => {
  const c = await m.getKmsDriver('aws-kms').newClient({
    kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k',
    config: { region: 'us-east-1', endpoint: 'http://127.0.0.1:1', 'access.key.id': 'a', 'secret.access.key': 'b',
      'kms.max.retries': 0, 'kms.timeout.ms': 2000 },
  });
  try { await c.wrap(Buffer.alloc(32)); } catch (e) { console.log(e.code); }
})();`;
const s3Script = `${load}
(async () => {
  const sink = new m.S3Sink('s3://bucket/prefix', { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  try { await sink.write('x', 'y'); } catch (e) { console.log(e.code); }
})();`;

async function runWith(script: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['-e', script], { cwd: root, env });
}

describe('AWS SDK clients on Node 20', () => {
  const major = Number(process.versions.node.split('.')[0]);
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

  it.runIf(major < 22).each([
    ['aws-kms driver', kmsScript, 'KMS_UNAVAILABLE'],
    ['S3 export sink', s3Script, 'SINK_UNWRITABLE'],
  ])('%s prints no NodeVersionSupportWarning, unless the user sets the SDK switch', async (_name, script, code) => {
    const quiet = await runWith(script, env);
    expect(quiet.stdout.trim()).toBe(code);
    expect(quiet.stderr).not.toContain('NodeVersionSupportWarning');
    const chosen = await runWith(script, { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' });
    expect(chosen.stdout.trim()).toBe(code);
    expect(chosen.stderr).toContain('NodeVersionSupportWarning'); // the SDK's own behaviour
  }, 60_000);
});
