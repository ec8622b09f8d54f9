/**
 * The AWS SDK prints a `NodeVersionSupportWarning` on its first client under Node < 22 (future
 * SDK releases will need Node 22). kafka-csfle supports Node 20, so the notice is silenced unless
 * the user decides: setting `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED` (to any value)
 * leaves the SDK's own behaviour untouched.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';

/** AWS SDK client packages already handled. */
const done = new Set<string>();

/**
 * Marks the SDK's one-time notice as already shown, in the `@aws-sdk/core` that `clientPackage`
 * (the SDK client about to be created: `@aws-sdk/client-kms`, `@aws-sdk/client-s3`...) loads;
 * no-op if the SDK layout differs. Used by the aws-kms driver and the S3 export sink.
 */
export function quietAwsNodeVersionNotice(clientPackage = '@aws-sdk/client-kms'): void {
  if (done.has(clientPackage)) return;
  done.add(clientPackage);
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) return;
  try {
    const fromClient = createRequire(require.resolve(clientPackage));
    const core = fromClient('@aws-sdk/core/client') as { state?: { warningEmitted?: boolean } };
    if (core.state && typeof core.state.warningEmitted === 'boolean') core.state.warningEmitted = true;
  } catch {
    // another SDK layout: the SDK prints its notice, nothing else changes
  }
}
