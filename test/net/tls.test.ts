/**
 * TLS for the registry clients (DekRegistryClient, HttpSchemaSource) and the Vault driver,
 * against a local HTTPS server that requires a client certificate (mTLS): custom CA, client
 * certificate and key (also encrypted), rejectUnauthorized, and an HTTP CONNECT proxy.
 * Certificates are generated here with openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsfleError, DekRegistryClient, getKmsDriver, HttpSchemaSource, type KmsClient, type RegistryHttpOptions } from '../../src/index';
import { csfleRejection as failure } from '../helpers/csfle-rejection';

let dir: string;
let server: https.Server;
let proxy: http.Server;
let base: string;
let proxyUrl: string;
const seenClients: string[] = [];
const connects: string[] = [];
const tunnels = new Set<net.Socket>();
const f = (name: string) => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, plus an unrelated CA. */
function makeCerts(): void {
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, ext] of [['server', ['-extfile', 'server.ext']], ['client', []]] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=csfle-${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...ext);
  }
  openssl('pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:key-pw-1', '-out', 'client-enc.key');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'csfle-tls-'));
  makeCerts();
  server = https.createServer(
    { key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      seenClients.push((req.socket as TLSSocket).getPeerCertificate().subject?.CN?.toString() ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>) : {};
        const send = (status: number, data: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(data));
        };
        if (req.url === '/dek-registry/v1/keks') return send(200, ['tls-kek']);
        if (req.url === '/schemas/ids/7') return send(200, { schema: '"string"' });
        if (req.url === '/v1/transit/encrypt/k1') {
          return send(200, { data: { ciphertext: `vault:v1:${Buffer.from(body.plaintext!, 'base64').reverse().toString('base64')}` } });
        }
        if (req.url === '/v1/transit/decrypt/k1') {
          return send(200, { data: { plaintext: Buffer.from(body.ciphertext!.slice('vault:v1:'.length), 'base64').reverse().toString('base64') } });
        }
        send(404, { error_code: 404, message: 'not found' });
      });
    },
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    connects.push(`${req.url} ${req.headers['proxy-authorization'] ?? ''}`.trim());
    const [host, port] = req.url!.split(':');
    tunnels.add(client);
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    tunnels.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  for (const s of tunnels) s.destroy();
  server?.closeAllConnections();
  proxy?.closeAllConnections();
  await Promise.all([new Promise((ok) => server?.close(ok)), new Promise((ok) => proxy?.close(ok))]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const mtls = (): Partial<RegistryHttpOptions> => ({
  'ssl.ca.location': f('ca.pem'),
  'ssl.certificate.location': f('client.pem'),
  'ssl.key.location': f('client.key'),
});

describe('registry clients over mTLS', () => {
  it('DekRegistryClient and HttpSchemaSource work with CA + client certificate', async () => {
    const before = seenClients.length;
    expect(await new DekRegistryClient({ url: base, ...mtls() }).listKeks()).toEqual(['tls-kek']);
    expect(await new HttpSchemaSource({ url: base, ...mtls() }).getById(7)).toMatchObject({ id: 7, schema: '"string"' });
    expect(seenClients.length - before).toBeGreaterThanOrEqual(2);
    expect(new Set(seenClients.slice(before))).toEqual(new Set(['csfle-client']));
  });

  it('an encrypted client key works with ssl.key.password', async () => {
    const c = new DekRegistryClient({ url: base, ...mtls(), 'ssl.key.location': f('client-enc.key'), 'ssl.key.password': 'key-pw-1' });
    expect(await c.listKeks()).toEqual(['tls-kek']);
    expect(JSON.stringify(c) + String(Object.entries(c))).not.toContain('key-pw-1');
  });

  it('fails without the client certificate, without the CA, or with another CA', async () => {
    const cases: Partial<RegistryHttpOptions>[] = [
      { 'ssl.ca.location': f('ca.pem') }, // server demands a client certificate
      { 'ssl.certificate.location': f('client.pem'), 'ssl.key.location': f('client.key') }, // Node's CAs do not know ours
      { ...mtls(), 'ssl.ca.location': f('other-ca.pem') },
    ];
    for (const tls of cases) {
      const e = await failure(new DekRegistryClient({ url: base, maxRetries: 0, ...tls }).listKeks());
      expect(e.code, JSON.stringify(tls)).toBe('REGISTRY_UNAVAILABLE');
      expect(e.message).toContain(base);
    }
  });

  it('rejectUnauthorized: false skips server verification (the client certificate is still sent)', async () => {
    const c = new DekRegistryClient({ url: base, rejectUnauthorized: false, 'ssl.certificate.location': f('client.pem'), 'ssl.key.location': f('client.key') });
    expect(await c.listKeks()).toEqual(['tls-kek']);
  });

  it('goes through an HTTP proxy with CONNECT (proxy credentials as Proxy-Authorization)', async () => {
    const before = connects.length;
    const u = new URL(proxyUrl);
    u.username = 'pu';
    u.password = 'pp';
    expect(await new DekRegistryClient({ url: base, ...mtls(), proxy: u.toString() }).listKeks()).toEqual(['tls-kek']);
    expect(await new HttpSchemaSource({ url: base, ...mtls(), proxy: proxyUrl }).getById(7)).toMatchObject({ id: 7 });
    const host = new URL(base).host;
    const seen = connects.slice(before);
    expect(seen[0]).toBe(`${host} Basic ${Buffer.from('pu:pp').toString('base64')}`);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.slice(1))).toEqual(new Set([host]));
  });

  it('configuration errors are typed: unreadable PEM, certificate without key, bad proxy URL', () => {
    expect(() => new DekRegistryClient({ url: base, 'ssl.ca.location': f('missing.pem') })).toThrow(/ssl\.ca\.location/);
    expect(() => new DekRegistryClient({ url: base, 'ssl.certificate.location': f('client.pem') })).toThrow(CsfleError);
    expect(() => new HttpSchemaSource({ url: base, proxy: 'socks5://x' })).toThrow(/proxy/);
  });
});

