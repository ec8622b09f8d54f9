/**
 * Mapping between the Confluent DEK Registry REST answers and kafka-csfle's model: typed errors
 * from status + `error_code`, and normalized KEK / DEK records.
 *
 * @packageDocumentation
 */
import { DekRegistryError, type CsfleErrorCode } from '../errors';
import type { HttpResult } from './http-transport';
import { DEFAULT_DEK_ALGORITHM, type Dek, type DekAlgorithm, type Kek } from './model';

/** Which kind of object an operation is about (for 404 mapping). */
export type Target = 'kek' | 'dek';

/** What an operation is about: used for 404 mapping and error context. */
export interface OpContext {
  target: Target;
  kekName?: string;
  subject?: string;
  algorithm?: DekAlgorithm;
  dekVersion?: number;
}

/**
 * Maps a registry error answer to a typed {@link DekRegistryError}.
 *
 * Confluent semantics are the reference (see docs/dek-registry.md): 40470 not found, 40471 not
 * soft-deleted, 40472 KEK soft-deleted, 409 conflict, 422 invalid (42272: references exist),
 * 401/403 unauthorized, 429/5xx unavailable (retryable). AxonOps quirks tolerated: it sends
 * 40471 "Data encryption key not found" for a missing DEK, and 40970 for an existing KEK.
 *
 * @internal
 */
export function mapDekRegistryError(res: HttpResult, what: string, ctx: OpContext): DekRegistryError {
  const { status, errorCode } = res;
  const upstream = res.message ? `: ${res.message}` : '';
  const opts = {
    status,
    upstreamCode: errorCode,
    kekName: ctx.kekName,
    subject: ctx.subject,
    algorithm: ctx.algorithm,
    dekVersion: ctx.dekVersion,
  };
  const notFound = (): CsfleErrorCode => {
    if (ctx.target === 'kek') return 'KEK_NOT_FOUND';
    const m = res.message ?? '';
    // Confluent: "Key '<kek>' not found" vs "Key '<subject>' not found"; AxonOps: "Key encryption key not found".
    if (/key encryption key/i.test(m)) return 'KEK_NOT_FOUND';
    if (ctx.kekName && m.includes(`'${ctx.kekName}'`) && !(ctx.subject && m.includes(`'${ctx.subject}'`))) {
      return 'KEK_NOT_FOUND';
    }
    return 'DEK_NOT_FOUND';
  };
  let code: CsfleErrorCode;
  let retryable = false;
  let text: string;
  if (status === 404) {
    if (errorCode === 40471 && /not\s+found/i.test(res.message ?? '') && !/soft/i.test(res.message ?? '')) {
      code = notFound(); // AxonOps: 40471 = "Data encryption key not found"
    } else if (errorCode === 40471) {
      code = 'NOT_SOFT_DELETED';
    } else if (errorCode === 40472) {
      code = 'KEK_NOT_FOUND';
    } else {
      code = notFound();
    }
    text =
      code === 'NOT_SOFT_DELETED'
        ? `${what}: the key must be soft-deleted before a permanent delete`
        : errorCode === 40472
          ? `${what}: the KEK is soft-deleted and must be undeleted first`
          : `${what}: ${code === 'KEK_NOT_FOUND' ? 'KEK' : 'DEK'} not found`;
  } else if (status === 409) {
    if (errorCode === 40972) {
      code = 'REGISTRY_ERROR';
      text = `${what}: the registry's key-count limit is reached`;
    } else {
      code = 'CONFLICT';
      text = `${what}: already exists (created concurrently or earlier)`;
    }
  } else if (status === 422 || status === 400) {
    code = errorCode === 42272 ? 'REFERENCE_EXISTS' : 'INVALID_REQUEST';
    text =
      code === 'REFERENCE_EXISTS'
        ? `${what}: DEKs still reference this KEK`
        : `${what}: rejected as invalid`;
  } else if (status === 401 || status === 403) {
    code = 'UNAUTHORIZED';
    text =
      errorCode === 40370
        ? `${what}: the registry was denied access to the KMS key`
        : `${what}: not authorized by the registry (HTTP ${status})`;
  } else if (status === 429 || status >= 500) {
    code = 'REGISTRY_UNAVAILABLE';
    retryable = true;
    text = `${what}: registry error HTTP ${status}`;
  } else {
    code = 'REGISTRY_ERROR';
    text = `${what}: unexpected HTTP ${status}`;
  }
  return new DekRegistryError(code, `${text}${upstream}`, { ...opts, retryable });
}

/** A KEK answer in our model (`kmsProps` always present, `deleted` only when true). */
export function normalizeKek(raw: unknown): Kek {
  const r = (raw ?? {}) as Record<string, unknown>;
  const kek: Kek = {
    name: String(r.name),
    kmsType: String(r.kmsType),
    kmsKeyId: String(r.kmsKeyId),
    kmsProps: (r.kmsProps as Record<string, string> | null | undefined) ?? {},
    shared: r.shared === true,
  };
  if (typeof r.doc === 'string' && r.doc !== '') kek.doc = r.doc;
  if (typeof r.ts === 'number') kek.ts = r.ts;
  if (r.deleted === true) kek.deleted = true;
  return kek;
}

/** A DEK answer in our model (empty strings dropped, `deleted` only when true). */
export function normalizeDek(raw: unknown): Dek {
  const r = (raw ?? {}) as Record<string, unknown>;
  const dek: Dek = {
    kekName: String(r.kekName),
    subject: String(r.subject),
    version: Number(r.version ?? 1),
    algorithm: (r.algorithm as DekAlgorithm | undefined) ?? DEFAULT_DEK_ALGORITHM,
  };
  if (typeof r.encryptedKeyMaterial === 'string' && r.encryptedKeyMaterial !== '') {
    dek.encryptedKeyMaterial = r.encryptedKeyMaterial;
  }
  if (typeof r.keyMaterial === 'string' && r.keyMaterial !== '') dek.keyMaterial = r.keyMaterial;
  if (typeof r.ts === 'number') dek.ts = r.ts;
  if (r.deleted === true) dek.deleted = true;
  return dek;
}

