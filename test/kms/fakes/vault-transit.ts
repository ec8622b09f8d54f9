/**
 * A Vault transit + AppRole HTTP server for tests (no Vault binary can be installed here).
 * Speaks the same endpoints and JSON shapes as Vault:
 *   POST /v1/<mount>/encrypt/<name>  {plaintext: base64}        -> {data: {ciphertext: "vault:vN:..."}}
 *   POST /v1/<mount>/decrypt/<name>  {ciphertext: "vault:vN:..."} -> {data: {plaintext: base64}}
 *   POST /v1/<mount>/rewrap/<name>   {ciphertext: "vault:vN:..."} -> {data: {ciphertext: "vault:vLATEST:..."}}
 *   POST /v1/auth/approle/login      {role_id, secret_id}        -> {auth: {client_token}}
 * Keys are AES-256-GCM under this fake's own random key material. Rotate a key by pushing a new
 * entry to its `versions`; `minDecryptionVersion` retires old versions (as Vault's key config).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVaultKey {
  versions: Buffer[];
  minDecryptionVersion: number;
}

export interface FakeVault {
  url: string;
  /** mount -> key name -> key */
  mounts: Map<string, Map<string, FakeVaultKey>>;
  tokens: Set<string>;
  /** role_id -> secret_id */
  approles: Map<string, string>;
  /** Namespace each request carried ('' when none), with its path. */
  seen: Array<{ path: string; namespace: string; token: string }>;
  /** Answer this status (with a Vault-style error) to the next N transit calls. */
  failNext: { status: number; count: number; error: string };
  addKey(mount: string, name: string): FakeVaultKey;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startFakeVault(): Promise<FakeVault> {
  const vault: FakeVault = {
    url: '',
    mounts: new Map(),
    tokens: new Set(),
    approles: new Map(),
    seen: [],
    failNext: { status: 0, count: 0, error: '' },
    addKey(mount, name) {
      let m = vault.mounts.get(mount);
      if (!m) vault.mounts.set(mount, (m = new Map()));
      const key = { versions: [randomBytes(32)], minDecryptionVersion: 1 };
      m.set(name, key);
      return key;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const token = String(req.headers['x-vault-token'] ?? '');
      vault.seen.push({ path, namespace: String(req.headers['x-vault-namespace'] ?? ''), token });
      let body: Record<string, string> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
      } catch {
        return send(res, 400, { errors: ['failed to parse JSON input'] });
      }
      if (req.method !== 'POST') return send(res, 405, { errors: ['unsupported operation'] });
      if (path === '/v1/auth/approle/login') {
        if (!body.role_id || vault.approles.get(body.role_id) !== body.secret_id) {
          return send(res, 400, { errors: ['invalid role or secret ID'] });
        }
        const t = `hvs.${randomUUID()}`;
        vault.tokens.add(t);
        return send(res, 200, { auth: { client_token: t, lease_duration: 3600, renewable: true } });
      }
      if (!vault.tokens.has(token)) return send(res, 403, { errors: ['permission denied'] });
      if (vault.failNext.count > 0) {
        vault.failNext.count--;
        return send(res, vault.failNext.status, { errors: [vault.failNext.error] });
      }
      const m = /^\/v1\/(.+)\/(encrypt|decrypt|rewrap)\/([^/]+)$/.exec(path);
      if (!m) return send(res, 404, { errors: [] });
      const [, mount, op, name] = m as unknown as [string, string, string, string];
      const mnt = vault.mounts.get(mount);
      if (!mnt) return send(res, 404, { errors: [`no handler for route "${mount}". route entry not found.`] });
      const key = mnt.get(decodeURIComponent(name));
      if (!key) return send(res, 400, { errors: ['encryption key not found'] });
      const encrypt = (plaintext: Buffer) => {
        const version = key.versions.length;
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', key.versions[version - 1]!, iv);
        const ct = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
        return send(res, 200, { data: { ciphertext: `vault:v${version}:${ct.toString('base64')}`, key_version: version } });
      };
      if (op === 'encrypt') return encrypt(Buffer.from(body.plaintext ?? '', 'base64'));
      const cm = /^vault:v(\d+):(.+)$/.exec(body.ciphertext ?? '');
      if (!cm) return send(res, 400, { errors: ['invalid ciphertext: no prefix'] });
      const version = Number(cm[1]);
      if (version < key.minDecryptionVersion) {
        return send(res, 400, { errors: ['ciphertext or signature version is disallowed by policy (too old)'] });
      }
      const material = key.versions[version - 1];
      if (!material) return send(res, 400, { errors: ['invalid key version'] });
      try {
        const raw = Buffer.from(cm[2]!, 'base64');
        const d = createDecipheriv('aes-256-gcm', material, raw.subarray(0, 12));
        d.setAuthTag(raw.subarray(raw.length - 16));
        const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
        if (op === 'rewrap') return encrypt(pt);
        return send(res, 200, { data: { plaintext: pt.toString('base64') } });
      } catch {
        return send(res, 400, { errors: ['cipher: message authentication failed'] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  vault.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return vault;
}