describe('hcvault driver over mTLS', () => {
  const keyId = () => `${base}/transit/keys/k1`;
  const client = async (config: Record<string, unknown>): Promise<KmsClient> =>
    await (getKmsDriver('hcvault').newClient({ kmsKeyId: keyId(), config: { 'token.id': 'vault-token-1', 'kms.max.retries': 0, ...config } }));

  it('wraps and unwraps with CA + client certificate, directly and through the proxy', async () => {
    const dek = Buffer.from('0123456789abcdef0123456789abcdef');
    for (const extra of [{}, { proxy: proxyUrl }]) {
      const c = await client({ ...mtls(), ...extra });
      const wrapped = await c.wrap(dek);
      expect(wrapped.toString()).toMatch(/^vault:v1:/);
      expect(await c.unwrap(wrapped)).toEqual(dek);
    }
    expect(connects.at(-1)).toBe(new URL(base).host);
  });

  it('fails without the client certificate; rejectUnauthorized "false" skips only server verification', async () => {
    const e = await failure((await client({ 'ssl.ca.location': f('ca.pem') })).wrap(Buffer.alloc(16)));
    expect(e.code).toMatch(/^KMS_/);
    const c = await client({ rejectUnauthorized: 'false', 'ssl.certificate.location': f('client.pem'), 'ssl.key.location': f('client.key') });
    expect((await c.wrap(Buffer.alloc(16))).toString()).toMatch(/^vault:v1:/);
  });

  it('an unreadable PEM is KMS_CONFIG_INVALID', async () => {
    const e = await failure(client({ 'ssl.ca.location': f('nope.pem') }));
    expect(e.code).toBe('KMS_CONFIG_INVALID');
  });
});
