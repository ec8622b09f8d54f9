/**
 * Azure Key Vault driver (`azure-kms`).
 *
 * @packageDocumentation
 */
export {
  azureKmsDriver,
  AZURE_KMS_TYPE,
  AZURE_WRAP_ALGORITHM,
  AZURE_KEY_VERSION_SAVE,
  parseAzureKeyUrl,
  splitAzureVersionPrefix,
  type AzureKmsDriverOptions,
  type AzureKeyUrl,
} from './driver';
