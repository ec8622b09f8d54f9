/**
 * Registers the built-in KMS drivers. Imported once by the package entry point. The cloud
 * drivers load their SDKs lazily (on the first client), so registering them costs nothing.
 *
 * @packageDocumentation
 */
import { registerKmsDriver } from './registry';
import { localKmsDriver } from './local/driver';
import { awsKmsDriver } from './aws/driver';
import { azureKmsDriver } from './azure/driver';
import { gcpKmsDriver } from './gcp/driver';
import { hcVaultDriver } from './hcvault/driver';

registerKmsDriver(localKmsDriver);
registerKmsDriver(awsKmsDriver);
registerKmsDriver(azureKmsDriver);
registerKmsDriver(gcpKmsDriver);
registerKmsDriver(hcVaultDriver);
