/**
 * Local sources of an upload: a directory (walked recursively, a directory handle at a time, so a tree of a
 * million files is never listed in memory), a glob (`data/*.csv`, `logs/**\/*.json`), one file, or a caller's
 * (async) iterable of paths or `{ path, name }`. Each yields files with their size and a relative name
 * (`/`-separated) that the destination name is built from.
 */
import { opendir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { hasWildcard, literalPrefix, wildcardRegExp } from './wildcard.js';

export interface LocalFile {
  /** Absolute path. */
  path: string;
  /** Name relative to the source's base, `/`-separated; becomes the end of the object name. */
  relative: string;
  size: number;
}

/** What `uploadMany` accepts as its source. */
export type LocalSource = string | Iterable<string | { path: string; name: string }> | AsyncIterable<string | { path: string; name: string }>;

/**
 * Walks `root` depth-first, yielding regular files (symbolic links to files included; links to directories are
 * not followed, so a link cycle cannot loop). `prefix` is prepended to every relative name.
 */
export async function* walkDirectory(root: string, prefix = ''): AsyncGenerator<LocalFile> {
  const dir = await opendir(root);
  for await (const entry of dir) {
    const path = join(root, entry.name);
    const relative = `${prefix}${entry.name}`;
    if (entry.isDirectory()) {
      yield* walkDirectory(path, `${relative}/`);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile()) yield { path, relative, size: info.size };
    }
  }
}

/** Files matching a glob; relative names start at the directory holding the first wildcard. */
async function* globFiles(pattern: string): AsyncGenerator<LocalFile> {
  const absolute = resolve(pattern);
  const literal = literalPrefix(absolute);
  const base = literal.endsWith(sep) ? literal : dirname(literal) + sep;
  const regex = wildcardRegExp(absolute.slice(base.length).split(sep).join('/'));
  const exists = await stat(base).then((s) => s.isDirectory(), () => false);
  if (!exists) return;
  for await (const file of walkDirectory(base)) if (regex.test(file.relative)) yield file;
}

/**
 * Expands a source. A string is a directory (with `recursive` for the CLI's rules; the library always walks
 * it), a glob, or a file. `keepDirName` puts the directory's own name first (gcloud's `cp -r dir`).
 */
export async function* expandLocalSource(source: LocalSource, options: { keepDirName?: boolean; recursive?: boolean } = {}): AsyncGenerator<LocalFile> {
  if (typeof source === 'string') {
    if (hasWildcard(source)) {
      yield* globFiles(source);
      return;
    }
    const path = resolve(source);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new InvalidArgumentError(`Cannot read source ${source}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`, { cause: error });
    });
    if (info.isDirectory()) {
      if (options.recursive === false) throw new InvalidArgumentError(`${source} is a directory: copy it with the recursive option (-r)`);
      yield* walkDirectory(path, options.keepDirName ? `${basename(path)}/` : '');
    } else {
      yield { path, relative: basename(path), size: info.size };
    }
    return;
  }
  if (typeof source !== 'object' || source === null || !(Symbol.iterator in source || Symbol.asyncIterator in source)) {
    throw new InvalidArgumentError(
      `Expected the source to be a directory, a glob, or an iterable of paths or { path, name }, got \`${String(source)}\``,
    );
  }
  for await (const entry of source as AsyncIterable<string | { path: string; name: string }>) {
    const path = typeof entry === 'string' ? entry : entry?.path;
    if (typeof path !== 'string' || path === '') {
      throw new InvalidArgumentError(`Expected each source entry to be a path or { path, name }, got \`${JSON.stringify(entry)}\``);
    }
    const name = typeof entry === 'string' ? basename(path) : entry.name;
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`Expected \`name\` of ${path} to be a non-empty string`);
    const absolute = resolve(path);
    // A file that vanished or cannot be read is that entry's failure, reported by the upload itself.
    const info = await stat(absolute).catch(() => undefined);
    yield { path: absolute, relative: name, size: info?.size ?? 0 };
  }
}
