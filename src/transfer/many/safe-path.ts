/**
 * Where an object may be written under a download's destination directory. An object name is untrusted input:
 * `..` segments, a leading `/`, a NUL, a backslash-separated path or an empty segment could place a file outside
 * the directory or somewhere the user would not look, so such names are refused (that object fails, with a
 * clear error) rather than "cleaned" into some other name that might collide with a real one.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError, InvalidStateError } from '../../errors.js';

/**
 * The absolute path for the object-relative name `relativeName` under `root`.
 * @throws InvalidArgumentError for a name that is absolute, has `.`/`..`/empty segments, NUL, backslashes or
 *   control characters, or that would resolve outside `root`.
 */
export function safeLocalPath(root: string, relativeName: string): string {
  const describe = JSON.stringify(relativeName);
  const refuse = (why: string): never => {
    throw new InvalidArgumentError(`Refusing to write object name ${describe} under ${root}: ${why}`);
  };
  if (relativeName === '') refuse('the name is empty');
  if (relativeName.includes('\0')) refuse('it contains a NUL character');
  if (/[\x01-\x1f\x7f]/.test(relativeName)) refuse('it contains control characters');
  if (relativeName.startsWith('/')) refuse('it starts with "/" (an absolute path)');
  if (relativeName.includes('\\')) refuse('it contains a backslash (a path separator on Windows)');
  if (/^[A-Za-z]:/.test(relativeName)) refuse('it starts with a drive letter');
  for (const segment of relativeName.split('/')) {
    if (segment === '..') refuse('it has a ".." segment (it would leave the destination directory)');
    if (segment === '.') refuse('it has a "." segment');
    if (segment === '') refuse('it has an empty segment ("//" or a trailing "/")');
  }
  const path = resolve(root, ...relativeName.split('/'));
  const inside = relative(root, path);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) refuse('it resolves outside the destination');
  return path;
}

/** Directories a job has created and checked, remembered (a bounded number) so siblings skip the system calls. */
const REMEMBERED_DIRECTORIES = 1024;

/**
 * Where a download job writes: the destination root, and the directories under it already known to be safe.
 * The memory is bounded: the least recently added directory is forgotten first.
 */
export class DestinationTree {
  readonly root: string;
  readonly #realRoot: string;
  readonly #ready = new Set<string>();
  /** Directories being prepared now (at most one entry per object in flight). */
  readonly #preparing = new Map<string, Promise<void>>();

  private constructor(root: string, realRoot: string) {
    this.root = root;
    this.#realRoot = realRoot;
  }

  static async open(root: string): Promise<DestinationTree> {
    await mkdir(root, { recursive: true });
    return new DestinationTree(root, await realpath(root));
  }

  /**
   * Creates the parent directories of `path` and checks that no symbolic link on the way leads out of the
   * root. A name that is both a file and a prefix (`a/b` and `a/b/c`) fails here for `a/b/c` when `a/b` came
   * first (see {@link conflictError} for the other order).
   */
  async prepareParent(path: string, objectName: string): Promise<void> {
    const parent = dirname(path);
    if (this.#ready.has(parent)) return;
    // The objects of one directory arrive together: the first prepares it, the others wait for that instead
    // of each making the same mkdir and realpath calls.
    const shared = this.#preparing.get(parent);
    if (shared) {
      // A failure is reported in each object's own words: retry alone rather than pass on another's error.
      await shared.catch(() => this.#prepare(parent, objectName));
      return;
    }
    const pending = this.#prepare(parent, objectName).finally(() => this.#preparing.delete(parent));
    this.#preparing.set(parent, pending);
    await pending;
  }

  async #prepare(parent: string, objectName: string): Promise<void> {
    try {
      await mkdir(parent, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw new InvalidStateError(
          `Cannot write object ${JSON.stringify(objectName)}: a file in the destination is in the way of ${relative(this.root, parent) || '.'}, which this object needs as a directory (an object is named both as a file and as a prefix)`,
          { cause: error },
        );
      }
      throw error;
    }
    const inside = relative(this.#realRoot, await realpath(parent));
    if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      throw new InvalidArgumentError(`Refusing to write object ${JSON.stringify(objectName)}: a symbolic link under ${this.root} leads outside it`);
    }
    if (this.#ready.size >= REMEMBERED_DIRECTORIES) this.#ready.delete(this.#ready.values().next().value as string);
    this.#ready.add(parent);
  }

  /** The clear error for a download that could not be renamed onto `path` because a directory is there. */
  conflictError(path: string, objectName: string, error: unknown): Error | undefined {
    // The file sink may wrap the system error: look down the cause chain for its code.
    let code: unknown;
    for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
      const candidate = (e as { systemCode?: unknown; code?: unknown }).systemCode ?? (e as { code?: unknown }).code;
      if (typeof candidate === 'string' && /^E[A-Z]+$/.test(candidate)) {
        code = candidate;
        break;
      }
    }
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') return undefined;
    return new InvalidStateError(
      `Cannot write object ${JSON.stringify(objectName)}: ${relative(this.root, path)} is a directory in the destination (another object uses this name as a prefix)`,
      { cause: error },
    );
  }
}
