/**
 * Registers the built-in KMS drivers. Imported once by the package entry point.
 *
 * @packageDocumentation
 */
import { registerKmsDriver } from './registry';
import { localKmsDriver } from './local/driver';

registerKmsDriver(localKmsDriver);
