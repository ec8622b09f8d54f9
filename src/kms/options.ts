/**
 * The `kms` option of serdes, key rings and registries: driver configuration per `kmsType`,
 * typed for the built-in drivers (a misspelt key such as `'secret.acess.key'` fails to compile)
 * and open for custom drivers registered with `registerKmsDriver`.
 *
 * @packageDocumentation
 */
import type { AwsKmsDriverOptions } from './aws/driver';
import type { AzureKmsDriverOptions } from './azure/driver';
import type { KmsConfig } from './driver';
import type { GcpKmsDriverOptions } from './gcp/driver';
import type { HcVaultDriverOptions } from './hcvault/driver';
import type { LocalKmsConfig } from './local/driver';

/** Configuration of each built-in driver, by `kmsType`. */
export interface BuiltInKmsConfigs {
  'local-kms'?: LocalKmsConfig;
  'aws-kms'?: AwsKmsDriverOptions;
  'azure-kms'?: AzureKmsDriverOptions;
  'gcp-kms'?: GcpKmsDriverOptions;
  hcvault?: HcVaultDriverOptions;
}

/**
 * Per-`kmsType` driver configuration, e.g. `{ 'aws-kms': { region: 'eu-west-1' } }`. Built-in
 * drivers' keys are checked at compile time; any other `kmsType` (a custom driver) takes any
 * {@link KmsConfig}.
 */
export type KmsOptions = BuiltInKmsConfigs & { readonly [kmsType: string]: KmsConfig | undefined };
