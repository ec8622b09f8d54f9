/**
 * The `hcvault` driver: HashiCorp Vault transit engine. The DEK proto is sent as base64
 * `plaintext`; the wrapped DEK is the UTF-8 bytes of Vault's `vault:vN:...` ciphertext string.
 *
 * @packageDocumentation
 */
import type { KmsClient, KmsClientOptions, KmsConfig, KmsDriver } from '../driver';
import { KmsError } from '../../errors';
import { createSend, type NetSend, type TlsOptions } from '../../net/tls';
import {
  callWithRetry,
  configString,
  isNetworkError,
  kmsError,
  retryPolicyFromConfig,
  type KmsCallContext,
  type RetryPolicy,
} from '../retry';

/** The kmsType served by {@link hcVaultDriver}. */
export const HCVAULT_KMS_TYPE = 'hcvault';

/**
 * Config of the hcvault driver (strings; the KEK's `kmsProps` are merged on top). All optional.
 */
export interface HcVaultDriverOptions {
  /** Vault token (fallback env `VAULT_TOKEN`). Never logged. */
  'token.id'?: string;
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace` (fallback env `VAULT_NAMESPACE`). */
  namespace?: string;
  /** AppRole role id (fallback env `VAULT_APPROLE_ROLE_ID`); with `approle.secret.id` used to log in when no token is set. */
  'approle.role.id'?: string;
  /** AppRole secret id (fallback env `VAULT_APPROLE_SECRET_ID`). Never logged. */
  'approle.secret.id'?: string;
  /** Mount of the AppRole auth method (default `approle`). */
  'approle.mount'?: string;
  /** Replaces scheme, host and port of the key URL (e.g. a private endpoint). */
  endpoint?: string;
  /** Budget of one wrap/unwrap, retries included (ms, default 10000). */
  'kms.timeout.ms'?: string | number;
  /** Retries after 429 / 5xx / network errors (default 3). */
  'kms.max.retries'?: string | number;
  'kms.retry.backoff.ms'?: string | number;
  'kms.retry.backoff.max.ms'?: string | number;
  /** PEM file of the CA(s) that signed Vault's certificate (env `VAULT_CACERT`). */
  'ssl.ca.location'?: string;
  /** PEM client certificate for mTLS (env `VAULT_CLIENT_CERT`), with `ssl.key.location`. */
  'ssl.certificate.location'?: string;
  /** PEM client key for mTLS (env `VAULT_CLIENT_KEY`). */
  'ssl.key.location'?: string;
  /** Passphrase of an encrypted client key. Never logged. */
  'ssl.key.password'?: string;
  /** `false` (or `'false'`) skips server certificate verification (env `VAULT_SKIP_VERIFY=true`); tests only. */
  rejectUnauthorized?: boolean | string;
  /** HTTP proxy URL; https Vault URLs are tunnelled with CONNECT. */
  proxy?: string;
}

/** The TLS settings of the hcvault config, with Vault's usual environment variables as fallback. */
function vaultTls(config: KmsConfig): TlsOptions {
  const env = process.env;
  const reject = config['rejectUnauthorized'];
  const skip = nonEmpty(env.VAULT_SKIP_VERIFY);
  const out: TlsOptions = {
    'ssl.ca.location': configString(config, 'ssl.ca.location') ?? nonEmpty(env.VAULT_CACERT),
    'ssl.certificate.location': configString(config, 'ssl.certificate.location') ?? nonEmpty(env.VAULT_CLIENT_CERT),
    'ssl.key.location': configString(config, 'ssl.key.location') ?? nonEmpty(env.VAULT_CLIENT_KEY),
    'ssl.key.password': configString(config, 'ssl.key.password'),
    rejectUnauthorized:
      reject === false || reject === 'false' ? false : reject === undefined && skip !== undefined && /^(1|true)$/i.test(skip) ? false : undefined,
    proxy: configString(config, 'proxy'),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as TlsOptions;
}

/** The parts of a transit key URL `http(s)://host[:port]/<mount>/keys/<name>`. */
export interface VaultKeyUrl {
  /** `https://host:port` */
  readonly origin: string;
  /** Mount path of the transit engine (may have several segments). */
  readonly mount: string;
  readonly name: string;
}

/** Parses an hcvault `kmsKeyId`; a missing scheme means https (as Confluent's Java client). */
export function parseVaultKeyUrl(kmsKeyId: string): VaultKeyUrl {
  const raw = kmsKeyId.trim();
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    url = new URL('invalid://');
  }
  const m = /^\/(.+)\/keys\/([^/]+)\/?$/.exec(url.pathname);
  if (!url.host || !m) {
    throw new KmsError('KMS_CONFIG_INVALID', 'hcvault key id must look like https://HOST[:PORT]/<mount>/keys/<name>', {
      kmsType: HCVAULT_KMS_TYPE,
      kmsKeyId,
    });
  }
  return { origin: `${url.protocol}//${url.host}`, mount: m[1]!, name: decodeURIComponent(m[2]!) };
}

