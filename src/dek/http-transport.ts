/**
 * The HTTP layer shared by the DEK registry client and the HTTP schema source: base-URL failover,
 * retries with exponential backoff and full jitter (network errors, timeouts, 429, 5xx — never
 * other 4xx), per-request timeouts, basic / bearer auth.
 *
 * It never throws for an HTTP status: callers get `{ status, data, errorCode, message }` and map
 * statuses to their own typed errors. It throws (a typed `REGISTRY_UNAVAILABLE` error, retryable)
 * only when no registry URL answered at all.
 *
 * @packageDocumentation
 */
import { CsfleError, type CsfleErrorCode, type CsfleErrorOptions } from '../errors';
import { createSend, type NetResponse, type NetSend } from '../net/tls';
import { REGISTRY_HTTP_DEFAULTS, type RegistryHttpOptions } from './http-options';

/** Constructor of the error class a caller wants (e.g. `DekRegistryError`). */
export type RegistryErrorClass = new (
  code: CsfleErrorCode,
  message: string,
  options?: CsfleErrorOptions,
) => CsfleError;

/** One HTTP request. `path` is relative to the base URL and already URL-encoded. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
}

/** An HTTP answer (any status). */
export interface HttpResult {
  status: number;
  /** Parsed JSON body, or `undefined` for an empty body (or the raw text if not JSON). */
  data: unknown;
  /** Confluent `error_code` of an error body, when present. */
  errorCode?: number;
  /** Confluent `message` of an error body, when present (never contains our secrets). */
  message?: string;
  /** The base URL that answered (without credentials). */
  baseUrl: string;
}

const ACCEPT =
  'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json';
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A retryable transport failure inside one attempt. */
class AttemptFailure {
  constructor(
    readonly reason: string,
    readonly timedOut: boolean | 'first-byte',
    readonly result?: HttpResult,
    /** Server-requested delay (429/503 `Retry-After`), ms. */
    readonly retryAfterMs?: number,
    /** The base URL of the attempt. */
    readonly url?: string,
  ) {}
}

