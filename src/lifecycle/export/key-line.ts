/**
 * One line of a key export file (JSONL): one DEK version, wrapped (KMS-encrypted Tink key proto
 * plus the KEK coordinates) or plaintext (a Tink JSON keyset). See docs/key-export.md.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readTinkKeyset, tinkKeysetOf, type TinkJsonKeyset } from '../../crypto/tink-keyset';
import { CsfleError } from '../../errors';
import { DEK_ALGORITHMS, type Dek, type DekAlgorithm, type Kek } from '../../dek/model';

/** Fields every export line carries. */
export interface ExportedKeyBase {
  /** `<kekName>/<subject>/<algorithm>/<version>`: names the DEK as a record's rule and version prefix do. */
  keyLink: string;
  kekName: string;
  subject: string;
  version: number;
  algorithm: DekAlgorithm;
  /** ISO-8601 time of the registry record (`ts`), or `null` when the registry gave none. */
  createdAt: string | null;
  /** Present (true) only for a soft-deleted DEK (exported with `includeDeleted`). */
  deleted?: true;
}

/** A wrapped line: the registry's KMS-wrapped key and the KEK coordinates. Needs the KMS to use. */
export interface WrappedKeyLine extends ExportedKeyBase {
  kmsType: string;
  kmsKeyId: string;
  /** The KEK's `kmsProps` without secret-looking entries (see {@link isSecretKmsProp}). */
  kmsProps: Record<string, string>;
  /** Standard base64 of the KMS-wrapped serialized Tink key proto. */
  encryptedKeyMaterial: string;
}

/** A plaintext line: the DEK as a Tink JSON keyset, usable by plain Tink with no KMS. */
export interface PlaintextKeyLine extends ExportedKeyBase {
  tinkKey: TinkJsonKeyset;
}

/** One line of a key export file. */
export type ExportedKeyLine = WrappedKeyLine | PlaintextKeyLine;

/** Export mode: `wrapped` (default, no KMS access needed) or `plaintext`. */
export type KeyExportMode = 'wrapped' | 'plaintext';

/** The identity of one DEK version. */
export interface DekCoordinates {
  kekName: string;
  subject: string;
  algorithm: DekAlgorithm;
  version: number;
}

/** `<kekName>/<subject>/<algorithm>/<version>`. */
export function keyLinkOf(c: DekCoordinates): string {
  return `${c.kekName}/${c.subject}/${c.algorithm}/${c.version}`;
}

/**
 * Splits a key link. The subject may itself contain `/` (a KEK name cannot): the KEK name is the
 * first segment, algorithm and version the last two.
 */
export function parseKeyLink(keyLink: string): DekCoordinates {
  const parts = keyLink.split('/');
  const version = Number(parts[parts.length - 1]);
  const algorithm = parts[parts.length - 2] as DekAlgorithm;
  if (parts.length < 4 || !Number.isInteger(version) || version < 1 || !DEK_ALGORITHMS.includes(algorithm)) {
    throw new CsfleError('INVALID_REQUEST', `invalid key link '${keyLink}': expected <kekName>/<subject>/<algorithm>/<version>`);
  }
  return { kekName: parts[0]!, subject: parts.slice(1, -2).join('/'), algorithm, version };
}

/** True for a kmsProps entry that looks like a credential (never exported). */
export function isSecretKmsProp(key: string): boolean {
  return /secret|password|passwd|token|credential|private|signature/i.test(key);
}

/** A stable Tink key id for a DEK: 31 bits of SHA-256 of its key link, never 0. */
export function tinkKeyIdOf(keyLink: string): number {
  const n = createHash('sha256').update(keyLink).digest().readUInt32BE(0) & 0x7fffffff;
  return n === 0 ? 1 : n;
}

function base(kek: Kek, dek: Dek): ExportedKeyBase {
  const c = { kekName: kek.name, subject: dek.subject, algorithm: dek.algorithm, version: dek.version };
  return {
    keyLink: keyLinkOf(c),
    ...c,
    createdAt: dek.ts === undefined ? null : new Date(dek.ts).toISOString(),
    ...(dek.deleted ? { deleted: true as const } : {}),
  };
}

/**
 * The wrapped line of a DEK. Needs no KMS: it copies the registry's `encryptedKeyMaterial`.
 *
 * @throws `CsfleError('DEK_NOT_FOUND')` when the record has no wrapped material.
 */
export function wrappedLineOf(kek: Kek, dek: Dek): WrappedKeyLine {
  const b = base(kek, dek);
  if (!dek.encryptedKeyMaterial) {
    throw new CsfleError('DEK_NOT_FOUND', 'The DEK record has no wrapped key material to export', {
      kekName: kek.name,
      subject: dek.subject,
      algorithm: dek.algorithm,
      dekVersion: dek.version,
    });
  }
  const kmsProps: Record<string, string> = {};
  for (const [k, v] of Object.entries(kek.kmsProps ?? {})) if (!isSecretKmsProp(k)) kmsProps[k] = v;
  return { ...b, kmsType: kek.kmsType, kmsKeyId: kek.kmsKeyId, kmsProps, encryptedKeyMaterial: dek.encryptedKeyMaterial };
}

/** The plaintext line of a DEK, from its unwrapped serialized Tink key proto. */
export function plaintextLineOf(kek: Kek, dek: Dek, keyProto: Buffer): PlaintextKeyLine {
  const b = base(kek, dek);
  return { ...b, tinkKey: tinkKeysetOf(dek.algorithm, keyProto, tinkKeyIdOf(b.keyLink)) };
}

/** True for a plaintext line. */
export function isPlaintextLine(line: ExportedKeyLine): line is PlaintextKeyLine {
  return 'tinkKey' in line;
}

/**
 * Parses and validates one export line (a JSON text). The `keyLink` must agree with the other
 * fields; a plaintext line's keyset must hold one key of the line's algorithm.
 *
 * @throws `CsfleError('INVALID_REQUEST')` naming the line (never its key material).
 */
export function parseKeyLine(text: string, where = 'key line'): ExportedKeyLine {
  const fail = (why: string): never => {
    throw new CsfleError('INVALID_REQUEST', `${where}: ${why}`);
  };
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return fail('not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('not a JSON object');
  if (typeof v.keyLink !== 'string') return fail('no keyLink');
  const c = parseKeyLink(v.keyLink);
  if (v.kekName !== c.kekName || v.subject !== c.subject || v.algorithm !== c.algorithm || v.version !== c.version) {
    fail(`keyLink ${v.keyLink} disagrees with kekName/subject/algorithm/version`);
  }
  if ('tinkKey' in v) {
    let algorithm: DekAlgorithm;
    try {
      const read = readTinkKeyset(v.tinkKey);
      read.keyProto.fill(0);
      algorithm = read.algorithm;
    } catch (e) {
      return fail(`${v.keyLink}: ${(e as Error).message}`);
    }
    if (algorithm !== c.algorithm) fail(`${v.keyLink}: keyset holds an ${algorithm} key`);
  } else {
    for (const f of ['kmsType', 'kmsKeyId', 'encryptedKeyMaterial'] as const) {
      if (typeof v[f] !== 'string' || v[f] === '') fail(`${v.keyLink}: wrapped line without ${f}`);
    }
    if (v.kmsProps !== undefined && (typeof v.kmsProps !== 'object' || v.kmsProps === null)) fail(`${v.keyLink}: kmsProps is not an object`);
  }
  return v as unknown as ExportedKeyLine;
}
