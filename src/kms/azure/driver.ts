/**
 * The `azure-kms` driver: wraps DEKs with Azure Key Vault `encrypt`/`decrypt` (RSA-OAEP-256),
 * reading and (optionally) writing Confluent's `azure:v1:<key version>:` prefix.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import type { CryptographyClient } from '@azure/keyvault-keys';
import { KmsError } from '../../errors';
import type { KmsClient, KmsClientOptions, KmsConfig, KmsDriver } from '../driver';
import {
  callWithRetry,
  configBoolean,
  configString,
  isNetworkError,
  kmsError,
  retryPolicyFromConfig,
  type KmsCallContext,
  type RetryPolicy,
} from '../retry';
import { loadSdk } from '../sdk';

/** The kmsType served by {@link azureKmsDriver}. */
export const AZURE_KMS_TYPE = 'azure-kms';
/** Key wrap algorithm, as Confluent's clients. */
export const AZURE_WRAP_ALGORITHM = 'RSA-OAEP-256';
/** KEK kmsProps / config flag: prefix wrapped DEKs with the Key Vault key version. */
export const AZURE_KEY_VERSION_SAVE = 'encrypt.azure.key.version.save';

/** Config of the azure-kms driver (strings; the KEK's `kmsProps` are merged on top). All optional. */
export interface AzureKmsDriverOptions {
  /** Entra ID tenant (with `client.id` and `client.secret`: client-secret credential). */
  'tenant.id'?: string;
  /** App registration (service principal) client id. */
  'client.id'?: string;
  /** Client secret. Never logged. */
  'client.secret'?: string;
  /** `true`: wrapped DEKs start with `azure:v1:<32-hex key version>:` (read either way). */
  'encrypt.azure.key.version.save'?: string | boolean;
  /** Replaces scheme/host/port of the key URL (private endpoint, emulator). */
  endpoint?: string;
  /** Entra ID authority host (sovereign clouds, emulators), e.g. `https://login.microsoftonline.us`. */
  'azure.authority.host'?: string;
  /**
   * `true` to accept a Key Vault auth challenge whose resource does not match the vault host
   * (needed for emulators and some private endpoints; on by default when `endpoint` is set).
   */
  'azure.disable.challenge.resource.verification'?: string | boolean;
  /** PEM file of extra CA certificates to trust for Key Vault and Entra ID (e.g. an emulator's). */
  'ssl.ca.location'?: string;
  /** A `TokenCredential` to use instead of the fields above (set in code). */
  credential?: unknown;
  /** Budget of one wrap/unwrap, retries included (ms, default 10000). */
  'kms.timeout.ms'?: string | number;
  /** Retries after 429 / 5xx / network errors (default 3). */
  'kms.max.retries'?: string | number;
  'kms.retry.backoff.ms'?: string | number;
  'kms.retry.backoff.max.ms'?: string | number;
}

/** The parts of `https://VAULT/keys/NAME[/VERSION]`. */
export interface AzureKeyUrl {
  readonly vault: string;
  readonly name: string;
  readonly version?: string;
}

/** Parses an Azure Key Vault key URL; throws `KMS_CONFIG_INVALID` for anything else. */
export function parseAzureKeyUrl(kmsKeyId: string): AzureKeyUrl {
  let url: URL | undefined;
  try {
    url = new URL(kmsKeyId.trim());
  } catch {
    url = undefined;
  }
  const m = url && /^\/keys\/([^/]+)(?:\/([^/]*))?\/?$/.exec(url.pathname);
  if (!url || url.protocol !== 'https:' || !m) {
    throw new KmsError('KMS_CONFIG_INVALID', 'azure-kms key id must be https://VAULT.vault.azure.net/keys/NAME[/VERSION]', {
      kmsType: AZURE_KMS_TYPE,
      kmsKeyId,
    });
  }
  return { vault: url.origin, name: m[1]!, ...(m[2] ? { version: m[2] } : {}) };
}

const PREFIX = 'azure:v1:';
const VERSION_RE = /^[0-9a-fA-F]{32}$/;
const PREFIX_LEN = PREFIX.length + 32 + 1;

/** Splits `azure:v1:<version>:<ct>`; returns `undefined` for unprefixed bytes. */
export function splitAzureVersionPrefix(wrapped: Buffer): { version: string; ciphertext: Buffer } | undefined {
  if (wrapped.length <= PREFIX_LEN || wrapped.subarray(0, PREFIX.length).toString('latin1') !== PREFIX) return undefined;
  const version = wrapped.subarray(PREFIX.length, PREFIX.length + 32).toString('latin1');
  if (!VERSION_RE.test(version) || wrapped[PREFIX_LEN - 1] !== 0x3a) return undefined;
  return { version, ciphertext: wrapped.subarray(PREFIX_LEN) };
}

const warnedUnversioned = new Set<string>();

