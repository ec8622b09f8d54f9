/**
 * The `gcp-kms` driver: wraps DEKs with Cloud KMS symmetric `Encrypt`/`Decrypt` (no AAD).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { KmsError } from '../../errors';
import type { KmsClient, KmsClientOptions, KmsConfig, KmsDriver } from '../driver';
import {
  callWithRetry,
  configString,
  isNetworkError,
  kmsError,
  retryPolicyFromConfig,
  type KmsCallContext,
  type RetryPolicy,
} from '../retry';
import { loadSdk } from '../sdk';

/** The kmsType served by {@link gcpKmsDriver}. */
export const GCP_KMS_TYPE = 'gcp-kms';

/** Config of the gcp-kms driver (strings; the KEK's `kmsProps` are merged on top). All optional. */
export interface GcpKmsDriverOptions {
  /** Credential type, default `service_account`. */
  'account.type'?: string;
  /** Service account client id (the four fields below go together). */
  'client.id'?: string;
  /** Service account e-mail. */
  'client.email'?: string;
  /** Id of the service account key. */
  'private.key.id'?: string;
  /** PEM private key of the service account. Never logged. */
  'private.key'?: string;
  /**
   * Endpoint override: `host:port` or `https://host[:port]` (TLS, e.g. a Private Service Connect
   * endpoint), or `http://host:port` for a plaintext emulator on a trusted network.
   */
  endpoint?: string;
  /** PEM file of extra CA certificates to trust for a TLS `endpoint` (private CA). */
  'ssl.ca.location'?: string;
  /** Budget of one wrap/unwrap, retries included (ms, default 10000). */
  'kms.timeout.ms'?: string | number;
  /** Retries after RESOURCE_EXHAUSTED / UNAVAILABLE / network errors (default 3). */
  'kms.max.retries'?: string | number;
  'kms.retry.backoff.ms'?: string | number;
  'kms.retry.backoff.max.ms'?: string | number;
}

const KEY_NAME_RE = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)$/;

/** Checks a Cloud KMS crypto key name; returns its project id. */
export function parseGcpKeyName(kmsKeyId: string): { project: string; location: string; keyRing: string; cryptoKey: string } {
  const m = KEY_NAME_RE.exec(kmsKeyId.trim());
  if (!m) {
    throw new KmsError('KMS_CONFIG_INVALID', 'gcp-kms key id must be projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>', {
      kmsType: GCP_KMS_TYPE,
      kmsKeyId,
    });
  }
  return { project: m[1]!, location: m[2]!, keyRing: m[3]!, cryptoKey: m[4]! };
}

const EXPLICIT_KEYS = ['client.id', 'client.email', 'private.key.id', 'private.key'] as const;

interface GcpCredentialsJson {
  type: string;
  client_id: string;
  client_email: string;
  private_key_id: string;
  private_key: string;
}

function explicitCredentials(config: KmsConfig): GcpCredentialsJson | undefined {
  const values = EXPLICIT_KEYS.map((k) => configString(config, k));
  if (values.every((v) => v === undefined)) return undefined;
  if (values.some((v) => v === undefined)) {
    throw new KmsError('KMS_CONFIG_INVALID', `gcp-kms explicit credentials need all of ${EXPLICIT_KEYS.join(', ')}`, {
      kmsType: GCP_KMS_TYPE,
    });
  }
  const [clientId, clientEmail, privateKeyId, privateKey] = values as string[];
  return {
    type: configString(config, 'account.type') ?? 'service_account',
    client_id: clientId!,
    client_email: clientEmail!,
    private_key_id: privateKeyId!,
    // keys pasted into properties files often carry literal \n
    private_key: privateKey!.replace(/\\n/g, '\n'),
  };
}

// gRPC status codes
const enum Code {
  CANCELLED = 1,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  UNAUTHENTICATED = 16,
}

