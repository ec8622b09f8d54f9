/**
 * `exportKeys`: writes the DEKs of a KEK to a sink as JSONL (one DEK version per line), for
 * escrow, backup, audits and decrypting data that left Kafka with plain Tink. See
 * docs/key-export.md.
 *
 * @packageDocumentation
 */
import type { RegistryHttpOptions } from '../../dek/http-options';
import type { DekRegistryAdmin } from '../../dek/model';
import { CsfleError } from '../../errors';
import type { KmsConfig } from '../../kms/driver';
import type { KmsOptions } from '../../kms/options';
import { adminRegistry } from '../dek-listing';
import { CHECKPOINT_DIR, Checkpoint, exportFileName } from './checkpoint';
import { DirectorySink } from './directory-sink';
import type { KeyExportMode } from './key-line';
import { DekSource } from './key-source';
import { S3Sink } from './s3-sink';
import type { ExportSink, S3SinkOptions } from './sink';

/** The environment variable that must be `1` for a plaintext export ("your account allows this"). */
export const ALLOW_PLAINTEXT_EXPORT_ENV = 'KAFKA_CSFLE_ALLOW_PLAINTEXT_KEY_EXPORT';
/** The dot-file written first to prove the sink is writable. */
export const WRITE_TEST_FILE = '.kafka-csfle-write-test';
const MANIFEST = `${CHECKPOINT_DIR}/manifest.json`;

/** Progress of an export pass. */
export interface KeyExportProgress {
  phase: 'listing' | 'preparing' | 'writing';
  done: number;
  total: number;
}

/** Options of {@link exportKeys}. */
export interface ExportKeysOptions {
  /** The DEK registry: an instance, or HTTP settings for an uncached `DekRegistryClient`. */
  dekRegistry: DekRegistryAdmin | RegistryHttpOptions;
  /** The KEK whose DEKs are exported. */
  kekName: string;
  /** Only these subjects (default: every subject with DEKs under the KEK). */
  subjects?: readonly string[];
  /** A directory path, an `s3://bucket/prefix` URL, or a sink instance. */
  sink: string | ExportSink;
  /** Settings of an `s3://` sink (endpoint override, region, path style, credentials). */
  s3?: S3SinkOptions;
  /**
   * `wrapped` (default): the registry's KMS-wrapped key plus KEK coordinates; needs no KMS.
   * `plaintext`: a Tink JSON keyset per DEK; needs KMS decrypt rights and the environment
   * variable {@link ALLOW_PLAINTEXT_EXPORT_ENV}=1, else it is refused (`EXPORT_REFUSED`).
   */
  mode?: KeyExportMode;
  /** Per-kmsType KMS config used to unwrap DEKs in plaintext mode, e.g. `{ 'aws-kms': {...} }`. */
  kms?: KmsOptions;
  /** Export soft-deleted DEKs too (marked `"deleted": true`). */
  includeDeleted?: boolean;
  /**
   * `false` (default): incremental — only keys no exporter wrote to this sink before (the
   * checkpoint is kept in the sink). `true`: a full snapshot of every selected key in one new
   * file; the checkpoint is neither read nor changed.
   */
  full?: boolean;
  /**
   * How old another exporter's unfinished claim must be before this one finishes it (default
   * 30 s). Affects only how soon a crashed exporter's keys get written, never correctness.
   */
  claimTimeoutMs?: number;
  /** Environment to read {@link ALLOW_PLAINTEXT_EXPORT_ENV} from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives the plaintext-export warning and recoverable problems. Never key material. */
  logger?: { warn(message: string, context?: Record<string, unknown>): void };
  onProgress?(progress: KeyExportProgress): void;
  /** Clock (tests). */
  now?: () => number;
}

/** What one export pass did. */
export interface ExportKeysResult {
  /** Sink location. */
  sink: string;
  mode: KeyExportMode;
  /** Files written by this pass (names relative to the sink). */
  files: string[];
  /** Key links written by this pass. */
  exported: string[];
  /** Keys already exported to this sink before (incremental mode). */
  alreadyExported: number;
  /** Keys another running exporter has claimed and not written yet (left to it). */
  inProgressElsewhere: number;
  /** Keys of a crashed exporter that this pass finished. */
  recovered: number;
}

