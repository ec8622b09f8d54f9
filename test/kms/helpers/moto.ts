/** Setup helpers for moto (AWS emulator) used by the aws-kms tests. */
import {
  CreateKeyCommand,
  DisableKeyCommand,
  KMSClient,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';

/** moto's admin operations want the bare key id. */
export const keyIdOf = (arn: string): string => arn.slice(arn.indexOf(':key/') + 5);

export const TEST_CREDS = { accessKeyId: 'AKIAMOTOTEST00000001', secretAccessKey: 'moto-test-secret-not-real' };

export function kmsAdmin(endpoint: string, region: string, credentials = TEST_CREDS): KMSClient {
  return new KMSClient({ endpoint, region, credentials });
}

export async function createKey(endpoint: string, region: string, multiRegion = false): Promise<string> {
  const out = await kmsAdmin(endpoint, region).send(new CreateKeyCommand({ MultiRegion: multiRegion, Description: 'csfle test' }));
  return out.KeyMetadata!.Arn!;
}

export async function replicateKey(endpoint: string, arn: string, fromRegion: string, toRegion: string): Promise<string> {
  const out = await kmsAdmin(endpoint, fromRegion).send(new ReplicateKeyCommand({ KeyId: keyIdOf(arn), ReplicaRegion: toRegion }));
  return out.ReplicaKeyMetadata!.Arn!;
}

export async function disableKey(endpoint: string, region: string, arn: string): Promise<void> {
  await kmsAdmin(endpoint, region).send(new DisableKeyCommand({ KeyId: keyIdOf(arn) }));
}

export async function scheduleDeletion(endpoint: string, region: string, arn: string): Promise<void> {
  await kmsAdmin(endpoint, region).send(new ScheduleKeyDeletionCommand({ KeyId: keyIdOf(arn), PendingWindowInDays: 7 }));
}

/**
 * Switches on moto's IAM authentication on `endpoint` after creating an IAM user allowed to use
 * KMS; returns that user's access key. Calls made while authentication is still off carry a
 * dummy SigV4 header (moto routes on it; it checks nothing yet).
 */
export async function enableMotoAuth(endpoint: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const reset = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '3' });
  if (!reset.ok) throw new Error(`moto reset-auth failed: ${reset.status}`);
  const user = `csfle-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const iam = async (params: Record<string, string>): Promise<string> => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIAMOTOSETUP0000000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`IAM ${params.Action} failed: ${res.status} ${text.slice(0, 200)}`);
    return text;
  };
  await iam({ Action: 'CreateUser', UserName: user });
  await iam({
    Action: 'PutUserPolicy',
    UserName: user,
    PolicyName: 'kms',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }),
  });
  const xml = await iam({ Action: 'CreateAccessKey', UserName: user });
  const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error('moto CreateAccessKey returned no key');
  return { accessKeyId, secretAccessKey };
}
