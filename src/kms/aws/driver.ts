/**
 * The `aws-kms` driver: wraps DEKs with AWS KMS `Encrypt`/`Decrypt` (no encryption context),
 * with multi-region key (MRK) translation to the client's region.
 *
 * @packageDocumentation
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { KmsClient, KmsClientOptions, KmsConfig, KmsDriver } from '../driver';
import { callWithRetry, configBoolean, configString, retryPolicyFromConfig, type RetryPolicy } from '../retry';
import { localReplicaArn, parseKmsArn, type KmsArn } from './arn';
import { resolveAwsCredentials } from './credentials';
import { classifyAwsError } from './errors';
import { loadSdk } from '../sdk';
import { quietAwsNodeVersionNotice } from './node-notice';

/** The kmsType served by {@link awsKmsDriver}. */
export const AWS_KMS_TYPE = 'aws-kms';

/** Config key that turns multi-region key translation off (our extension, see docs/kms.md). */
export const AWS_DISABLE_DYNAMIC_MRK = 'aws.disable.dynamic.mrk';

/**
 * Config understood by the aws-kms driver (values are strings unless noted; the KEK's
 * `kmsProps` are merged on top). Every key is optional.
 */
export interface AwsKmsDriverOptions {
  /** Static access key id (with `secret.access.key`). */
  'access.key.id'?: string;
  /** Static secret access key. Never logged. */
  'secret.access.key'?: string;
  /** Session token of temporary static credentials. */
  'session.token'?: string;
  /** Shared config/credentials file profile. */
  profile?: string;
  /** Role to assume with STS (fallback env `AWS_ROLE_ARN`, not used when `AWS_WEB_IDENTITY_TOKEN_FILE` is set). */
  'role.arn'?: string;
  /** STS session name (env `AWS_ROLE_SESSION_NAME`, default `confluent-encrypt`). */
  'role.session.name'?: string;
  /** STS external id (env `AWS_ROLE_EXTERNAL_ID`). */
  'role.external.id'?: string;
  /** Region the client runs in, for MRK translation (default env `AWS_REGION`, then `AWS_DEFAULT_REGION`). */
  region?: string;
  /** `true` to use MRK ARNs exactly as stored in the KEK. */
  'aws.disable.dynamic.mrk'?: string | boolean;
  /** KMS endpoint override (emulator, VPC endpoint), e.g. `https://vpce-...kms.us-east-1.vpce.amazonaws.com`. */
  endpoint?: string;
  /** STS endpoint override used for `role.arn`. */
  'sts.endpoint'?: string;
  /** Budget of one wrap/unwrap per key, retries included (ms, default 10000). */
  'kms.timeout.ms'?: string | number;
  /** Retries after throttling / 5xx / network errors (default 3). */
  'kms.max.retries'?: string | number;
  /** First backoff in ms (default 100). */
  'kms.retry.backoff.ms'?: string | number;
  /** Backoff cap in ms (default 2000). */
  'kms.retry.backoff.max.ms'?: string | number;
  /** An `AwsCredentialIdentityProvider` (or identity) to use instead of the keys above. */
  credentials?: unknown;
  /**
   * Called with each `KMSClient` of `@aws-sdk/client-kms` created (one per region), e.g. to add
   * SDK middleware. Typed `unknown` so these declarations never require the SDK's types: cast it
   * to `KMSClient`. Not a string option: set it in code.
   */
  onClient?: (client: unknown, region: string) => void;
}

class AwsKmsClient implements KmsClient {
  readonly keyUrl: string;
  readonly #arn: KmsArn;
  readonly #targets: readonly KmsArn[];
  readonly #policy: RetryPolicy;
  readonly #clients = new Map<string, Promise<KMSClient>>();

  readonly #kmsKeyId: string;
  readonly #config: KmsConfig;

