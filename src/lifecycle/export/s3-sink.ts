/**
 * S3 (or an S3-compatible store) as an {@link ExportSink}, through `@aws-sdk/client-s3`, an
 * optional peer dependency loaded on first use. Every write is one PutObject (atomic for
 * readers); exclusive creation is a conditional PutObject (`If-None-Match: *`), which S3 has
 * supported since August 2024 (and MinIO, moto).
 *
 * @packageDocumentation
 */
import { CsfleError } from '../../errors';
import { quietAwsNodeVersionNotice } from '../../kms/aws/node-notice';
import type { ExportSink, S3SinkOptions, SinkEntry } from './sink';

type S3Module = typeof import('@aws-sdk/client-s3');

async function loadS3(): Promise<S3Module> {
  try {
    return await import('@aws-sdk/client-s3');
  } catch (e) {
    throw new CsfleError(
      'SINK_UNWRITABLE',
      'An s3:// export sink needs the optional peer dependency @aws-sdk/client-s3: npm install @aws-sdk/client-s3',
      { cause: e },
    );
  }
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Parses `s3://bucket[/prefix]`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new CsfleError('INVALID_REQUEST', `not an s3:// URL: ${url}`);
  const prefix = m[2]!.replace(/\/+$/, '');
  return { bucket: m[1]!, prefix: prefix ? `${prefix}/` : '' };
}

/** An S3 sink: objects `s3://bucket/prefix/<name>`. */
export class S3Sink implements ExportSink {
  readonly location: string;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #options: S3SinkOptions;
  #client: Promise<{ s3: S3Module; client: import('@aws-sdk/client-s3').S3Client }> | undefined;

  constructor(url: string, options: S3SinkOptions = {}) {
    const { bucket, prefix } = parseS3Url(url);
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#options = options;
    this.location = `s3://${bucket}/${prefix}`;
  }

  /** Credential-free description. */
  toJSON(): { type: 'S3Sink'; location: string } {
    return { type: 'S3Sink', location: this.location };
  }

  #s3(): Promise<{ s3: S3Module; client: import('@aws-sdk/client-s3').S3Client }> {
    this.#client ??= loadS3().then((s3) => {
      const o = this.#options;
      quietAwsNodeVersionNotice('@aws-sdk/client-s3');
      const client = new s3.S3Client({
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        ...(o.region ? { region: o.region } : {}),
        ...(o.forcePathStyle !== undefined ? { forcePathStyle: o.forcePathStyle } : {}),
        ...(o.credentials ? { credentials: o.credentials } : {}),
      });
      return { s3, client };
    });
    return this.#client;
  }

  #fail(what: string, e: unknown): CsfleError {
    if (e instanceof CsfleError) return e;
    const name = (e as Error)?.name;
    const code = status(e);
    return new CsfleError(
      'SINK_UNWRITABLE',
      `Cannot ${what} in the export sink ${this.location}${name ? ` (${name}${code ? ` ${code}` : ''})` : ''}`,
      { cause: e, retryable: code !== undefined && (code >= 500 || code === 429), ...(code ? { status: code } : {}) },
    );
  }

  async #put(name: string, data: string, exclusive: boolean): Promise<void> {
    const { s3, client } = await this.#s3();
    await client.send(
      new s3.PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.#prefix + name,
        Body: data,
        ContentType: name.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/json',
        ...(exclusive ? { IfNoneMatch: '*' } : {}),
      }),
    );
  }

  async write(name: string, data: string): Promise<void> {
    try {
      await this.#put(name, data, false);
    } catch (e) {
      throw this.#fail(`write ${name}`, e);
    }
  }

  async createExclusive(name: string, data: string): Promise<boolean> {
    // 409 ConditionalRequestConflict: a concurrent conditional write to the same key is in
    // flight; S3 asks to retry, and the retry then sees the winner's object (412).
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#put(name, data, true);
        return true;
      } catch (e) {
        const code = status(e);
        if (code === 412) return false;
        if (code === 409 && attempt < 5) {
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
          continue;
        }
        throw this.#fail(`create ${name}`, e);
      }
    }
  }

  async read(name: string): Promise<string | undefined> {
    const { s3, client } = await this.#s3();
    try {
      const out = await client.send(new s3.GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + name }));
      return await out.Body!.transformToString('utf8');
    } catch (e) {
      if (status(e) === 404 || (e as Error)?.name === 'NoSuchKey') return undefined;
      throw this.#fail(`read ${name}`, e);
    }
  }

  async list(prefix: string): Promise<SinkEntry[]> {
    const { s3, client } = await this.#s3();
    const out: SinkEntry[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(
          new s3.ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          out.push({ name: o.Key.slice(this.#prefix.length), modifiedMs: o.LastModified?.getTime() ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.#fail('list objects', e);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
