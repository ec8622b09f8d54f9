/**
 * Lazy loading of the cloud SDKs, which are optional peer dependencies: a driver whose SDK is
 * not installed fails on first use with `KMS_DRIVER_UNAVAILABLE` naming the `npm install` line.
 *
 * @packageDocumentation
 */
import { KmsError } from '../errors';

/** The npm packages each built-in cloud driver needs (its optional peer dependencies). */
export const KMS_DRIVER_PACKAGES = {
  'aws-kms': ['@aws-sdk/client-kms', '@aws-sdk/credential-provider-node', '@aws-sdk/client-sts'],
  'azure-kms': ['@azure/keyvault-keys', '@azure/identity'],
  'gcp-kms': ['@google-cloud/kms'],
} as const satisfies Record<string, readonly string[]>;

/** The kmsTypes whose driver needs an optional SDK. */
export type SdkKmsType = keyof typeof KMS_DRIVER_PACKAGES;

/** The exact `npm install` line that makes the `kmsType` driver available. */
export function kmsInstallLine(kmsType: SdkKmsType): string {
  return `npm install ${KMS_DRIVER_PACKAGES[kmsType].join(' ')}`;
}

function missingModule(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'MODULE_NOT_FOUND' && e?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const m = /Cannot find (?:module|package) '([^']+)'/.exec(String(e.message));
  return m?.[1];
}

/**
 * Runs `load` (a dynamic `import()` of one of the driver's packages). When the package is not
 * installed, throws `KMS_DRIVER_UNAVAILABLE` with the install line; other failures propagate.
 */
export async function loadSdk<T>(kmsType: SdkKmsType, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const missing = missingModule(err);
    const packages: readonly string[] = KMS_DRIVER_PACKAGES[kmsType];
    if (missing === undefined || !packages.some((p) => missing === p || missing.startsWith(`${p}/`))) throw err;
    throw new KmsError(
      'KMS_DRIVER_UNAVAILABLE',
      `The ${kmsType} driver needs the optional package ${missing}, which is not installed. Run: ${kmsInstallLine(kmsType)}`,
      { kmsType },
    );
  }
}