/** Opens `target` as a sink: `s3://bucket/prefix` → {@link S3Sink}, anything else a directory. */
export function openExportSink(target: string | ExportSink, s3?: S3SinkOptions): ExportSink {
  if (typeof target !== 'string') return target;
  if (target.startsWith('s3://')) return new S3Sink(target, s3);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new CsfleError('INVALID_REQUEST', `unsupported export sink ${target}: use a directory path or s3://bucket/prefix`);
  }
  return new DirectorySink(target);
}

/**
 * Refuses a plaintext export unless `KAFKA_CSFLE_ALLOW_PLAINTEXT_KEY_EXPORT=1`.
 *
 * @throws `CsfleError('EXPORT_REFUSED')`.
 */
export function assertPlaintextExportAllowed(env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (env[ALLOW_PLAINTEXT_EXPORT_ENV] !== '1') {
    throw new CsfleError(
      'EXPORT_REFUSED',
      `Plaintext key export refused: it writes unwrapped DEKs anyone with read access to the sink can use. ` +
        `Set ${ALLOW_PLAINTEXT_EXPORT_ENV}=1 in the exporter's environment to allow it, or export wrapped keys (the default)`,
    );
  }
}

/** Proves the sink writable (dot-file first), then checks or records the sink's export mode. */
async function prepareSink(sink: ExportSink, mode: KeyExportMode, now: number): Promise<void> {
  await sink.write(WRITE_TEST_FILE, `${JSON.stringify({ writeTest: true, at: new Date(now).toISOString() })}\n`);
  const manifest = `${JSON.stringify({ format: 'kafka-csfle-key-export', formatVersion: 1, mode })}\n`;
  if (await sink.createExclusive(MANIFEST, manifest)) return;
  const text = await sink.read(MANIFEST);
  let recorded: unknown;
  try {
    recorded = (JSON.parse(text ?? '{}') as { mode?: unknown }).mode;
  } catch {
    recorded = undefined;
  }
  if (recorded !== mode) {
    throw new CsfleError(
      'EXPORT_REFUSED',
      `The sink ${sink.location} holds ${String(recorded)} key exports; refusing to mix ${mode} keys into it (use another sink)`,
    );
  }
}

/**
 * Runs one export pass: writes the selected DEK versions of a KEK to the sink, as JSONL files
 * named `<UTC ISO time>-keys-<n>.jsonl`, written atomically. In incremental mode (the default)
 * only keys never exported to this sink are written, and concurrent exporters on the same sink
 * never write a key twice.
 *
 * @throws `CsfleError` — `EXPORT_REFUSED` (plaintext without permission, mode mismatch),
 *   `SINK_UNWRITABLE`, `KEK_NOT_FOUND`, registry and KMS errors.
 */
export async function exportKeys(options: ExportKeysOptions): Promise<ExportKeysResult> {
  return new KeyExportPass(options).run();
}

/** One pass; {@link runKeyExporter} keeps one alive across passes to reuse its caches. */
export class KeyExportPass {
  readonly #o: ExportKeysOptions;
  readonly #mode: KeyExportMode;
  readonly #sink: ExportSink;
  readonly #source: DekSource;
  readonly #checkpoint: Checkpoint;
  readonly #now: () => number;