/** Parses a `Retry-After` header (seconds or HTTP date) into ms; undefined if absent/invalid. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Builds a query string (`deleted=true&subjectPrefix=a&subjectPrefix=b`). */
export function queryString(query: HttpRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(one))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Splits userinfo off a base URL: fetch refuses URLs with credentials, and logs must not show them. */
function parseBaseUrl(raw: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CsfleError('INVALID_REQUEST', `Invalid registry URL (not an absolute http(s) URL)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CsfleError('INVALID_REQUEST', `Invalid registry URL protocol ${u.protocol}`);
  }
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), username, password };
}

/** `util.inspect`'s custom-inspection hook (`util.inspect.custom`), without importing `node:util`. */
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** How a registry client authenticates, as shown in logs (never the credentials themselves). */
export type RegistryAuthKind = 'basic' | 'bearer' | 'none';

/**
 * HTTP transport to one logical registry (one or more base URLs).
 *
 * Credentials (basic, bearer token or provider, extra headers) live in `#private` fields, so
 * `util.inspect`, `JSON.stringify`, `console.log` and structured loggers never see them; the
 * transport shows itself as `{ urls, auth }` with credential-free URLs.
 */
export class RegistryHttpTransport {
  /** Base URLs, credentials stripped. */
  readonly baseUrls: readonly string[];
  #preferred = 0;
  readonly #timeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #retryOnTimeout: boolean;
  readonly #maxRetries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #errorClass: RegistryErrorClass;
  readonly #staticHeaders: Record<string, string>;
  readonly #basic?: string;
  readonly #send: NetSend;
  readonly #bearer?: string | (() => string | Promise<string>);

  constructor(options: RegistryHttpOptions, errorClass: RegistryErrorClass) {
    this.#errorClass = errorClass;
    const urls = Array.isArray(options.url) ? options.url : [options.url];
    if (urls.length === 0) throw new errorClass('INVALID_REQUEST', 'No registry URL configured');
    const parsed = urls.map(parseBaseUrl);
    this.baseUrls = parsed.map((p) => p.url);
    this.#timeoutMs = options.timeoutMs ?? REGISTRY_HTTP_DEFAULTS.timeoutMs;
    this.#connectTimeoutMs = Math.min(options.connectTimeoutMs ?? this.#timeoutMs, this.#timeoutMs);
    this.#retryOnTimeout = options.retryOnTimeout ?? true;
    this.#maxRetries = Math.max(0, options.maxRetries ?? REGISTRY_HTTP_DEFAULTS.maxRetries);
    this.#backoffMs = options.retryBackoffMs ?? REGISTRY_HTTP_DEFAULTS.retryBackoffMs;
    this.#maxBackoffMs = options.retryMaxBackoffMs ?? REGISTRY_HTTP_DEFAULTS.retryMaxBackoffMs;
    this.#staticHeaders = { ...(options.headers ?? {}) };
    this.#send = createSend(options, 'registry');
    const auth = options.auth;
    if (auth && 'basic' in auth) {
      this.#basic = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64');
    } else if (auth && 'bearer' in auth) {
      this.#bearer = auth.bearer;
    } else {
      const withCreds = parsed.find((p) => p.username !== undefined);
      if (withCreds) {
        this.#basic = Buffer.from(`${withCreds.username}:${withCreds.password ?? ''}`).toString('base64');
      }
    }
  }

  /** The kind of authentication configured (for logs). */
  get authKind(): RegistryAuthKind {
    return this.#basic !== undefined ? 'basic' : this.#bearer !== undefined ? 'bearer' : 'none';
  }

  /** A credential-free description: base URLs (no userinfo) and the auth kind. */
  toJSON(): { urls: string[]; auth: RegistryAuthKind } {
    return { urls: [...this.baseUrls], auth: this.authKind };
  }

  [INSPECT](): string {
    return `RegistryHttpTransport { urls: ${JSON.stringify(this.baseUrls)}, auth: '${this.authKind}' }`;
  }

  /** Sends a request with failover and retries; resolves with the first non-retryable answer. */
  async request(req: HttpRequest): Promise<HttpResult> {
    const n = this.baseUrls.length;
    let last: AttemptFailure | undefined;
    const timedOut = new Set<number>();
    for (let round = 0; round <= this.#maxRetries; round++) {
      if (round > 0) {
        // Honour the server's Retry-After (capped), else exponential backoff with full jitter.
        const asked = last?.retryAfterMs;
        await sleep(asked !== undefined ? Math.min(asked, this.#maxBackoffMs) : this.#backoff(round - 1));
      }
      for (let i = 0; i < n; i++) {
        const idx = (this.#preferred + i) % n;
        if (timedOut.has(idx)) continue;
        const outcome = await this.#attempt(this.baseUrls[idx]!, req);
        if (outcome instanceof AttemptFailure) {
          last = outcome;
          if (outcome.timedOut && !this.#retryOnTimeout) timedOut.add(idx);
          continue;
        }
        this.#preferred = idx;
        return outcome;
      }
      if (timedOut.size === n) break;
    }
    // Every attempt failed with a retryable condition.
    if (last?.result) return last.result; // a 429/5xx answer: let the caller map it
    const what = `${req.method} ${req.path.split('?')[0]}`;
    const why =
      last?.timedOut === 'first-byte'
        ? `timed out after ${this.#connectTimeoutMs} ms waiting for ${last.url} to answer (connect / first byte)`
        : last?.timedOut
          ? `timed out after ${this.#timeoutMs} ms at ${last.url}`
          : `${last?.reason ?? 'no answer'}`;
    throw new this.#errorClass(
      'REGISTRY_UNAVAILABLE',
      `Registry unreachable (${why}) for ${what} at ${this.baseUrls.join(', ')} after ` +
        (timedOut.size === n ? `a timeout on every URL` : `${this.#maxRetries + 1} round(s)`),
      { retryable: true },
    );
  }

  #backoff(retry: number): number {
    const ceiling = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** retry);
    return Math.random() * ceiling; // full jitter
  }

  async #headers(hasBody: boolean): Promise<Record<string, string>> {
    const h: Record<string, string> = { Accept: ACCEPT, ...this.#staticHeaders };
    if (hasBody) h['Content-Type'] = CONTENT_TYPE;
    if (this.#basic) h.Authorization = `Basic ${this.#basic}`;
    else if (this.#bearer !== undefined) {
      const token = typeof this.#bearer === 'function' ? await this.#bearer() : this.#bearer;
      h.Authorization = `Bearer ${token}`;
    }
    return h;
  }

  async #attempt(baseUrl: string, req: HttpRequest): Promise<HttpResult | AttemptFailure> {
    const url = `${baseUrl}${req.path}${queryString(req.query)}`;
    const hasBody = req.body !== undefined;
    let response: NetResponse;
    let text: string;
    // Two clocks: connect + response headers (first byte), then the whole request.
    const abort = new AbortController();
    let phase: 'first-byte' | 'body' = 'first-byte';
    const firstByte = setTimeout(() => abort.abort(), this.#connectTimeoutMs);
    const total = setTimeout(() => abort.abort(), this.#timeoutMs);
    try {
      response = await this.#send({
        url,
        method: req.method,
        headers: await this.#headers(hasBody),
        body: hasBody ? JSON.stringify(req.body) : undefined,
        signal: abort.signal,
      });
      phase = 'body';
      clearTimeout(firstByte);
      text = await response.text();
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; errors?: { code?: string }[] }; code?: string };
      const aborted = abort.signal.aborted || e?.name === 'TimeoutError' || e?.name === 'AbortError';
      const code = e?.cause?.code ?? e?.cause?.errors?.[0]?.code ?? e?.code ?? e?.name ?? 'network error';
      const timedOut = aborted ? (phase === 'first-byte' ? 'first-byte' : true) : false;
      return new AttemptFailure(`${code} at ${baseUrl}`, timedOut, undefined, undefined, baseUrl);
    } finally {
      clearTimeout(firstByte);
      clearTimeout(total);
    }
    let data: unknown;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    const result: HttpResult = { status: response.status, data, baseUrl };
    if (response.status >= 400 && data && typeof data === 'object') {
      const body = data as { error_code?: unknown; message?: unknown };
      if (typeof body.error_code === 'number') result.errorCode = body.error_code;
      if (typeof body.message === 'string') result.message = body.message;
    }
    if (response.status === 429 || response.status >= 500) {
      return new AttemptFailure(`HTTP ${response.status}`, false, result, retryAfter(response.header('retry-after')), baseUrl);
    }
    return result;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Path segment encoder (kek names, subjects). */
export const seg = (s: string | number): string => encodeURIComponent(String(s));