interface VaultResponse {
  status: number;
  body: { data?: Record<string, unknown>; auth?: { client_token?: string }; errors?: unknown[] };
}

class HcVaultClient implements KmsClient {
  readonly keyUrl: string;
  readonly #key: VaultKeyUrl;
  readonly #origin: string;
  readonly #policy: RetryPolicy;
  #token: string | undefined;
  #login: Promise<string> | undefined;
  readonly #send: NetSend;

  readonly #config: KmsConfig;

  constructor(kmsKeyId: string, config: KmsConfig) {
    this.#config = config;
    this.keyUrl = `${HCVAULT_KMS_TYPE}://${kmsKeyId}`;
    this.#key = parseVaultKeyUrl(kmsKeyId);
    this.#origin = (configString(config, 'endpoint') ?? this.#key.origin).replace(/\/+$/, '');
    this.#policy = retryPolicyFromConfig(config, HCVAULT_KMS_TYPE);
    this.#token = configString(config, 'token.id') ?? nonEmpty(process.env.VAULT_TOKEN);
    try {
      this.#send = createSend(vaultTls(config), HCVAULT_KMS_TYPE);
    } catch (e) {
      throw new KmsError('KMS_CONFIG_INVALID', (e as Error).message, { kmsType: HCVAULT_KMS_TYPE, kmsKeyId });
    }
  }

  async wrap(plaintext: Buffer): Promise<Buffer> {
    const data = await this.#transit('wrap', 'encrypt', { plaintext: plaintext.toString('base64') });
    const ct = data['ciphertext'];
    if (typeof ct !== 'string' || !ct.startsWith('vault:')) throw this.#malformed('wrap');
    return Buffer.from(ct, 'utf8');
  }

  async unwrap(ciphertext: Buffer): Promise<Buffer> {
    const data = await this.#transit('unwrap', 'decrypt', { ciphertext: ciphertext.toString('utf8') });
    const pt = data['plaintext'];
    if (typeof pt !== 'string') throw this.#malformed('unwrap');
    return Buffer.from(pt, 'base64');
  }

  /** Transit `rewrap`: the same DEK under the key's latest version; the plaintext stays in Vault. */
  async rewrap(ciphertext: Buffer): Promise<Buffer> {
    const data = await this.#transit('rewrap', 'rewrap', { ciphertext: ciphertext.toString('utf8') });
    const ct = data['ciphertext'];
    if (typeof ct !== 'string' || !ct.startsWith('vault:')) throw this.#malformed('rewrap');
    return Buffer.from(ct, 'utf8');
  }

  #malformed(operation: string): KmsError {
    return kmsError('KMS_ERROR', 'Vault returned a malformed transit response', this.#ctx(operation));
  }