/** Maps a gRPC / google-auth failure to a typed error (upstream messages are not copied). */
export function classifyGcpError(err: unknown, ctx: KmsCallContext): KmsError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  const code = typeof e.code === 'number' ? e.code : undefined;
  const text = `${typeof e.message === 'string' ? e.message : ''} ${typeof e.details === 'string' ? e.details : ''}`;
  const extra = { upstreamCode: code ?? (typeof e.code === 'string' ? e.code : undefined) };
  switch (code) {
    case Code.PERMISSION_DENIED:
    case Code.UNAUTHENTICATED:
      return kmsError('KMS_ACCESS_DENIED', 'Cloud KMS denied the request (check credentials and cloudkms.cryptoKeyEncrypterDecrypter)', ctx, extra);
    case Code.NOT_FOUND:
      return kmsError('KMS_KEY_NOT_FOUND', 'the Cloud KMS key does not exist', ctx, extra);
    case Code.FAILED_PRECONDITION:
      if (/DESTROY_SCHEDULED|DESTROYED/.test(text)) {
        return kmsError('KMS_KEY_NOT_FOUND', 'the Cloud KMS key version is destroyed or scheduled for destruction', ctx, extra);
      }
      return kmsError('KMS_KEY_DISABLED', 'the Cloud KMS key version is not enabled', ctx, extra);
    case Code.RESOURCE_EXHAUSTED:
      return kmsError('KMS_THROTTLED', 'Cloud KMS quota exceeded', ctx, extra);
    case Code.DEADLINE_EXCEEDED:
      return kmsError('KMS_TIMEOUT', 'Cloud KMS did not answer before the deadline', ctx, extra);
    case Code.UNAVAILABLE:
    case Code.CANCELLED: // e.g. the server went away under an open channel
    case Code.INTERNAL:
    case Code.ABORTED:
      return kmsError('KMS_UNAVAILABLE', 'Cloud KMS is unavailable', ctx, extra);
    case Code.INVALID_ARGUMENT:
      if (/decrypt|ciphertext/i.test(text)) {
        return kmsError('KMS_ERROR', 'Cloud KMS could not decrypt the wrapped DEK with this key', ctx, extra);
      }
      return kmsError('KMS_CONFIG_INVALID', 'Cloud KMS rejected the request as invalid', ctx, extra);
    default:
      break;
  }
  if (isNetworkError(err)) return kmsError('KMS_UNAVAILABLE', 'Cloud KMS is unreachable', ctx, extra);
  if (/credential|invalid_grant|unauthori[sz]ed|private key|PEM|DECODER|token/i.test(text)) {
    return kmsError('KMS_ACCESS_DENIED', 'could not obtain Google credentials', ctx, extra);
  }
  return kmsError('KMS_ERROR', 'the Cloud KMS call failed', ctx, extra);
}

class GcpKmsClient implements KmsClient {
  readonly keyUrl: string;
  readonly #policy: RetryPolicy;
  #client: Promise<KeyManagementServiceClient> | undefined;

  readonly #kmsKeyId: string;
  readonly #config: KmsConfig;

  constructor(kmsKeyId: string, config: KmsConfig) {
    this.#kmsKeyId = kmsKeyId;
    this.#config = config;
    this.keyUrl = `${GCP_KMS_TYPE}://${kmsKeyId}`;
    parseGcpKeyName(kmsKeyId);
    this.#policy = retryPolicyFromConfig(config, GCP_KMS_TYPE);
    explicitCredentials(config); // validate eagerly
  }

  async wrap(plaintext: Buffer): Promise<Buffer> {
    return this.#call('wrap', async (c, timeout) => {
      const [res] = await c.encrypt({ name: this.#kmsKeyId, plaintext }, { timeout, maxRetries: 0 });
      if (!res.ciphertext) throw Object.assign(new Error('empty response'), { code: 'EMPTY' });
      return Buffer.from(res.ciphertext as Uint8Array);
    });
  }

  async unwrap(ciphertext: Buffer): Promise<Buffer> {
    return this.#call('unwrap', async (c, timeout) => {
      const [res] = await c.decrypt({ name: this.#kmsKeyId, ciphertext }, { timeout, maxRetries: 0 });
      if (!res.plaintext) throw Object.assign(new Error('empty response'), { code: 'EMPTY' });
      return Buffer.from(res.plaintext as Uint8Array);
    });
  }

