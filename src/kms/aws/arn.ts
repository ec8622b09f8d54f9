/**
 * AWS KMS key ARNs and multi-region key (MRK) region translation.
 *
 * @packageDocumentation
 */
import { KmsError } from '../../errors';

/** The parts of a KMS key or alias ARN. */
export interface KmsArn {
  /** The ARN as given. */
  readonly arn: string;
  /** `aws`, `aws-cn`, `aws-us-gov`, ... */
  readonly partition: string;
  /** Region of the ARN (4th `:`-separated token). */
  readonly region: string;
  readonly account: string;
  /** `key/<id>` or `alias/<name>`. */
  readonly resource: string;
  /** True for `key/mrk-...` (a multi-region key; aliases are never MRKs by id). */
  readonly multiRegion: boolean;
}

const ARN_RE = /^arn:([a-z0-9-]+):kms:([a-z0-9-]+):(\d{12}):((?:key|alias)\/.+)$/;

/** Parses a key or alias ARN; throws `KMS_CONFIG_INVALID` for anything else. */
export function parseKmsArn(arn: string): KmsArn {
  const m = ARN_RE.exec(arn.trim());
  if (!m) {
    throw new KmsError('KMS_CONFIG_INVALID', 'aws-kms key id must be a key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>)', {
      kmsType: 'aws-kms',
      kmsKeyId: arn,
    });
  }
  const [, partition, region, account, resource] = m as unknown as [string, string, string, string, string];
  return { arn: arn.trim(), partition, region, account, resource, multiRegion: resource.startsWith('key/mrk-') };
}

/**
 * The ARN to use first from a client in `clientRegion`: for a multi-region key whose ARN names
 * another region, the same key id in `clientRegion` (its local replica); otherwise the ARN
 * unchanged. Non-MRK keys and aliases are never rewritten.
 */
export function localReplicaArn(arn: KmsArn, clientRegion: string | undefined): KmsArn {
  if (!arn.multiRegion || !clientRegion || clientRegion === arn.region) return arn;
  return {
    ...arn,
    region: clientRegion,
    arn: `arn:${arn.partition}:kms:${clientRegion}:${arn.account}:${arn.resource}`,
  };
}