  constructor(options: ExportKeysOptions) {
    this.#o = options;
    this.#mode = options.mode ?? 'wrapped';
    if (this.#mode !== 'wrapped' && this.#mode !== 'plaintext') {
      throw new CsfleError('INVALID_REQUEST', `unknown export mode ${String(this.#mode)}`);
    }
    if (this.#mode === 'plaintext') assertPlaintextExportAllowed(options.env ?? process.env);
    this.#sink = openExportSink(options.sink, options.s3);
    this.#source = new DekSource({
      registry: adminRegistry(options.dekRegistry),
      kekName: options.kekName,
      subjects: options.subjects,
      includeDeleted: options.includeDeleted === true,
      mode: this.#mode,
      kms: options.kms ?? {},
    });
    this.#checkpoint = new Checkpoint(this.#sink);
    this.#now = options.now ?? Date.now;
  }

  /** Runs one pass (see {@link exportKeys}). */
  async run(): Promise<ExportKeysResult> {
    const o = this.#o;
    if (this.#mode === 'plaintext') {
      o.logger?.warn(
        'Exporting PLAINTEXT DEKs: anyone who can read the sink can decrypt the data of these keys without the KMS',
        { kekName: o.kekName, sink: this.#sink.location },
      );
    }
    const start = this.#now();
    await prepareSink(this.#sink, this.#mode, start);
    o.onProgress?.({ phase: 'listing', done: 0, total: 0 });
    const deks = await this.#source.deks();
    const result: ExportKeysResult = {
      sink: this.#sink.location,
      mode: this.#mode,
      files: [],
      exported: [],
      alreadyExported: 0,
      inProgressElsewhere: 0,
      recovered: 0,
    };
    const lines = new Map<string, string>();
    const lineOf = async (dek: (typeof deks)[number]): Promise<void> => {
      const line = await this.#source.lineOf(dek);
      lines.set(line.keyLink, JSON.stringify(line));
      o.onProgress?.({ phase: 'preparing', done: lines.size, total: deks.length });
    };

    if (o.full) {
      for (const dek of deks) await lineOf(dek);
      if (lines.size > 0) this.#record(result, await this.#writeSnapshot(start, lines));
      return result;
    }

    const claimed = await this.#checkpoint.claimed(start);
    const kek = await this.#source.kek();
    const timeout = o.claimTimeoutMs ?? 30_000;
    // Keys already claimed: done, pending elsewhere, or stale (finished here).
    const stale = new Map<string, string[]>();
    for (const [keyLink, ageMs] of claimed) {
      if (!keyLink.startsWith(`${kek.name}/`) || this.#checkpoint.isDone(keyLink)) {
        if (keyLink.startsWith(`${kek.name}/`)) result.alreadyExported++;
        continue;
      }
      const st = await this.#checkpoint.state(keyLink, ageMs);
      if (st.state === 'done') result.alreadyExported++;
      else if (st.claimAgeMs < timeout) result.inProgressElsewhere++;
      else stale.set(st.at, [...(stale.get(st.at) ?? []), keyLink]);
    }
    // New keys: prepare their lines first (no claim is left behind by a KMS failure), then claim.
    const fresh = deks.filter((d) => !claimed.has(`${kek.name}/${d.subject}/${d.algorithm}/${d.version}`));
    for (const dek of fresh) await lineOf(dek);
    const file = exportFileName(start);
    const mine = new Map<string, string>();
    for (const [keyLink, line] of lines) {
      if (await this.#checkpoint.claim(keyLink, file, this.#now())) mine.set(keyLink, line);
      else result.inProgressElsewhere++;
    }
    o.onProgress?.({ phase: 'writing', done: 0, total: mine.size + stale.size });
    if (mine.size > 0) this.#record(result, await this.#checkpoint.writePending(file, mine));
    for (const [at, keyLinks] of stale) {
      const recovered = new Map<string, string>();
      for (const keyLink of keyLinks) {
        const dek = await this.#source.dekOf(keyLink);
        if (!dek) {
          o.logger?.warn('A claimed key is no longer in the registry; it cannot be exported', { keyLink });
          continue;
        }
        recovered.set(keyLink, JSON.stringify(await this.#source.lineOf(dek)));
      }
      const written = await this.#checkpoint.writePending(at, recovered);
      for (const w of written) result.recovered += w.keyLinks.length;
      this.#record(result, written);
    }
    return result;
  }

  #record(result: ExportKeysResult, written: { file: string; keyLinks: string[] }[]): void {
    for (const w of written) {
      result.files.push(w.file);
      result.exported.push(...w.keyLinks);
    }
  }

  async #writeSnapshot(now: number, lines: Map<string, string>): Promise<{ file: string; keyLinks: string[] }[]> {
    const body = `${[...lines.values()].join('\n')}\n`;
    for (let n = 1; ; n++) {
      const file = exportFileName(now, n);
      if (await this.#sink.createExclusive(file, body)) return [{ file, keyLinks: [...lines.keys()] }];
    }
  }
}
