/**
 * A local directory as an {@link ExportSink}. Files are written to a temporary name, fsync'd,
 * then renamed (replace) or hard-linked (exclusive create: `link()` fails when the name exists,
 * atomically, also on NFS). Files are created `0600` and directories `0700`: plaintext exports
 * hold key material.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CsfleError } from '../../errors';
import type { ExportSink, SinkEntry } from './sink';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function unwritable(location: string, what: string, err: unknown): CsfleError {
  const code = (err as NodeJS.ErrnoException)?.code;
  return new CsfleError('SINK_UNWRITABLE', `Cannot ${what} in the export sink ${location}${code ? ` (${code})` : ''}`, {
    cause: err,
  });
}

/** A directory sink rooted at `root` (created if missing). */
export class DirectorySink implements ExportSink {
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
    this.location = this.#root;
  }

  #path(name: string): string {
    const p = path.resolve(this.#root, ...name.split('/'));
    if (!p.startsWith(this.#root + path.sep)) throw new CsfleError('INVALID_REQUEST', `sink name escapes the sink: ${name}`);
    return p;
  }

  async #temp(target: string, data: string): Promise<string> {
    await fs.mkdir(path.dirname(target), { recursive: true, mode: DIR_MODE });
    const tmp = path.join(path.dirname(target), `.tmp-${randomBytes(8).toString('hex')}`);
    const fh = await fs.open(tmp, 'wx', FILE_MODE);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  async #syncDir(dir: string): Promise<void> {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async write(name: string, data: string): Promise<void> {
    const target = this.#path(name);
    try {
      const tmp = await this.#temp(target, data);
      await fs.rename(tmp, target);
      await this.#syncDir(path.dirname(target));
    } catch (e) {
      throw unwritable(this.location, `write ${name}`, e);
    }
  }

  async createExclusive(name: string, data: string): Promise<boolean> {
    const target = this.#path(name);
    let tmp: string | undefined;
    try {
      tmp = await this.#temp(target, data);
      await fs.link(tmp, target);
      await this.#syncDir(path.dirname(target));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw unwritable(this.location, `create ${name}`, e);
    } finally {
      if (tmp) await fs.unlink(tmp).catch(() => undefined);
    }
  }

  async read(name: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.#path(name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CsfleError('SINK_UNWRITABLE', `Cannot read ${name} in the export sink ${this.location}`, { cause: e });
    }
  }

  async list(prefix: string): Promise<SinkEntry[]> {
    const out: SinkEntry[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new CsfleError('SINK_UNWRITABLE', `Cannot list the export sink ${this.location}`, { cause: e });
      }
      for (const e of entries) {
        const name = rel ? `${rel}/${e.name}` : e.name;
        if (e.name.startsWith('.tmp-')) continue;
        if (e.isDirectory()) {
          if (prefix.startsWith(`${name}/`) || name.startsWith(prefix)) await walk(path.join(dir, e.name), name);
        } else if (e.isFile() && name.startsWith(prefix)) {
          const st = await fs.stat(path.join(dir, e.name)).catch(() => undefined);
          if (st) out.push({ name, modifiedMs: st.mtimeMs });
        }
      }
    };
    await walk(this.#root, '');
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
