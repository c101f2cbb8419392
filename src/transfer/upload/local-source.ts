/**
 * The local file an upload reads, checked before anything is started on the server: it must exist, be a
 * regular file and be readable (opened once here). A multipart upload started for a file the workers then
 * cannot read would only be initiated to be cancelled again.
 */
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { LocalIOError, localIOError } from '../../errors.js';

/**
 * Opens `path` for reading and returns its stats.
 * @throws LocalIOError (`ENOENT`, `EACCES`, `EISDIR`, ...) naming the path and the system call.
 */
export async function inspectSourceFile(path: string): Promise<Stats> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw localIOError(error, path, 'open', 'Cannot read the source file');
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new LocalIOError(`Cannot upload ${path}: it is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}`, {
        path,
        syscall: 'fstat',
        errno: stats.isDirectory() ? 'EISDIR' : 'EINVAL',
      });
    }
    return stats;
  } catch (error) {
    throw localIOError(error, path, 'fstat', 'Cannot read the source file');
  } finally {
    await handle.close().catch(() => undefined);
  }
}
