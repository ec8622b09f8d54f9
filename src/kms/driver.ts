/**
 * The KMS contract: a {@link KmsDriver} per `kmsType` builds {@link KmsClient}s that wrap and
 * unwrap DEKs (serialized Tink key protos) under a KEK held in a KMS.
 *
 * @packageDocumentation
 */

/**
 * Configuration handed to a driver. Keys use Confluent's names (`access.key.id`, `secret`,
 * `tenant.id`, ...) so one configuration works across languages. Values are usually strings;
 * drivers may accept richer values for options that have no string form (e.g. a credentials
 * provider object or `timeoutMs` as a number).
 */
export type KmsConfig = Readonly<Record<string, unknown>>;

/** Options given to {@link KmsDriver.newClient}. */
export interface KmsClientOptions {
  /** The KEK's `kmsKeyId` (without the `kmsType://` scheme), e.g. an AWS key ARN. */
  readonly kmsKeyId: string;
  /**
   * Effective configuration: the serde's per-kmsType config (`kms[kmsType]`) with the KEK's
   * `kmsProps` merged on top (kmsProps win), as Confluent's Java and Go clients do.
   */
  readonly config: KmsConfig;
}

/** Wraps and unwraps DEK material with one KMS key. */
export interface KmsClient {
  /** Full key URL, `kmsType://kmsKeyId` (an identifier, never secret). */
  readonly keyUrl: string;
  /** Encrypts (wraps) DEK bytes. No associated data. */
  wrap(plaintext: Buffer): Promise<Buffer>;
  /** Decrypts (unwraps) bytes produced by {@link KmsClient.wrap} (or by any Confluent client). */
  unwrap(ciphertext: Buffer): Promise<Buffer>;
  /**
   * Optional: re-encrypts wrapped bytes under the key's current version inside the KMS, without
   * the plaintext leaving it (Vault transit `rewrap`). KEK rewrap uses it when present, else
   * {@link KmsClient.unwrap} then {@link KmsClient.wrap} (which use the current version too).
   */
  rewrap?(ciphertext: Buffer): Promise<Buffer>;
}

/** A factory of {@link KmsClient}s for one `kmsType` (e.g. `aws-kms`). */
export interface KmsDriver {
  /** The `kmsType` served, as stored in the KEK (`local-kms`, `aws-kms`, `azure-kms`, ...). */
  readonly kmsType: string;
  /** Builds a client for one key. May be called once per (key, config) and cached by callers. */
  newClient(options: KmsClientOptions): KmsClient | Promise<KmsClient>;
}

/** Config key listing extra key ids tried after the primary (comma separated), as in Confluent. */
export const ALTERNATE_KMS_KEY_IDS = 'encrypt.alternate.kms.key.ids';
