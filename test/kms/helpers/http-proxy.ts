/**
 * A tiny HTTP forwarding proxy on 127.0.0.1 for tests: records each request (method, path,
 * headers, body) and can answer chosen requests itself (e.g. a throttling error) instead of
 * forwarding them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Injected {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface TestProxy {
  url: string;
  requests: RecordedRequest[];
  /** Return a response to send instead of forwarding, or undefined to forward. */
  intercept?: (req: RecordedRequest) => Injected | undefined;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<TestProxy> {
  const t = new URL(target);
  const proxy: TestProxy = {
    url: '',
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: body.toString('utf8') };
      proxy.requests.push(rec);
      const inj = proxy.intercept?.(rec);
      if (inj) {
        res.writeHead(inj.status, { 'content-type': 'application/x-amz-json-1.1', ...inj.headers });
        res.end(inj.body);
        return;
      }
      const fwd = http.request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      fwd.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** The region in a SigV4 Authorization header (`Credential=AKID/date/REGION/service/...`). */
export function signingRegion(req: RecordedRequest): string | undefined {
  const auth = String(req.headers['authorization'] ?? '');
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth)?.[1];
}

/** The access key id in a SigV4 Authorization header. */
export function signingAccessKey(req: RecordedRequest): string | undefined {
  const auth = String(req.headers['authorization'] ?? '');
  return /Credential=([^/]+)\//.exec(auth)?.[1];
}