/** Maps Key Vault / Entra ID failures to typed errors (upstream messages are not copied). */
export function classifyAzureError(err: unknown, ctx: KmsCallContext): KmsError {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; statusCode?: unknown; message?: unknown; details?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const text = `${typeof e.message === 'string' ? e.message : ''} ${safeJson(e.details)}`;
  const extra = { status, upstreamCode: code ?? name };
  if (name === 'CredentialUnavailableError') {
    return kmsError('KMS_ACCESS_DENIED', 'no Azure credential is available (set tenant.id/client.id/client.secret or a default credential)', ctx, extra);
  }
  if (name === 'AuthenticationError' || name === 'AggregateAuthenticationError' || name === 'AuthenticationRequiredError') {
    if (isNetworkError(err) || /network|ECONNREFUSED|ENOTFOUND|timed? ?out/i.test(text)) {
      return kmsError('KMS_UNAVAILABLE', 'Entra ID (the token endpoint) is unreachable', ctx, extra);
    }
    return kmsError('KMS_ACCESS_DENIED', 'Entra ID refused the credentials', ctx, extra);
  }
  if (status === 401) return kmsError('KMS_ACCESS_DENIED', 'Key Vault rejected the credentials', ctx, extra);
  if (status === 403) {
    if (/disabled/i.test(text) || code === 'KeyDisabled') return kmsError('KMS_KEY_DISABLED', 'the Key Vault key is disabled', ctx, extra);
    return kmsError('KMS_ACCESS_DENIED', 'Key Vault denied the operation (check keys/encrypt and keys/decrypt permissions)', ctx, extra);
  }
  if (status === 404) return kmsError('KMS_KEY_NOT_FOUND', 'the Key Vault key (or version) does not exist or is deleted', ctx, extra);
  if (status === 429) return kmsError('KMS_THROTTLED', 'Key Vault throttled the request', ctx, extra);
  if (status !== undefined && status >= 500) return kmsError('KMS_UNAVAILABLE', 'Key Vault is unavailable', ctx, extra);
  if (code === 'REQUEST_SEND_ERROR' || isNetworkError(err)) return kmsError('KMS_UNAVAILABLE', 'Key Vault is unreachable', ctx, extra);
  if (status === 400 && /decrypt|ciphertext|padding/i.test(text)) {
    return kmsError('KMS_ERROR', 'Key Vault could not decrypt the wrapped DEK with this key', ctx, extra);
  }
  if (status === 400) return kmsError('KMS_CONFIG_INVALID', 'Key Vault rejected the request as invalid', ctx, extra);
  return kmsError('KMS_ERROR', `the Key Vault call failed (${name})`, ctx, extra);
}

function safeJson(v: unknown): string {
  try {
    return v === undefined ? '' : JSON.stringify(v);
  } catch {
    return '';
  }
}

class AzureKmsClient implements KmsClient {
  readonly keyUrl: string;
  readonly #key: AzureKeyUrl;
  readonly #vault: string;
  readonly #policy: RetryPolicy;
  readonly #saveVersion: boolean;
  #credential: Promise<TokenCredential> | undefined;
  readonly #clients = new Map<string, Promise<CryptographyClient>>();

  readonly #kmsKeyId: string;
  readonly #config: KmsConfig;

  constructor(kmsKeyId: string, config: KmsConfig) {
    this.#kmsKeyId = kmsKeyId;
    this.#config = config;
    this.keyUrl = `${AZURE_KMS_TYPE}://${kmsKeyId}`;
    this.#key = parseAzureKeyUrl(kmsKeyId);
    this.#vault = (configString(config, 'endpoint') ?? this.#key.vault).replace(/\/+$/, '');
    this.#policy = retryPolicyFromConfig(config, AZURE_KMS_TYPE);
    this.#saveVersion = configBoolean(config, AZURE_KEY_VERSION_SAVE);
    checkCredentialFields(config);
    if (!this.#saveVersion && !this.#key.version && !warnedUnversioned.has(kmsKeyId)) {
      warnedUnversioned.add(kmsKeyId);
      process.emitWarning(
        `azure-kms key ${kmsKeyId} has no version and ${AZURE_KEY_VERSION_SAVE} is off: rotating this Key Vault key ` +
          'would leave existing DEKs unreadable',
        { code: 'CSFLE_AZURE_UNVERSIONED_KEY' },
      );
    }
  }

  async wrap(plaintext: Buffer): Promise<Buffer> {
    const ctx = this.#ctx('wrap');
    const { result, keyID } = await this.#call(ctx, this.#key.version, (c, signal) =>
      c.encrypt({ algorithm: AZURE_WRAP_ALGORITHM, plaintext }, { abortSignal: signal }),
    );
    const ct = Buffer.from(result);
    if (!this.#saveVersion) return ct;
    const version = this.#key.version ?? (keyID ? keyID.replace(/\/+$/, '').split('/').pop() : undefined);
    if (!version || !VERSION_RE.test(version)) {
      throw kmsError('KMS_ERROR', 'cannot save the key version: Key Vault returned no 32-hex key version', ctx);
    }
    return Buffer.concat([Buffer.from(`${PREFIX}${version}:`, 'latin1'), ct]);
  }

