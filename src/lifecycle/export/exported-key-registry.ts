/**
 * A read-only {@link DekRegistry} over key export lines, so a deserializer decrypts records with
 * exported keys and no DEK Registry: plaintext lines need no KMS either, wrapped lines are
 * unwrapped by the KEK's KMS as usual.
 *
 * @packageDocumentation
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readTinkKeyset } from '../../crypto/tink-keyset';
import { CsfleError, DekRegistryError } from '../../errors';
import { DEFAULT_DEK_ALGORITHM, type Dek, type DekRegistry, type GetDekOptions, type Kek } from '../../dek/model';
import { keyLinkOf, isPlaintextLine, parseKeyLine, type ExportedKeyLine } from './key-line';
import { isExportFileName } from './checkpoint';

/** `kmsType` of the KEK standing for plaintext-only exported keys (never asked to unwrap). */
export const EXPORTED_PLAINTEXT_KMS_TYPE = 'kafka-csfle-plaintext-export';

/**
 * Parses JSONL export text (blank lines ignored).
 *
 * @param where - names the source in error messages (a file name).
 * @throws `CsfleError('INVALID_REQUEST')` naming the line number (never key material).
 */
export function parseExportedKeys(text: string, where = 'key export'): ExportedKeyLine[] {
  const out: ExportedKeyLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim()) out.push(parseKeyLine(line, `${where}:${i + 1}`));
  });
  return out;
}

/**
 * Reads export files: each path is a `.jsonl` file, or a directory whose export files
 * (`<time>-keys-<n>.jsonl`) are all read.
 */
export async function readExportedKeys(paths: readonly string[]): Promise<ExportedKeyLine[]> {
  const out: ExportedKeyLine[] = [];
  for (const p of paths) {
    let files = [p];
    try {
      if ((await fs.stat(p)).isDirectory()) {
        files = (await fs.readdir(p)).filter(isExportFileName).sort().map((f) => path.join(p, f));
      }
      for (const f of files) out.push(...parseExportedKeys(await fs.readFile(f, 'utf8'), f));
    } catch (e) {
      if (e instanceof CsfleError) throw e;
      throw new CsfleError('INVALID_REQUEST', `cannot read key export ${p} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause: e,
      });
    }
  }
  return out;
}

const readOnly = (): never => {
  throw new DekRegistryError('INVALID_REQUEST', 'An exported-key registry is read-only: it cannot create KEKs or DEKs');
};

/** A read-only DEK registry answering from exported keys. */
export class ExportedKeyRegistry implements DekRegistry {
  readonly #keks = new Map<string, Kek>();
  readonly #deks = new Map<string, Dek>();
  readonly #latest = new Map<string, number>();

  /**
   * @param lines - export lines; a key present several times keeps its plaintext form if any
   *   (else the first line).
   */
  constructor(lines: readonly ExportedKeyLine[]) {
    for (const line of lines) {
      const plaintext = isPlaintextLine(line);
      const existing = this.#deks.get(line.keyLink);
      if (existing && (existing.keyMaterial !== undefined || !plaintext)) continue;
      const dek: Dek = { kekName: line.kekName, subject: line.subject, version: line.version, algorithm: line.algorithm };
      if (line.createdAt) dek.ts = Date.parse(line.createdAt);
      if (line.deleted) dek.deleted = true;
      if (plaintext) {
        const { keyProto } = readTinkKeyset(line.tinkKey);
        dek.keyMaterial = keyProto.toString('base64');
        keyProto.fill(0);
      } else {
        dek.encryptedKeyMaterial = line.encryptedKeyMaterial;
        this.#keks.set(line.kekName, {
          name: line.kekName,
          kmsType: line.kmsType,
          kmsKeyId: line.kmsKeyId,
          kmsProps: { ...(line.kmsProps ?? {}) },
          shared: false,
        });
      }
      if (!this.#keks.has(line.kekName)) {
        this.#keks.set(line.kekName, {
          name: line.kekName,
          kmsType: EXPORTED_PLAINTEXT_KMS_TYPE,
          kmsKeyId: 'none',
          kmsProps: {},
          shared: true,
        });
      }
      this.#deks.set(line.keyLink, dek);
      const family = keyLinkOf({ ...line, version: 0 });
      this.#latest.set(family, Math.max(this.#latest.get(family) ?? 0, line.version));
    }
  }

  /** Number of distinct DEK versions held. */
  get size(): number {
    return this.#deks.size;
  }

  /** Redacted: never the key material. */
  toJSON(): { type: 'ExportedKeyRegistry'; keys: number } {
    return { type: 'ExportedKeyRegistry', keys: this.#deks.size };
  }

  /** `util.inspect` shows the key count only. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ExportedKeyRegistry { keys: ${this.#deks.size} }`;
  }

  async getKek(name: string): Promise<Kek | undefined> {
    const kek = this.#keks.get(name);
    return kek ? { ...kek, kmsProps: { ...kek.kmsProps } } : undefined;
  }

  async getDek(kekName: string, subject: string, options: GetDekOptions = {}): Promise<Dek | undefined> {
    const algorithm = options.algorithm ?? DEFAULT_DEK_ALGORITHM;
    let version = options.version ?? 1;
    if (version === 'latest' || version === -1) version = this.#latest.get(keyLinkOf({ kekName, subject, algorithm, version: 0 })) ?? 0;
    const dek = this.#deks.get(keyLinkOf({ kekName, subject, algorithm, version }));
    if (!dek || (dek.deleted && !options.deleted)) return undefined;
    return { ...dek };
  }

  /** Rejects: read-only. */
  async registerKek(): Promise<Kek> {
    return readOnly();
  }

  /** Rejects: read-only. */
  async registerDek(): Promise<Dek> {
    return readOnly();
  }
}
