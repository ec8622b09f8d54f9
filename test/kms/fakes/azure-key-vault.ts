/**
 * An HTTPS server for tests that speaks the Azure Key Vault keys REST API used by the driver
 * (GET key, POST encrypt/decrypt with RSA-OAEP-256, bearer challenge) and the Entra ID
 * endpoints a client-secret credential uses (OpenID configuration, client-credentials token).
 * Lowkey Vault, the intended emulator, is not published on Maven Central (its app jar is only on
 * GitHub Packages), so it cannot be installed here.
 *
 * TLS: a throw-away self-signed certificate made with openssl; tests trust it through the
 * driver's `ssl.ca.location` option only.
 */
import { execFileSync } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface FakeAzureKeyVersion {
  version: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  enabled: boolean;
}

export interface FakeAzureKey {
  versions: FakeAzureKeyVersion[];
  deleted: boolean;
}

export interface FakeKeyVault {
  /** `https://localhost:PORT` (the vault URL and the authority host) */
  url: string;
  caFile: string;
  tenant: string;
  clients: Map<string, string>; // client id -> secret
  keys: Map<string, FakeAzureKey>;
  /** Key Vault operations seen: [method, path-without-query] */
  seen: Array<[string, string]>;
  failNext: { status: number; count: number; code: string };
  addKey(name: string): FakeAzureKey;
  rotate(name: string): FakeAzureKeyVersion;
  close(): Promise<void>;
}

function newVersion(): FakeAzureKeyVersion {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { version: randomBytes(16).toString('hex'), privateKey, publicKey, enabled: true };
}

const b64url = (b: Buffer): string => b.toString('base64url');

export async function startFakeKeyVault(tenant = 'test-tenant'): Promise<FakeKeyVault> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-akv-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  const tokens = new Set<string>();
  const fake: FakeKeyVault = {
    url: '',
    caFile: certFile,
    tenant,
    clients: new Map(),
    keys: new Map(),
    seen: [],
    failNext: { status: 0, count: 0, code: '' },
    addKey(name) {
      const k: FakeAzureKey = { versions: [newVersion()], deleted: false };
      fake.keys.set(name, k);
      return k;
    },
    rotate(name) {
      const v = newVersion();
      fake.keys.get(name)!.versions.push(v);
      return v;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const json = (res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const kvError = (res: import('node:http').ServerResponse, status: number, code: string, message: string, inner?: string): void =>
    json(res, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });

  const server = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      const raw = Buffer.concat(chunks).toString('utf8');
      // ---- Entra ID
      if (url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`) {
        const base = `${fake.url}/${tenant}`;
        return json(res, 200, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          issuer: `${base}/v2.0`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        });
      }
      if (url.pathname === `/${tenant}/oauth2/v2.0/token` && req.method === 'POST') {
        const form = new URLSearchParams(raw);
        const id = form.get('client_id') ?? '';
        if (!fake.clients.has(id) || fake.clients.get(id) !== form.get('client_secret')) {
          return json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
        }
        const t = randomUUID();
        tokens.add(t);
        return json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: t });
      }
      // ---- Key Vault
      const m = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(encrypt|decrypt))?\/?$/.exec(url.pathname);
      if (!m) return kvError(res, 404, 'NotFound', 'no such route');
      const auth = String(req.headers['authorization'] ?? '');
      if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
        res.setHeader(
          'WWW-Authenticate',
          `Bearer authorization="${fake.url}/${tenant}", resource="https://vault.azure.net"`,
        );
        return kvError(res, 401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
      }
      fake.seen.push([req.method ?? 'GET', url.pathname]);
      if (fake.failNext.count > 0) {
        fake.failNext.count--;
        return kvError(res, fake.failNext.status, fake.failNext.code, 'injected');
      }
      const [, name, versionId, op] = m as unknown as [string, string, string | undefined, string | undefined];
      const key = fake.keys.get(name);
      if (!key || key.deleted) return kvError(res, 404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
      const v = versionId ? key.versions.find((x) => x.version === versionId) : key.versions.at(-1);
      if (!v) return kvError(res, 404, 'KeyNotFound', `A key with (name/id) ${name}/${versionId} was not found in this key vault.`);
      const kid = `${fake.url}/keys/${name}/${v.version}`;
      if (!op) {
        const jwk = v.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
        return json(res, 200, {
          key: { kid, kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'], n: jwk.n, e: jwk.e },
          attributes: { enabled: v.enabled, created: 1, updated: 1, recoveryLevel: 'Recoverable' },
        });
      }
      if (!v.enabled) return kvError(res, 403, 'Forbidden', `Operation ${op} is not allowed on a disabled key.`, 'KeyDisabled');
      let body: { alg?: string; value?: string };
      try {
        body = JSON.parse(raw) as { alg?: string; value?: string };
      } catch {
        return kvError(res, 400, 'BadParameter', 'invalid JSON');
      }
      if (body.alg !== 'RSA-OAEP-256') return kvError(res, 400, 'BadParameter', `unsupported algorithm ${body.alg}`);
      const input = Buffer.from(body.value ?? '', 'base64url');
      const pad = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
      try {
        const out = op === 'encrypt' ? publicEncrypt({ key: v.publicKey, ...pad }, input) : privateDecrypt({ key: v.privateKey, ...pad }, input);
        return json(res, 200, { kid, value: b64url(out) });
      } catch {
        return kvError(res, 400, 'BadParameter', 'Error decrypting ciphertext');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `https://localhost:${(server.address() as AddressInfo).port}`;
  return fake;
}