  async unwrap(ciphertext: Buffer): Promise<Buffer> {
    const ctx = this.#ctx('unwrap');
    const split = splitAzureVersionPrefix(ciphertext);
    const { result } = await this.#call(ctx, split?.version ?? this.#key.version, (c, signal) =>
      c.decrypt({ algorithm: AZURE_WRAP_ALGORITHM, ciphertext: split?.ciphertext ?? ciphertext }, { abortSignal: signal }),
    );
    return Buffer.from(result);
  }

  #ctx(operation: string): KmsCallContext {
    return { kmsType: AZURE_KMS_TYPE, kmsKeyId: this.#kmsKeyId, operation };
  }

  #call<T>(ctx: KmsCallContext, version: string | undefined, op: (c: CryptographyClient, s: AbortSignal) => Promise<T>): Promise<T> {
    return callWithRetry(
      this.#policy,
      ctx,
      async (signal) => op(await this.#clientFor(version), signal),
      (e) => classifyAzureError(e, ctx),
    );
  }

  #clientFor(version: string | undefined): Promise<CryptographyClient> {
    const id = `${this.#vault}/keys/${this.#key.name}${version ? `/${version}` : ''}`;
    let p = this.#clients.get(id);
    if (!p) {
      p = this.#createClient(id);
      p.catch(() => this.#clients.delete(id));
      this.#clients.set(id, p);
    }
    return p;
  }

  #tlsOptions(): { ca: string } | undefined {
    const caFile = configString(this.#config, 'ssl.ca.location');
    if (!caFile) return undefined;
    try {
      return { ca: readFileSync(caFile, 'utf8') };
    } catch {
      throw new KmsError('KMS_CONFIG_INVALID', "cannot read the PEM file named by 'ssl.ca.location'", { kmsType: AZURE_KMS_TYPE });
    }
  }

  async #createClient(keyId: string): Promise<CryptographyClient> {
    const { CryptographyClient } = await loadSdk('azure-kms', () => import('@azure/keyvault-keys'));
    const tls = this.#tlsOptions();
    const disableVerification =
      configBoolean(this.#config, 'azure.disable.challenge.resource.verification') || configString(this.#config, 'endpoint') !== undefined;
    return new CryptographyClient(keyId, await this.#getCredential(), {
      retryOptions: { maxRetries: 0 }, // retries are ours (bounded by kms.timeout.ms)
      disableChallengeResourceVerification: disableVerification,
      ...(tls ? { tlsOptions: tls } : {}),
    });
  }

  #getCredential(): Promise<TokenCredential> {
    if (!this.#credential) {
      const p = this.#createCredential();
      p.catch(() => (this.#credential = undefined)); // retry the construction next time
      this.#credential = p;
    }
    return this.#credential;
  }

  async #createCredential(): Promise<TokenCredential> {
    const given = this.#config['credential'];
    if (given !== undefined) {
      if (typeof (given as TokenCredential)?.getToken !== 'function') {
        throw new KmsError('KMS_CONFIG_INVALID', "azure-kms config 'credential' must be a TokenCredential", { kmsType: AZURE_KMS_TYPE });
      }
      return given as TokenCredential;
    }
    const identity = await loadSdk('azure-kms', () => import('@azure/identity'));
    const authorityHost = configString(this.#config, 'azure.authority.host');
    const tls = this.#tlsOptions();
    const common = {
      retryOptions: { maxRetries: 0 },
      ...(authorityHost ? { authorityHost } : {}),
      ...(tls ? { tlsOptions: tls } : {}),
    };
    const tenantId = configString(this.#config, 'tenant.id');
    const clientId = configString(this.#config, 'client.id');
    const clientSecret = configString(this.#config, 'client.secret');
    if (tenantId && clientId && clientSecret) {
      return new identity.ClientSecretCredential(tenantId, clientId, clientSecret, {
        ...common,
        // a custom authority (sovereign cloud mirror, emulator) is not in Microsoft's instance list
        ...(authorityHost ? { disableInstanceDiscovery: true } : {}),
      });
    }
    return new identity.DefaultAzureCredential(common);
  }

  /** Serializes to the key URL only: the config holds credentials. */
  toJSON(): unknown {
    return { keyUrl: this.keyUrl };
  }

  /** `console.log` / `util.inspect` show the key URL only, never the credentials in the config. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AzureKmsClient(${this.keyUrl})`;
  }
}

function checkCredentialFields(config: KmsConfig): void {
  const set = ['tenant.id', 'client.id', 'client.secret'].filter((k) => configString(config, k) !== undefined);
  if (set.length > 0 && set.length < 3) {
    throw new KmsError('KMS_CONFIG_INVALID', "azure-kms needs all of 'tenant.id', 'client.id' and 'client.secret' (or none)", {
      kmsType: AZURE_KMS_TYPE,
    });
  }
}

/**
 * Driver for `azure-kms` KEKs. Key id: `https://VAULT.vault.azure.net/keys/NAME[/VERSION]`;
 * config: {@link AzureKmsDriverOptions}. The Azure SDK is loaded on first use.
 */
export const azureKmsDriver: KmsDriver = Object.freeze({
  kmsType: AZURE_KMS_TYPE,
  newClient(options: KmsClientOptions): KmsClient {
    return new AzureKmsClient(options.kmsKeyId, options.config);
  },
});
