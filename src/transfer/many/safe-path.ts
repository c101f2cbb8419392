/**
 * Where an object may be written under a download's destination directory. An object name is untrusted input:
 * `..` segments, a leading `/`, a NUL, a backslash-separated path or an empty segment could place a file outside
 * the directory or somewhere the user would not look, so such names are refused (that object fails, with a
 * clear error) rather than "cleaned" into some other name that might collide with a real one.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
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

/**
 * Creates the parent directories of `path` (inside `root`), and checks that no symbolic link on the way leads
 * out of `root` and that the name is not already taken by a directory. A name that is both a file and a prefix
 * (`a/b` and `a/b/c`) fails here for whichever object comes second, naming the conflict.
 */
export async function prepareParent(root: string, realRoot: string, path: string, objectName: string): Promise<void> {
  const parent = dirname(path);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new InvalidStateError(
        `Cannot write object ${JSON.stringify(objectName)}: ${relative(root, parent) || '.'} is a file in the destination, but this object needs it to be a directory (an object is named both as a file and as a prefix)`,
      );
    }
    throw error;
  }
  const realParent = await realpath(parent);
  const inside = relative(realRoot, realParent);
  if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw new InvalidArgumentError(`Refusing to write object ${JSON.stringify(objectName)}: a symbolic link under ${root} leads outside it`);
  }
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new InvalidStateError(
      `Cannot write object ${JSON.stringify(objectName)}: ${relative(root, path)} is a directory in the destination (another object uses this name as a prefix)`,
    );
  }
  if (existing?.isSymbolicLink()) {
    throw new InvalidArgumentError(`Refusing to write object ${JSON.stringify(objectName)}: ${relative(root, path)} is a symbolic link`);
  }
}
