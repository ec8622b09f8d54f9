/**
 * The AWS SDK prints a `NodeVersionSupportWarning` on its first client under Node < 22 (future
 * SDK releases will need Node 22). kafka-csfle supports Node 20, so the notice is silenced unless
 * the user decides: setting `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED` (to any value)
 * leaves the SDK's own behaviour untouched.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';

let done = false;

/** Marks the SDK's one-time notice as already shown (no-op if the SDK layout differs). */
export function quietAwsNodeVersionNotice(): void {
  if (done) return;
  done = true;
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) return;
  try {
    const fromKms = createRequire(require.resolve('@aws-sdk/client-kms'));
    const core = fromKms('@aws-sdk/core/client') as { state?: { warningEmitted?: boolean } };
    if (core.state && typeof core.state.warningEmitted === 'boolean') core.state.warningEmitted = true;
  } catch {
    // another SDK layout: the SDK prints its notice, nothing else changes
  }
}
