/**
 * KEK and DEK records as stored in a DEK registry (Confluent JSON shape).
 *
 * @packageDocumentation
 */

import type { DekAlgorithm } from '../crypto/algorithm';

export type { DekAlgorithm };

/** All DEK algorithms. */
export const DEK_ALGORITHMS: readonly DekAlgorithm[] = ['AES128_GCM', 'AES256_GCM', 'AES256_SIV'];

/** Default DEK algorithm. */
export const DEFAULT_DEK_ALGORITHM: DekAlgorithm = 'AES256_GCM';

/**
 * True for a valid KEK name (Confluent's rule): 1–256 characters, the first a letter or `_`, the
 * others letters, digits, `_` or `-`.
 */
export function isValidKekName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_-]{0,255}$/.test(name);
}

/** A key encryption key: a pointer to a key held in a KMS. */
export interface Kek {
  name: string;
  /** `local-kms`, `aws-kms`, `azure-kms`, `gcp-kms`, `hcvault`, or a custom driver's type. */
  kmsType: string;
  /** KMS key id (ARN, key URL, resource name); the full key URL is `kmsType://kmsKeyId`. */
  kmsKeyId: string;
  /** Extra KMS configuration merged into the driver config (always present, `{}` if none). */
  kmsProps: Record<string, string>;
  doc?: string;
  /** True: the registry itself may wrap/unwrap DEKs and return raw `keyMaterial`. */
  shared: boolean;
  /** Server record timestamp (ms since epoch). */
  ts?: number;
  /** Present (true) only when soft-deleted. */
  deleted?: boolean;
}

/** A data encryption key, wrapped by its KEK. */
export interface Dek {
  kekName: string;
  subject: string;
  version: number;
  algorithm: DekAlgorithm;
  /** KMS-wrapped serialized Tink key proto, standard base64. */
  encryptedKeyMaterial?: string;
  /** Raw serialized Tink key proto, standard base64 (only from shared KEKs). */
  keyMaterial?: string;
  /** Server record timestamp (ms since epoch); used for DEK expiry. */
  ts?: number;
  /** Present (true) only when soft-deleted. */
  deleted?: boolean;
}

/** Body of a KEK creation. */
export interface CreateKekRequest {
  name: string;
  kmsType: string;
  kmsKeyId: string;
  kmsProps?: Record<string, string>;
  doc?: string;
  shared?: boolean;
}

/** Body of a KEK update: only these fields can change. `null` clears. */
export interface UpdateKekRequest {
  kmsProps?: Record<string, string> | null;
  doc?: string | null;
  shared?: boolean;
}

/** Body of a DEK creation. */
export interface CreateDekRequest {
  subject: string;
  /** Defaults to 1. */
  version?: number;
  /** Defaults to AES256_GCM. */
  algorithm?: DekAlgorithm;
  /** Required unless the KEK is shared. */
  encryptedKeyMaterial?: string;
}

/** How to pick a DEK on reads. */
export interface GetDekOptions {
  /** Defaults to AES256_GCM (always sent to registries, which otherwise assume it). */
  algorithm?: DekAlgorithm;
  /** A version >= 1, or `'latest'` / `-1`. Defaults to 1. */
  version?: number | 'latest';
  /** Include soft-deleted DEKs. */
  deleted?: boolean;
  /**
   * Ask the registry itself, not a client-side cache (the KeyRing's key-age refresh sets it, so
   * that a DEK deleted or rewrapped since is noticed). Registries without a cache ignore it.
   */
  skipCache?: boolean;
}

/** Filters of list calls. */
export interface ListOptions {
  deleted?: boolean;
  offset?: number;
  limit?: number;
}

/**
 * The DEK registry operations the serde needs. Reads resolve `undefined` when the KEK or DEK
 * does not exist; creations reject with a `DekRegistryError` of code `CONFLICT` when the record
 * already exists (someone else won the race: read theirs).
 */
export interface DekRegistry {
  getKek(name: string, options?: { deleted?: boolean }): Promise<Kek | undefined>;
  registerKek(request: CreateKekRequest): Promise<Kek>;
  getDek(kekName: string, subject: string, options?: GetDekOptions): Promise<Dek | undefined>;
  registerDek(kekName: string, request: CreateDekRequest): Promise<Dek>;
}

/** The full administrative surface (list, update, delete, undelete), as in Confluent's REST API. */
export interface DekRegistryAdmin extends DekRegistry {
  listKeks(options?: ListOptions & { subjectPrefix?: string[] }): Promise<string[]>;
  updateKek(name: string, request: UpdateKekRequest): Promise<Kek>;
  deleteKek(name: string, options?: { permanent?: boolean }): Promise<void>;
  undeleteKek(name: string): Promise<void>;
  listDekSubjects(kekName: string, options?: ListOptions): Promise<string[]>;
  listDekVersions(
    kekName: string,
    subject: string,
    options?: ListOptions & { algorithm?: DekAlgorithm },
  ): Promise<number[]>;
  deleteDek(
    kekName: string,
    subject: string,
    options?: { algorithm?: DekAlgorithm; version?: number; permanent?: boolean },
  ): Promise<void>;
  undeleteDek(
    kekName: string,
    subject: string,
    options?: { algorithm?: DekAlgorithm; version?: number },
  ): Promise<void>;
}
