/**
 * HashiCorp Vault transit driver (`hcvault`).
 *
 * @packageDocumentation
 */
export { hcVaultDriver, HCVAULT_KMS_TYPE, parseVaultKeyUrl, type HcVaultDriverOptions, type VaultKeyUrl } from './driver';