  #ctx(operation: string): KmsCallContext {
    return { kmsType: HCVAULT_KMS_TYPE, kmsKeyId: this.keyUrl.slice(HCVAULT_KMS_TYPE.length + 3), operation };
  }

  async #transit(operation: string, action: 'encrypt' | 'decrypt' | 'rewrap', payload: object): Promise<Record<string, unknown>> {
    const ctx = this.#ctx(operation);
    const path = `/v1/${this.#key.mount}/${action}/${encodeURIComponent(this.#key.name)}`;
    let relogged = false;
    return callWithRetry(
      this.#policy,
      ctx,
      async (signal) => {
        const token = await this.#currentToken(ctx, signal);
        let res = await this.#request(path, payload, token, signal);
        if (res.status === 403 && this.#canLogin() && !relogged) {
          // the AppRole token may have expired: log in once more
          relogged = true;
          this.#token = undefined;
          res = await this.#request(path, payload, await this.#currentToken(ctx, signal), signal);
        }
        if (res.status >= 200 && res.status < 300 && res.body.data) return res.body.data;
        throw classifyVaultResponse(res, ctx);
      },
      (err) => classifyVaultError(err, ctx),
    );
  }

  #canLogin(): boolean {
    return this.#roleId() !== undefined && this.#secretId() !== undefined && configString(this.#config, 'token.id') === undefined;
  }

  #roleId(): string | undefined {
    return configString(this.#config, 'approle.role.id') ?? nonEmpty(process.env.VAULT_APPROLE_ROLE_ID);
  }

  #secretId(): string | undefined {
    return configString(this.#config, 'approle.secret.id') ?? nonEmpty(process.env.VAULT_APPROLE_SECRET_ID);
  }

  async #currentToken(ctx: KmsCallContext, signal: AbortSignal): Promise<string> {
    if (this.#token) return this.#token;
    const roleId = this.#roleId();
    const secretId = this.#secretId();
    if (roleId === undefined || secretId === undefined) {
      throw kmsError('KMS_CONFIG_INVALID', "hcvault needs 'token.id' (or VAULT_TOKEN) or 'approle.role.id' + 'approle.secret.id'", ctx);
    }
    this.#login ??= (async () => {
      try {
        const mount = configString(this.#config, 'approle.mount') ?? 'approle';
        const res = await this.#request(`/v1/auth/${mount}/login`, { role_id: roleId, secret_id: secretId }, undefined, signal);
        const token = res.body.auth?.client_token;
        if (res.status >= 300 || typeof token !== 'string') {
          if (res.status === 400 || res.status === 403 || res.status === 401) {
            throw kmsError('KMS_ACCESS_DENIED', 'Vault AppRole login was refused', ctx, { status: res.status });
          }
          throw classifyVaultResponse(res, ctx);
        }
        this.#token = token;
        return token;
      } finally {
        this.#login = undefined;
      }
    })();
    return this.#login;
  }

  async #request(path: string, payload: object, token: string | undefined, signal: AbortSignal): Promise<VaultResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['X-Vault-Token'] = token;
    const ns = configString(this.#config, 'namespace') ?? nonEmpty(process.env.VAULT_NAMESPACE);
    if (ns) headers['X-Vault-Namespace'] = ns;
    const res = await this.#send({ url: `${this.#origin}${path}`, method: 'POST', headers, body: JSON.stringify(payload), signal });
    const text = await res.text();
    let body: VaultResponse['body'] = {};
    try {
      body = text ? (JSON.parse(text) as VaultResponse['body']) : {};
    } catch {
      body = {};
    }
    return { status: res.status, body };
  }

  /** Serializes to the key URL only: the config holds credentials. */
  toJSON(): unknown {
    return { keyUrl: this.keyUrl };
  }

  /** `console.log` / `util.inspect` show the key URL only, never the credentials in the config. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `HcVaultClient(${this.keyUrl})`;
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v && v.trim().length > 0 ? v.trim() : undefined;
}

/** Maps a non-2xx transit response to a typed error (Vault's error strings are not copied). */
function classifyVaultResponse(res: VaultResponse, ctx: KmsCallContext): KmsError {
  const text = JSON.stringify(res.body.errors ?? []).toLowerCase();
  const extra = { status: res.status };
  if (res.status === 401 || res.status === 403) {
    return kmsError('KMS_ACCESS_DENIED', 'Vault denied the request (check the token or AppRole and its policy)', ctx, extra);
  }
  if (res.status === 404 || text.includes('key not found') || text.includes('no existing key')) {
    return kmsError('KMS_KEY_NOT_FOUND', 'the Vault transit key (or mount) does not exist', ctx, extra);
  }
  if (text.includes('disabled') || text.includes('disallowed by policy') || text.includes('archived')) {
    return kmsError('KMS_KEY_DISABLED', 'the Vault transit key version cannot be used', ctx, extra);
  }
  if (res.status === 429) return kmsError('KMS_THROTTLED', 'Vault rate-limited the request', ctx, extra);
  if (res.status >= 500) return kmsError('KMS_UNAVAILABLE', 'Vault is unavailable (5xx, sealed or standby)', ctx, extra);
  if (res.status === 400 && text.includes('decrypt')) {
    return kmsError('KMS_ERROR', 'Vault could not decrypt the wrapped DEK with this key', ctx, extra);
  }
  return kmsError('KMS_ERROR', `Vault transit call failed (HTTP ${res.status})`, ctx, extra);
}

function classifyVaultError(err: unknown, ctx: KmsCallContext): KmsError {
  if (isNetworkError(err)) return kmsError('KMS_UNAVAILABLE', 'Vault is unreachable', ctx);
  const name = (err as { name?: unknown })?.name;
  return kmsError('KMS_ERROR', `Vault call failed (${typeof name === 'string' ? name : 'Error'})`, ctx);
}

/**
 * Driver for `hcvault` KEKs (Vault transit). Key id: `https://HOST[:PORT]/<mount>/keys/<name>`;
 * config: {@link HcVaultDriverOptions}. Uses Node's `fetch` (`node:https` with TLS or proxy settings), no extra dependency.
 */
export const hcVaultDriver: KmsDriver = Object.freeze({
  kmsType: HCVAULT_KMS_TYPE,
  newClient(options: KmsClientOptions): KmsClient {
    return new HcVaultClient(options.kmsKeyId, options.config);
  },
});
