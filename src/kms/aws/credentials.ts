/**
 * Credentials of the aws-kms driver, from (in order): a provider object in the config
 * (`credentials`), static keys (`access.key.id` + `secret.access.key` [+ `session.token`]),
 * a shared-config `profile`, or the SDK default chain (env, SSO, web identity, ECS, IMDS). When a
 * role is configured (`role.arn`, else `AWS_ROLE_ARN` unless a web-identity token file drives the
 * default chain), those base credentials assume it with STS in the key's region.
 *
 * @packageDocumentation
 */
import { KmsError } from '../../errors';
import type { KmsConfig } from '../driver';
import { configString } from '../retry';
import { loadSdk } from '../sdk';
import { quietAwsNodeVersionNotice } from './node-notice';

/** AWS credentials (structurally the SDK's `AwsCredentialIdentity`, without importing its types). */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A credentials provider (structurally the SDK's `AwsCredentialIdentityProvider`). */
export type AwsCredentialIdentityProvider = (props?: Record<string, unknown>) => Promise<AwsCredentialIdentity>;

/** Default STS session name, as in Confluent's clients. */
export const DEFAULT_ROLE_SESSION_NAME = 'confluent-encrypt';

/** What {@link resolveAwsCredentials} decided (for the KMS client config). */
export interface ResolvedAwsCredentials {
  /** Explicit provider, or `undefined` to let the SDK use its default chain. */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Shared-config profile to hand to the SDK client (with `credentials` pinned to it). */
  readonly profile?: string;
}

function isProvider(v: unknown): v is AwsCredentialIdentityProvider | AwsCredentialIdentity {
  return typeof v === 'function' || (typeof v === 'object' && v !== null && 'accessKeyId' in v);
}

/** Base credentials (before any role assumption). */
function baseCredentials(config: KmsConfig): ResolvedAwsCredentials {
  const given = config['credentials'];
  if (given !== undefined) {
    if (!isProvider(given)) {
      throw new KmsError('KMS_CONFIG_INVALID', "aws-kms config 'credentials' must be a credential provider or identity", {
        kmsType: 'aws-kms',
      });
    }
    const provider: AwsCredentialIdentityProvider = typeof given === 'function' ? given : async () => given;
    return { credentials: provider };
  }
  const accessKeyId = configString(config, 'access.key.id');
  const secretAccessKey = configString(config, 'secret.access.key');
  if (accessKeyId !== undefined || secretAccessKey !== undefined) {
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw new KmsError('KMS_CONFIG_INVALID', "aws-kms needs both 'access.key.id' and 'secret.access.key'", {
        kmsType: 'aws-kms',
      });
    }
    const identity: AwsCredentialIdentity = { accessKeyId, secretAccessKey, sessionToken: configString(config, 'session.token') };
    return { credentials: async () => identity };
  }
  const profile = configString(config, 'profile');
  return profile === undefined ? {} : { credentials: profileCredentials(profile), profile };
}

/**
 * The SDK default chain pinned to `profile`. A profile that yields no credentials (absent from
 * the shared files, or incomplete) is a config error naming the profile, rather than the SDK's
 * `CredentialsProviderError`, which would be reported as "access denied ... key policy".
 */
function profileCredentials(profile: string): AwsCredentialIdentityProvider {
  let chain: AwsCredentialIdentityProvider | undefined;
  return async (props) => {
    if (!chain) {
      const { defaultProvider } = await loadSdk('aws-kms', () => import('@aws-sdk/credential-provider-node'));
      chain = defaultProvider({ profile });
    }
    try {
      return await chain(props);
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name !== 'CredentialsProviderError') throw err;
      throw new KmsError(
        'KMS_CONFIG_INVALID',
        `aws-kms could not load credentials of profile '${profile}' from the shared credentials/config files ` +
          '(AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE): the profile is missing or incomplete',
        { kmsType: 'aws-kms', upstreamCode: 'CredentialsProviderError' },
      );
    }
  };
}

/** The role to assume, if any: config first, then the AWS_ROLE_* environment. */
function roleSettings(config: KmsConfig): { roleArn: string; sessionName: string; externalId?: string } | undefined {
  const env = process.env;
  let roleArn = configString(config, 'role.arn');
  // With a web-identity token file the default chain already assumes AWS_ROLE_ARN itself.
  if (roleArn === undefined && !env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) roleArn = env.AWS_ROLE_ARN;
  if (roleArn === undefined) return undefined;
  return {
    roleArn,
    sessionName: configString(config, 'role.session.name') ?? env.AWS_ROLE_SESSION_NAME ?? DEFAULT_ROLE_SESSION_NAME,
    externalId: configString(config, 'role.external.id') ?? env.AWS_ROLE_EXTERNAL_ID,
  };
}

/**
 * Resolves the credentials for KMS calls in `region`. `stsEndpoint` overrides the STS endpoint
 * used to assume a role (config `sts.endpoint`, for emulators and VPC endpoints).
 */
export async function resolveAwsCredentials(
  config: KmsConfig,
  region: string,
  stsEndpoint: string | undefined,
): Promise<ResolvedAwsCredentials> {
  const base = baseCredentials(config);
  const role = roleSettings(config);
  if (!role) return base;

  let master: AwsCredentialIdentityProvider;
  if (base.credentials) {
    master = base.credentials;
  } else {
    const { defaultProvider } = await loadSdk('aws-kms', () => import('@aws-sdk/credential-provider-node'));
    master = defaultProvider({});
  }
  const { STSClient, AssumeRoleCommand } = await loadSdk('aws-kms', () => import('@aws-sdk/client-sts'));
  quietAwsNodeVersionNotice();
  const sts = new STSClient({ region, credentials: master, ...(stsEndpoint ? { endpoint: stsEndpoint } : {}) });
  let cached: AwsCredentialIdentity | undefined;
  let inflight: Promise<AwsCredentialIdentity> | undefined;
  const provider: AwsCredentialIdentityProvider = async () => {
    if (cached && (cached.expiration === undefined || cached.expiration.getTime() - Date.now() > 5 * 60_000)) return cached;
    inflight ??= (async () => {
      try {
        const out = await sts.send(
          new AssumeRoleCommand({ RoleArn: role.roleArn, RoleSessionName: role.sessionName, ExternalId: role.externalId }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) {
          throw new KmsError('KMS_ACCESS_DENIED', 'STS AssumeRole returned no credentials', { kmsType: 'aws-kms' });
        }
        cached = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        };
        return cached;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
  return { credentials: provider };
}
