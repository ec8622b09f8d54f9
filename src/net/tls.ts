/**
 * TLS and proxy settings of the HTTP clients (registry clients, Vault driver), with Confluent's
 * property names where they exist, and the one HTTP(S) request function that honours them.
 *
 * Without any of these settings requests go through Node's `fetch`; with them, through
 * `node:http`/`node:https` (custom CA, client certificate for mTLS, `rejectUnauthorized`, and
 * an HTTP proxy: `CONNECT` tunnel for https URLs, absolute-form requests for http URLs).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { CsfleError } from '../errors';

/** TLS and proxy settings. */
export interface TlsOptions {
  /** PEM file of the CA certificate(s) to trust (in addition to none: it replaces Node's defaults, as Confluent's clients do). */
  'ssl.ca.location'?: string;
  /** PEM file of the client certificate (mTLS), with `ssl.key.location`. */
  'ssl.certificate.location'?: string;
  /** PEM file of the client private key (mTLS). */
  'ssl.key.location'?: string;
  /** Passphrase of an encrypted `ssl.key.location`. Never logged. */
  'ssl.key.password'?: string;
  /** Verify the server certificate (default `true`). `false` is for tests only. */
  rejectUnauthorized?: boolean;
  /**
   * HTTP proxy URL, e.g. `http://proxy.corp:3128` (credentials in the URL are sent as
   * `Proxy-Authorization`). https URLs are tunnelled with `CONNECT`.
   */
  proxy?: string;
}

/** The keys of {@link TlsOptions}. */
export const TLS_OPTION_KEYS = [
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'rejectUnauthorized',
  'proxy',
] as const;

/** One request. */
export interface NetRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** An answer, resolved once the headers arrived (like `fetch`). */
export interface NetResponse {
  status: number;
  header(name: string): string | null;
  text(): Promise<string>;
}

/** Sends one request. */
export type NetSend = (req: NetRequest) => Promise<NetResponse>;

interface Resolved {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
  rejectUnauthorized: boolean;
  proxy?: URL;
}

function readPem(file: string, key: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new CsfleError('INVALID_REQUEST', `${what}: cannot read the PEM file named by '${key}'`);
  }
}

/** True when any TLS or proxy setting is present. */
export function hasTlsOptions(o: TlsOptions): boolean {
  return TLS_OPTION_KEYS.some((k) => o[k] !== undefined);
}

/**
 * Builds the request function for these settings (files are read once, here). `what` names the
 * client in configuration errors (e.g. `registry`, `hcvault`).
 */
export function createSend(options: TlsOptions, what: string): NetSend {
  if (!hasTlsOptions(options)) return fetchSend;
  if ((options['ssl.certificate.location'] === undefined) !== (options['ssl.key.location'] === undefined)) {
    throw new CsfleError('INVALID_REQUEST', `${what}: 'ssl.certificate.location' and 'ssl.key.location' go together`);
  }
  let proxy: URL | undefined;
  if (options.proxy !== undefined) {
    try {
      proxy = new URL(options.proxy);
    } catch {
      proxy = undefined;
    }
    if (!proxy || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')) {
      throw new CsfleError('INVALID_REQUEST', `${what}: 'proxy' must be an http(s) URL`);
    }
  }
  const r: Resolved = {
    ca: options['ssl.ca.location'] ? readPem(options['ssl.ca.location'], 'ssl.ca.location', what) : undefined,
    cert: options['ssl.certificate.location'] ? readPem(options['ssl.certificate.location'], 'ssl.certificate.location', what) : undefined,
    key: options['ssl.key.location'] ? readPem(options['ssl.key.location'], 'ssl.key.location', what) : undefined,
    passphrase: options['ssl.key.password'],
    rejectUnauthorized: options.rejectUnauthorized !== false,
    proxy,
  };
  return (req) => nodeSend(req, r);
}

const fetchSend: NetSend = async (req) => {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: req.signal });
  return { status: res.status, header: (n) => res.headers.get(n), text: () => res.text() };
};

function tlsSettings(r: Resolved, host: string): tls.ConnectionOptions {
  return {
    ...(isIP(host) === 0 ? { servername: host } : {}), // SNI takes host names only (RFC 6066)
    ...(r.ca ? { ca: r.ca } : {}),
    ...(r.cert ? { cert: r.cert, key: r.key, passphrase: r.passphrase } : {}),
    rejectUnauthorized: r.rejectUnauthorized,
  };
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(creds).toString('base64')}` };
}

/** Opens a CONNECT tunnel through the proxy to host:port. */
function tunnel(proxy: URL, host: string, port: number, signal: AbortSignal | undefined): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const lib = proxy.protocol === 'https:' ? https : http;
    const req = lib.request({
      host: proxy.hostname,
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: `${host}:${port}`,
      headers: { Host: `${host}:${port}`, ...proxyAuth(proxy) },
      signal,
      agent: false,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(Object.assign(new Error(`proxy refused CONNECT (HTTP ${res.statusCode})`), { code: 'EPROXY' }));
        return;
      }
      resolve(socket);
    });
    req.once('error', reject);
    req.end();
  });
}

async function nodeSend(req: NetRequest, r: Resolved): Promise<NetResponse> {
  const target = new URL(req.url);
  const secure = target.protocol === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  const headers: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
  let options: https.RequestOptions;
  if (r.proxy && secure) {
    const socket = await tunnel(r.proxy, target.hostname, port, req.signal);
    const tlsSocket = tls.connect({ socket, ...tlsSettings(r, target.hostname) });
    // no `agent`: with one, Node would ignore createConnection and dial the target directly
    options = { host: target.hostname, port, path: `${target.pathname}${target.search}`, createConnection: () => tlsSocket };
  } else if (r.proxy) {
    options = {
      host: r.proxy.hostname,
      port: Number(r.proxy.port || 80),
      path: req.url,
      agent: false,
    };
    Object.assign(headers, { Host: target.host, ...proxyAuth(r.proxy) });
  } else {
    options = { host: target.hostname, port, path: `${target.pathname}${target.search}`, agent: false, ...(secure ? tlsSettings(r, target.hostname) : {}) };
  }
  const lib = r.proxy ? (secure || r.proxy.protocol === 'http:' ? http : https) : secure ? https : http;
  return new Promise<NetResponse>((resolve, reject) => {
    const request = lib.request({ ...options, method: req.method, headers, signal: req.signal }, (res) => {
      const chunks: Buffer[] = [];
      const body = new Promise<string>((ok, fail) => {
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => ok(Buffer.concat(chunks).toString('utf8')));
        res.once('error', fail);
        res.once('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      });
      body.catch(() => undefined); // observed by text()
      resolve({
        status: res.statusCode ?? 0,
        header: (n) => {
          const v = res.headers[n.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
        },
        text: () => body,
      });
    });
    request.once('error', reject);
    if (req.body !== undefined) request.write(req.body);
    request.end();
  });
}
