/**
 * Connection settings shared by every client of a Confluent-compatible registry reached over
 * HTTP: the DEK registry client and the HTTP schema source.
 *
 * @packageDocumentation
 */

import type { TlsOptions } from '../net/tls';

/**
 * Connection settings of a Confluent-compatible registry reached over HTTP (schema registry or
 * DEK registry). Several URLs = failover in order. TLS: `ssl.ca.location` (custom CA),
 * `ssl.certificate.location` + `ssl.key.location` (mTLS), `rejectUnauthorized`, and `proxy`
 * (see {@link TlsOptions}).
 */
export interface RegistryHttpOptions extends TlsOptions {
  /**
   * Base URL(s) of the registry, e.g. `http://localhost:8081`. With several URLs, a request that
   * fails on one (network error, timeout, 429, 5xx) is tried on the next; the last URL that
   * answered is preferred for later requests. Credentials embedded in a URL
   * (`http://user:pass@host`) are moved to basic auth.
   */
  url: string | string[];
  /** HTTP basic auth, or a bearer token (string or async provider). */
  auth?:
    | { basic: { username: string; password: string } }
    | { bearer: string | (() => string | Promise<string>) };
  /** Per-request timeout (default 10 000 ms). */
  timeoutMs?: number;
  /**
   * Time allowed to connect and receive the response headers (default: `timeoutMs`). A registry
   * that accepts the connection but does not answer within it fails the attempt with a
   * `REGISTRY_UNAVAILABLE` error naming the URL.
   */
  connectTimeoutMs?: number;
  /**
   * Whether an attempt that timed out is retried (on the same URL). Default `true`. The CLI sets
   * it to `false` so a silent registry fails fast; other URLs are still tried in order.
   */
  retryOnTimeout?: boolean;
  /** Retries on network errors, 429 and 5xx (never 4xx). Default 3. */
  maxRetries?: number;
  /** First backoff delay, doubled per retry with full jitter. Default 100 ms. */
  retryBackoffMs?: number;
  /** Cap of one backoff delay. Default 2 000 ms. */
  retryMaxBackoffMs?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * Max entries of each client-side cache (KEKs, DEKs, schemas). Least recently used entries are
   * evicted first. Default 1 000.
   */
  cacheCapacity?: number;
  /**
   * How long answers about the *latest* version (latest DEK, latest schema of a subject) are
   * trusted before asking the registry again. Default 300 000 ms (5 min); 0 disables caching of
   * "latest" answers. Pinned versions (DEK version N, schema id N) are cached until evicted.
   */
  cacheLatestTtlMs?: number;
}

/** Defaults applied to {@link RegistryHttpOptions}. */
export const REGISTRY_HTTP_DEFAULTS = {
  timeoutMs: 10_000,
  maxRetries: 3,
  retryBackoffMs: 100,
  retryMaxBackoffMs: 2_000,
  cacheCapacity: 1_000,
  cacheLatestTtlMs: 300_000,
} as const;