  constructor(kmsKeyId: string, config: KmsConfig) {
    this.#kmsKeyId = kmsKeyId;
    this.#config = config;
    this.keyUrl = `${AWS_KMS_TYPE}://${kmsKeyId}`;
    this.#arn = parseKmsArn(kmsKeyId);
    this.#policy = retryPolicyFromConfig(config, AWS_KMS_TYPE);
    const clientRegion = configString(config, 'region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const local = configBoolean(config, AWS_DISABLE_DYNAMIC_MRK) ? this.#arn : localReplicaArn(this.#arn, clientRegion);
    // The local replica first; the ARN as stored if the replica is missing or unreachable.
    this.#targets = local === this.#arn ? [this.#arn] : [local, this.#arn];
  }

  /** ARNs tried in order (first = local replica of an MRK, when translated). */
  get candidateArns(): readonly string[] {
    return this.#targets.map((t) => t.arn);
  }

  async wrap(plaintext: Buffer): Promise<Buffer> {
    return this.#onTargets('wrap', async (client, target, signal) => {
      const { EncryptCommand } = await loadSdk('aws-kms', () => import('@aws-sdk/client-kms'));
      const out = await client.send(new EncryptCommand({ KeyId: target.arn, Plaintext: plaintext }), { abortSignal: signal });
      if (!out.CiphertextBlob) throw Object.assign(new Error('empty response'), { name: 'EmptyResponse' });
      return Buffer.from(out.CiphertextBlob);
    });
  }

  async unwrap(ciphertext: Buffer): Promise<Buffer> {
    return this.#onTargets('unwrap', async (client, target, signal) => {
      const { DecryptCommand } = await loadSdk('aws-kms', () => import('@aws-sdk/client-kms'));
      const out = await client.send(new DecryptCommand({ KeyId: target.arn, CiphertextBlob: ciphertext }), {
        abortSignal: signal,
      });
      if (!out.Plaintext) throw Object.assign(new Error('empty response'), { name: 'EmptyResponse' });
      return Buffer.from(out.Plaintext);
    });
  }

  async #onTargets(
    operation: string,
    call: (client: KMSClient, target: KmsArn, signal: AbortSignal) => Promise<Buffer>,
  ): Promise<Buffer> {
    let lastErr: unknown;
    for (const target of this.#targets) {
      const ctx = { kmsType: AWS_KMS_TYPE, kmsKeyId: target.arn, operation };
      try {
        const client = await this.#clientFor(target.region);
        return await callWithRetry(this.#policy, ctx, (signal) => call(client, target, signal), (e) => classifyAwsError(e, ctx));
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr;
  }

  #clientFor(region: string): Promise<KMSClient> {
    let p = this.#clients.get(region);
    if (!p) {
      p = this.#createClient(region);
      p.catch(() => this.#clients.delete(region));
      this.#clients.set(region, p);
    }
    return p;
  }

  async #createClient(region: string): Promise<KMSClient> {
    const endpoint = configString(this.#config, 'endpoint');
    const creds = await resolveAwsCredentials(this.#config, region, configString(this.#config, 'sts.endpoint'));
    const { KMSClient } = await loadSdk('aws-kms', () => import('@aws-sdk/client-kms'));
    quietAwsNodeVersionNotice();
    const client = new KMSClient({
      region,
      maxAttempts: 1, // retries are ours (bounded by kms.timeout.ms)
      ...(endpoint ? { endpoint } : {}),
      ...(creds.credentials ? { credentials: creds.credentials } : {}),
      ...(creds.profile ? { profile: creds.profile } : {}),
    });
    const hook = this.#config['onClient'];
    if (typeof hook === 'function') (hook as (c: KMSClient, r: string) => void)(client, region);
    return client;
  }

  /** Serializes to the key URL only: the config holds credentials. */
  toJSON(): unknown {
    return { keyUrl: this.keyUrl };
  }

  /** `console.log` / `util.inspect` show the key URL only, never the credentials in the config. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AwsKmsClient(${this.keyUrl})`;
  }
}

/**
 * Driver for `aws-kms` KEKs. Key id: a KMS key ARN or alias ARN. Config: see
 * {@link AwsKmsDriverOptions}; the SDK is loaded on first use.
 */
export const awsKmsDriver: KmsDriver = Object.freeze({
  kmsType: AWS_KMS_TYPE,
  newClient(options: KmsClientOptions): KmsClient {
    return new AwsKmsClient(options.kmsKeyId, options.config);
  },
});
