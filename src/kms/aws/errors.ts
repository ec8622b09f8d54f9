/**
 * Maps AWS SDK / KMS failures to typed {@link KmsError}s without copying upstream messages
 * (they may echo request data).
 *
 * @packageDocumentation
 */
import type { KmsError } from '../../errors';
import { isNetworkError, kmsError, type KmsCallContext } from '../retry';

const ACCESS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'ExpiredToken',
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'AuthFailure',
]);
const THROTTLE = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const UNAVAILABLE = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
]);
const CONFIG = new Set(['ValidationException', 'InvalidArnException', 'InvalidKeyUsageException', 'InvalidGrantTokenException']);

/** Classifies an error thrown by `@aws-sdk/client-kms` (or the credential chain). */
export function classifyAwsError(err: unknown, ctx: KmsCallContext): KmsError {
  const e = (err ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  const extra = { status, upstreamCode: name };
  const msg = typeof e.message === 'string' ? e.message : '';
  if (name === 'DisabledException') return kmsError('KMS_KEY_DISABLED', 'the KMS key is disabled', ctx, extra);
  if (name === 'KMSInvalidStateException') {
    if (/pending\s*deletion|PendingReplicaDeletion/i.test(msg)) {
      return kmsError('KMS_KEY_NOT_FOUND', 'the KMS key is deleted or scheduled for deletion', ctx, extra);
    }
    return kmsError('KMS_KEY_DISABLED', 'the KMS key is not in a usable state', ctx, extra);
  }
  if (name === 'NotFoundException') return kmsError('KMS_KEY_NOT_FOUND', 'the KMS key does not exist in this region', ctx, extra);
  if (ACCESS.has(name) || status === 401 || status === 403) {
    return kmsError('KMS_ACCESS_DENIED', 'access to the KMS key was denied (check credentials and key policy)', ctx, extra);
  }
  if (THROTTLE.has(name) || status === 429) return kmsError('KMS_THROTTLED', 'the KMS throttled the request', ctx, extra);
  if (UNAVAILABLE.has(name) || (status !== undefined && status >= 500)) {
    return kmsError('KMS_UNAVAILABLE', `the KMS is unavailable (${name})`, ctx, extra);
  }
  if (isNetworkError(err)) return kmsError('KMS_UNAVAILABLE', 'the KMS endpoint is unreachable', ctx, { upstreamCode: name });
  if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException') {
    return kmsError('KMS_ERROR', 'the KMS could not decrypt the wrapped DEK with this key', ctx, extra);
  }
  if (CONFIG.has(name)) return kmsError('KMS_CONFIG_INVALID', `the KMS rejected the request (${name})`, ctx, extra);
  return kmsError('KMS_ERROR', `the KMS call failed (${name})`, ctx, extra);
}
