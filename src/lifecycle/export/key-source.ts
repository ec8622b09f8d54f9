/**
 * Reads the DEKs of one KEK out of a DEK registry and turns them into export lines: wrapped lines
 * with no KMS call, plaintext lines by unwrapping with the KEK's KMS.
 *
 * @packageDocumentation
 */
import { CsfleError } from '../../errors';
import type { Dek, DekRegistryAdmin, Kek } from '../../dek/model';
import { KeySource } from '../../dek/key-source';
import type { KmsOptions } from '../../kms/options';
import { KeyRingCounters } from '../../observe/stats';
import { Telemetry } from '../../observe/telemetry';
import { listDekIds } from '../dek-listing';
import {
  keyLinkOf,
  parseKeyLink,
  plaintextLineOf,
  wrappedLineOf,
  type ExportedKeyLine,
  type KeyExportMode,
} from './key-line';

/** What a {@link DekSource} reads. */
export interface DekSourceOptions {
  registry: DekRegistryAdmin;
  kekName: string;
  /** Only these subjects (default: every subject with DEKs under the KEK). */
  subjects?: readonly string[];
  /** Include soft-deleted DEKs (and a soft-deleted KEK). */
  includeDeleted: boolean;
  mode: KeyExportMode;
  /** Per-kmsType KMS config, for plaintext mode. */
  kms: KmsOptions;
}

/** The DEK versions of one KEK, as export lines. */
export class DekSource {
  readonly #o: DekSourceOptions;
  #kek: Promise<Kek> | undefined;
  /** The key ring's KMS path (cached client, retries and error mapping, `dek.unwrapped` audit). */
  readonly #keys: KeySource;

  constructor(options: DekSourceOptions) {
    this.#o = options;
    this.#keys = new KeySource(options.registry, options.kms, new KeyRingCounters(), new Telemetry({}));
  }

  /** The KEK (read once). Rejects `KEK_NOT_FOUND`. */
  kek(): Promise<Kek> {
    this.#kek ??= this.#o.registry.getKek(this.#o.kekName, { deleted: this.#o.includeDeleted }).then((kek) => {
      if (!kek) {
        throw new CsfleError('KEK_NOT_FOUND', 'No KEK to export keys from', { kekName: this.#o.kekName });
      }
      return kek;
    });
    return this.#kek;
  }

  /** Every DEK version of the selected subjects, all algorithms (registry order). */
  async deks(): Promise<Dek[]> {
    const { registry, kekName, includeDeleted } = this.#o;
    await this.kek();
    const out: Dek[] = [];
    const ids = await listDekIds(registry, kekName, { deleted: includeDeleted, ...(this.#o.subjects ? { subjects: this.#o.subjects } : {}) });
    for (const { subject, algorithm, version } of ids) {
      const dek = await registry.getDek(kekName, subject, { algorithm, version, deleted: includeDeleted });
      // A registry that ignores the algorithm filter answers another algorithm's DEK: skip it.
      if (dek && dek.algorithm === algorithm && dek.version === version) out.push(dek);
    }
    return out;
  }

  /** The DEK a key link names, or `undefined` when the registry no longer has it. */
  async dekOf(keyLink: string): Promise<Dek | undefined> {
    const c = parseKeyLink(keyLink);
    if (c.kekName !== this.#o.kekName) return undefined;
    const dek = await this.#o.registry.getDek(c.kekName, c.subject, {
      algorithm: c.algorithm,
      version: c.version,
      deleted: this.#o.includeDeleted,
    });
    return dek && keyLinkOf({ ...dek, kekName: c.kekName }) === keyLink ? dek : undefined;
  }

  /** The export line of a DEK (plaintext mode unwraps it with the KMS, or uses a shared KEK's material). */
  async lineOf(dek: Dek): Promise<ExportedKeyLine> {
    const kek = await this.kek();
    if (this.#o.mode === 'wrapped') return wrappedLineOf(kek, dek);
    const proto = await this.#keys.unwrap(kek, dek);
    try {
      return plaintextLineOf(kek, dek, proto);
    } finally {
      proto.fill(0);
    }
  }
}
