/**
 * Where key exports go: a small storage contract (atomic whole-object writes, exclusive create,
 * list, read) that a local directory and S3 both provide. The exporter's checkpoint lives in the
 * sink too, so several exporters on one sink cooperate through it.
 *
 * @packageDocumentation
 */

/** An object in a sink. */
export interface SinkEntry {
  /** Name relative to the sink root, `/`-separated. */
  name: string;
  /** Last modification time (ms since epoch). */
  modifiedMs: number;
}

/** Storage for key export files. Names are relative, `/`-separated, never start with `/`. */
export interface ExportSink {
  /** Human-readable location (`/path` or `s3://bucket/prefix`), never credentials. */
  readonly location: string;
  /**
   * Writes `data` as `name` atomically (readers see the old object or the whole new one),
   * replacing any existing object.
   */
  write(name: string, data: string): Promise<void>;
  /**
   * Writes `data` as `name` atomically only if `name` does not exist yet. Resolves `true` when
   * this call created it, `false` when it already existed (whoever wrote it). Two concurrent
   * calls on one name never both resolve `true`.
   */
  createExclusive(name: string, data: string): Promise<boolean>;
  /** The object's text, or `undefined` when it does not exist. */
  read(name: string): Promise<string | undefined>;
  /** Objects whose name starts with `prefix` (all of them, any depth). */
  list(prefix: string): Promise<SinkEntry[]>;
}

/** Connection settings of an S3 sink (all optional: the AWS SDK's defaults apply). */
export interface S3SinkOptions {
  /** Endpoint override (S3-compatible stores, moto, MinIO). */
  endpoint?: string;
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by most S3-compatible stores. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}