  /** Closes the gRPC channel. */
  async close(): Promise<void> {
    if (this.#client) await (await this.#client).close();
  }

  async #call(operation: string, op: (c: KeyManagementServiceClient, timeoutMs: number) => Promise<Buffer>): Promise<Buffer> {
    const ctx: KmsCallContext = { kmsType: GCP_KMS_TYPE, kmsKeyId: this.#kmsKeyId, operation };
    const deadline = Date.now() + this.#policy.timeoutMs;
    return callWithRetry(
      this.#policy,
      ctx,
      async () => op(await this.#getClient(), Math.max(1, deadline - Date.now())),
      (e) => classifyGcpError(e, ctx),
    );
  }

  #getClient(): Promise<KeyManagementServiceClient> {
    this.#client ??= this.#createClient();
    this.#client.catch(() => (this.#client = undefined));
    return this.#client;
  }

  async #createClient(): Promise<KeyManagementServiceClient> {
    const { KeyManagementServiceClient } = await loadSdk('gcp-kms', () => import('@google-cloud/kms'));
    // google-gax is @google-cloud/kms's own dependency: resolve it from there
    const { createRequire } = await import('node:module');
    const gax = createRequire(require.resolve('@google-cloud/kms'))('google-gax') as typeof import('google-gax');
    const options: Record<string, unknown> = { projectId: parseGcpKeyName(this.#kmsKeyId).project };
    const creds = explicitCredentials(this.#config);
    if (creds) options['credentials'] = creds;
    const endpoint = configString(this.#config, 'endpoint');
    if (endpoint) {
      const insecure = /^http:\/\//i.test(endpoint);
      const url = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
      options['apiEndpoint'] = url.hostname;
      options['port'] = url.port ? Number(url.port) : 443;
      if (insecure) {
        options['sslCreds'] = gax.grpc.credentials.createInsecure();
        // no credentials travel on a plaintext channel: skip the (metadata-server) universe lookup
        options['clientOptions'] = { universeDomain: 'googleapis.com' };
      }
    }
    const caFile = configString(this.#config, 'ssl.ca.location');
    if (caFile && options['sslCreds'] === undefined) {
      // TLS with extra trusted CAs (private endpoint behind a private CA): build the channel
      // credentials ourselves, with the same Google call credentials the client would add.
      let ca: Buffer;
      try {
        ca = readFileSync(caFile);
      } catch {
        throw new KmsError('KMS_CONFIG_INVALID', "cannot read the PEM file named by 'ssl.ca.location'", { kmsType: GCP_KMS_TYPE });
      }
      const auth = new gax.GoogleAuth({
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        ...(creds ? { credentials: creds } : {}),
      });
      auth.useJWTAccessWithScope = true;
      auth.defaultServicePath = typeof options['apiEndpoint'] === 'string' ? options['apiEndpoint'] : 'cloudkms.googleapis.com';
      const authClient = await auth.getClient();
      options['auth'] = auth;
      options['sslCreds'] = gax.grpc.credentials.combineChannelCredentials(
        gax.grpc.credentials.createSsl(ca),
        gax.grpc.credentials.createFromGoogleCredential({
          // grpc-js wants a plain object, google-auth-library returns a `Headers`
          getRequestHeaders: async (url: string) => {
            const headers = (await authClient.getRequestHeaders(url)) as unknown as Headers | Record<string, string>;
            const plain: Record<string, string> = {};
            if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
              (headers as Headers).forEach((value, key) => (plain[key] = value));
            } else {
              Object.assign(plain, headers);
            }
            return plain;
          },
        } as never),
      );
    }
    return new KeyManagementServiceClient(options as ConstructorParameters<typeof KeyManagementServiceClient>[0]);
  }

  /** Serializes to the key URL only: the config holds credentials. */
  toJSON(): unknown {
    return { keyUrl: this.keyUrl };
  }

  /** `console.log` / `util.inspect` show the key URL only, never the credentials in the config. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `GcpKmsClient(${this.keyUrl})`;
  }
}

/**
 * Driver for `gcp-kms` KEKs. Key id: `projects/P/locations/L/keyRings/R/cryptoKeys/K`; config:
 * {@link GcpKmsDriverOptions}. The client library is loaded on first use.
 */
export const gcpKmsDriver: KmsDriver = Object.freeze({
  kmsType: GCP_KMS_TYPE,
  newClient(options: KmsClientOptions): KmsClient {
    return new GcpKmsClient(options.kmsKeyId, options.config);
  },
});
