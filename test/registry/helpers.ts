/**
 * Shared helpers of the registry-level suites: env from scripts/services/*.sh, a scriptable
 * local HTTP stub, and a dedicated AxonOps process that a test can stop and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Reads an env var written by a service script; fails loudly when missing (never skips). */
export function requireEnv(name: string, service = 'axonops'): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: run the suite with \`npm test\` (scripts/test.sh starts scripts/services/${service}.sh), ` +
        `or start the service and source .cache/env/${service}.env`,
    );
  }
  return v;
}

/** A unique name for this run (KEKs, subjects) so suites never collide on a shared registry. */
export function uniq(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type StubHandler = (
  req: StubRequest,
) => StubAnswer | Promise<StubAnswer>;

/** What a stub answers. */
export interface StubAnswer {
  status: number;
  body?: unknown;
  delayMs?: number;
  headers?: Record<string, string>;
}

/** A local HTTP server whose answers a test scripts. Records every request. */
export class StubServer {
  readonly requests: StubRequest[] = [];
  private server?: Server;
  url = '';

  constructor(public handler: StubHandler) {}

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const r: StubRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body };
        this.requests.push(r);
        try {
          const out = await this.handler(r);
          if (out.delayMs) await new Promise((ok) => setTimeout(ok, out.delayMs));
          if (res.destroyed) return;
          res.writeHead(out.status, {
            ...(out.body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...(out.headers ?? {}),
          });
          res.end(out.body === undefined ? undefined : JSON.stringify(out.body));
        } catch (e) {
          res.writeHead(500);
          res.end(String(e));
        }
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise<void>((ok) => this.server!.close(() => ok()));
    this.server = undefined;
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

/** A dedicated AxonOps process (binary from AXONOPS_BIN) that a test can stop and restart. */
export class AxonOpsProcess {
  private child?: ChildProcess;
  readonly url: string;
  log = '';

  constructor(
    readonly port: number,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(extraEnv: Record<string, string> = {}): Promise<AxonOpsProcess> {
    return new AxonOpsProcess(await freePort(), extraEnv);
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const bin = requireEnv('AXONOPS_BIN');
    this.child = spawn(bin, [], {
      env: {
        PATH: process.env.PATH ?? '',
        SCHEMA_REGISTRY_HOST: '127.0.0.1',
        SCHEMA_REGISTRY_PORT: String(this.port),
        SCHEMA_REGISTRY_STORAGE_TYPE: 'memory',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = this.child;
    child.stdout?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20_000)));
    child.stderr?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20_000)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`AxonOps exited during start-up:\n${this.log.slice(-2000)}`);
      try {
        const r = await fetch(`${this.url}/subjects`);
        if (r.ok) return;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`AxonOps not ready after ${timeoutMs} ms:\n${this.log.slice(-2000)}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process: it accepts connections but never answers. */
  freeze(frozen: boolean): void {
    this.child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A recorded proxied exchange. */
export interface ProxiedCall {
  method: string;
  path: string;
  status: number;
}

/** A pass-through HTTP proxy to a registry that records every call and its status. */
export class RecordingProxy {
  readonly calls: ProxiedCall[] = [];
  private stub?: StubServer;
  private readonly barriers: Array<{ match: (method: string, path: string) => boolean; count: number; waiting: Array<() => void> }> = [];

  /**
   * Forwards requests matching `match` but holds their answers until `count` of them have been
   * answered upstream (then returns them all), so concurrent clients all see the same registry
   * state and really race. A barrier opens once.
   */
  barrier(match: (method: string, path: string) => boolean, count: number): this {
    this.barriers.push({ match, count, waiting: [] });
    return this;
  }

  constructor(readonly target: string) {}

  get url(): string {
    return this.stub?.url ?? '';
  }

  async start(): Promise<this> {
    this.stub = await new StubServer(async (r) => {
      const q = r.query.toString();
      const res = await fetch(`${this.target}${r.path}${q ? `?${q}` : ''}`, {
        method: r.method,
        headers: r.body === undefined ? {} : { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
        body: r.body === undefined ? undefined : JSON.stringify(r.body),
      });
      const text = await res.text();
      const b = this.barriers.find((x) => x.count > 0 && x.match(r.method, r.path));
      if (b) {
        await new Promise<void>((release) => {
          b.waiting.push(release);
          const open = () => {
            b.count = 0;
            b.waiting.splice(0).forEach((w) => w());
          };
          if (b.waiting.length >= b.count) open();
          else setTimeout(open, 5_000); // never hang a test: open anyway after 5 s
        });
      }
      this.calls.push({ method: r.method, path: r.path, status: res.status });
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }).start();
    return this;
  }

  async stop(): Promise<void> {
    await this.stub?.stop();
  }
}

/** Creates a fresh PostgreSQL database on the cluster of scripts/services/postgres.sh. */
export async function createPgDatabase(prefix: string): Promise<Record<string, string>> {
  const host = requireEnv('PG_HOST', 'postgres');
  const port = requireEnv('PG_PORT', 'postgres');
  const user = requireEnv('PG_USER', 'postgres');
  const password = requireEnv('PG_PASSWORD', 'postgres');
  const bin = requireEnv('PG_BIN_DIR', 'postgres');
  const name = uniq(prefix).toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const { execFile } = await import('node:child_process');
  await new Promise<void>((ok, fail) =>
    execFile(`${bin}/createdb`, ['-h', host, '-p', port, '-U', user, name], (err, _o, stderr) =>
      err ? fail(new Error(`createdb failed: ${stderr}`)) : ok(),
    ),
  );
  return {
    SCHEMA_REGISTRY_STORAGE_TYPE: 'postgresql',
    SCHEMA_REGISTRY_PG_HOST: host,
    SCHEMA_REGISTRY_PG_PORT: port,
    SCHEMA_REGISTRY_PG_USER: user,
    // AxonOps builds a key=value DSN; an empty password would swallow the next key.
    SCHEMA_REGISTRY_PG_PASSWORD: password,
    SCHEMA_REGISTRY_PG_DATABASE: name,
    SCHEMA_REGISTRY_PG_SSLMODE: 'disable',
  };
}
