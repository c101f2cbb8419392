/**
 * The destination file of a download. Bytes land at their offsets in `<dest>.gcs-transfer.partial`, created
 * with mode 0600 because it holds someone's data before the user has seen it; only a verified download is
 * synced, given its final mode and renamed onto `dest`, so `dest` is never a half-written file. A failed or
 * aborted download removes the partial file, unless the caller keeps it to resume later.
 *
 * Safety around the user's files:
 * - the destination is locked for the whole download (see destination-lock.ts): a second transfer to the same
 *   file fails with DestinationLockedError instead of mixing bytes;
 * - temporary names carry the tool's name, and a file at the partial name is reused, truncated or removed only
 *   when the lock's record says gcs-transfer created it; anything else is refused, never overwritten;
 * - the final file gets the mode a new file gets from the umask (as `cp` and `curl -o` do), or keeps the mode
 *   of the file it replaces; a destination that is a symbolic link has its target written, as `cp` does.
 *
 * Its file-system calls (and the lock's) go through local-fs.ts: inline on a local disk, where a thread-pool hop
 * per call costs more than the call, and through the thread pool elsewhere.
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, readlink, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidStateError, LocalIOError, localIOError } from '../../errors.js';
import { DestinationLock } from './destination-lock.js';
import { syncDirectory } from './directory-sync.js';
import { destinationFs, type DestinationFs } from './local-fs.js';
import { DECODED_SUFFIX, PARTIAL_SUFFIX } from './side-files.js';

/** Owner read/write only: the partial file may hold private data and a journal may sit beside it. */
const PARTIAL_MODE = 0o600;

/** Symbolic links followed before a destination is declared a loop (the kernel's own limit is 40). */
const MAX_SYMLINKS = 40;

export interface FileSinkOptions {
  /** Reuse the partial file as it is (a resumed download); it must exist. @default false */
  resume?: boolean;
  /**
   * A lock on `dest` the caller already holds (it prepared the destination, e.g. read a resume journal); it
   * stays held after commit or discard. @default the sink takes its own lock and releases it when done
   */
  lock?: DestinationLock;
  /**
   * The mode the finished file gets, when the caller already looked at the destination (see
   * {@link inspectDestination}); saves a `stat` per file. @default looked up at commit: the replaced file's
   * mode, else the umask's
   */
  finalMode?: number;
}

export class FileSink {
  readonly #dest: string;
  readonly #partialPath: string;
  readonly #lock: DestinationLock;
  readonly #ownsLock: boolean;
  readonly #finalMode: number | undefined;
  /** The partial file's descriptor until commit or discard (its file-system calls: local-fs.ts). */
  #fd: number | undefined;
  readonly #fs: DestinationFs;

  private constructor(dest: string, fd: number, lock: DestinationLock, ownsLock: boolean, mode: number | undefined, fsx: DestinationFs) {
    this.#fs = fsx;
    this.#dest = dest;
    this.#finalMode = mode;
    this.#partialPath = dest + PARTIAL_SUFFIX;
    this.#fd = fd;
    this.#lock = lock;
    this.#ownsLock = ownsLock;
  }

  /**
   * Locks `dest` and opens its partial file: created empty for a new download (a leftover partial file of an
   * earlier gcs-transfer run is truncated), or opened as it is for a resumed one (which requires it to exist).
   * `dest` should already be resolved (see {@link resolveDestination}).
   * @throws DestinationLockedError when another transfer writes `dest`; LocalIOError when the partial file
   *   cannot be created, or a file that gcs-transfer did not create is in its way.
   */
  static async open(dest: string, options: FileSinkOptions = {}): Promise<FileSink> {
    const lock = options.lock ?? (await DestinationLock.acquire(dest, { partialIntent: !options.resume }));
    const ownsLock = options.lock === undefined;
    const partial = dest + PARTIAL_SUFFIX;
    try {
      if (!lock.held || lock.dest !== dest) throw new InvalidStateError(`The lock given for ${dest} is not held on it`);
      await lock.notePartial(true);
      const fd = options.resume ? await openExisting(lock.fs, partial) : await createPartial(lock.fs, partial, lock);
      return new FileSink(dest, fd, lock, ownsLock, options.finalMode, lock.fs);
    } catch (error) {
      if (ownsLock) await lock.release({ keepPartial: true }).catch(() => undefined);
      throw error;
    }
  }

  /** The path bytes are written to until {@link commit}. */
  get partialPath(): string {
    return this.#partialPath;
  }

  /**
   * Writes `chunks` (`length` bytes in all) at byte `position` with vectored writes: the network's pieces go to
   * disk as they are, without being copied into one buffer first.
   */
  writev(chunks: readonly Buffer[], position: number, length: number): Promise<void> {
    const fd = this.#requireOpen();
    return writevFully((pending, at) => this.#fs.writevAt(fd, pending, at), chunks, position, length, this.#partialPath);
  }

  /**
   * The partial file's descriptor, for worker threads that write ranges into it (descriptors belong to the
   * process). Valid until {@link commit} or {@link discard}, which callers make only after every writer ended.
   */
  get fd(): number {
    return this.#requireOpen();
  }

  /** Current size of the partial file. */
  async size(): Promise<number> {
    return (await this.#fs.fstat(this.#requireOpen())).size;
  }

  /** Sets the partial file's length (allocates the object's size up front; trims a longer leftover). */
  async truncate(size: number): Promise<void> {
    await this.#fs.ftruncate(this.#requireOpen(), size).catch((error: unknown) => {
      throw localIOError(error, this.#partialPath, 'ftruncate');
    });
  }

  /**
   * Flushes the data to disk, gives the file its final mode (the replaced file's, else the umask's), renames
   * it onto `dest`, and syncs the directory entry.
   */
  async commit(): Promise<void> {
    const fd = this.#requireOpen();
    try {
      await this.#fs.fchmod(fd, this.#finalMode ?? (await finalMode(this.#dest)));
      await this.#fs.fsync(fd);
    } catch (error) {
      throw localIOError(error, this.#partialPath, 'fsync');
    }
    this.#fd = undefined;
    try {
      await this.#fs.close(fd);
    } catch (error) {
      // A failed close can mean the data never reached the disk (a network file system reports it here).
      throw localIOError(error, this.#partialPath, 'close');
    }
    try {
      await this.#fs.rename(this.#partialPath, this.#dest);
    } catch (error) {
      throw localIOError(error, this.#dest, 'rename', 'Cannot move the verified download onto');
    }
    await this.#settled();
  }

  /**
   * After the partial file is gone: the rename made durable, and the lock let go (which removes its record,
   * so the record need not first be rewritten to say there is no partial file) or, when it is the caller's,
   * told that the partial file is gone.
   */
  async #settled(): Promise<void> {
    await syncDirectory(dirname(this.#dest));
    if (this.#ownsLock) await this.#lock.release();
    else await this.#lock.notePartial(false).catch(() => undefined);
  }

  /**
   * Like {@link commit}, but what lands on `dest` is the partial file's bytes run through `decode` (a gzip
   * decompressor): written to `<dest>.gcs-transfer.decoded` (private, under the same lock), synced, given the
   * final mode and renamed onto `dest`; then the partial file is removed. A decoding failure leaves `dest`
   * untouched and the partial file in place for the caller to keep or discard. Resolves the decoded size.
   */
  async commitDecoded(decode: () => Transform): Promise<number> {
    const fd = this.#requireOpen();
    const decodedPath = this.#dest + DECODED_SUFFIX;
    let output: FileHandle;
    try {
      await this.#fs.fsync(fd);
      // Our own name, under our lock: a leftover of a killed run of ours may be replaced.
      output = await open(decodedPath, 'w', PARTIAL_MODE);
    } catch (error) {
      throw localIOError(error, decodedPath, 'open', 'Cannot create');
    }
    let bytes = 0;
    try {
      // The partial file's own handle may be write-only (a new download opens it with 'w').
      const input = createReadStream(this.#partialPath);
      await pipeline(input, decode(), async (decoded: AsyncIterable<Buffer>) => {
        for await (const chunk of decoded) {
          let offset = 0;
          while (offset < chunk.byteLength) offset += (await output.write(chunk, offset, chunk.byteLength - offset, bytes + offset)).bytesWritten;
          bytes += chunk.byteLength;
        }
      });
      await output.chmod(this.#finalMode ?? (await finalMode(this.#dest)));
      await output.sync();
    } catch (error) {
      await output.close().catch(() => undefined);
      await this.#fs.unlink(decodedPath).catch(() => undefined);
      throw localIOError(error, decodedPath, 'write');
    }
    await output.close();
    try {
      await this.#fs.rename(decodedPath, this.#dest);
    } catch (error) {
      await this.#fs.unlink(decodedPath).catch(() => undefined);
      throw localIOError(error, this.#dest, 'rename', 'Cannot move the verified download onto');
    }
    this.#fd = undefined;
    await this.#fs.close(fd).catch(() => undefined);
    await this.#fs.unlink(this.#partialPath).catch(() => undefined);
    await this.#settled();
    return bytes;
  }

  /** Closes the file and deletes it (`keep: true` closes only, leaving it for a later resume). */
  async discard(options: { keep?: boolean } = {}): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await this.#fs.close(fd).catch(() => undefined);
    try {
      if (!options.keep) {
        await this.#fs.unlink(this.#partialPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw localIOError(error, this.#partialPath, 'unlink');
        });
        await this.#lock.notePartial(false);
      }
    } finally {
      if (this.#ownsLock) await this.#lock.release({ keepPartial: options.keep === true });
    }
  }

  #requireOpen(): number {
    if (this.#fd === undefined) throw new InvalidStateError(`${this.#partialPath} is already closed`);
    return this.#fd;
  }
}

/**
 * The file a download to `path` must write: `path` made absolute, with symbolic links followed to the file
 * they name (a dangling link names the file to create), as `cp` writes through a link.
 * @throws LocalIOError for a link loop or an unreadable link.
 */
export async function resolveDestination(path: string): Promise<string> {
  return (await inspectDestination(path)).path;
}

/**
 * {@link resolveDestination}, and the mode the finished download should get (the file it replaces keeps its
 * mode, a new file gets the umask's), from the same `lstat`.
 */
export async function inspectDestination(path: string): Promise<{ path: string; finalMode: number }> {
  let current = resolve(path);
  for (let hops = 0; hops <= MAX_SYMLINKS; hops++) {
    const info = await (await destinationFs(dirname(current))).lstatIfAny(current).catch(() => undefined);
    if (!info?.isSymbolicLink()) return { path: current, finalMode: modeReplacing(info) };
    const target = await readlink(current).catch((error: unknown) => {
      throw localIOError(error, current, 'readlink');
    });
    current = resolve(dirname(current), target);
  }
  throw new LocalIOError(`Cannot write ${path}: too many levels of symbolic links`, { path, syscall: 'readlink', errno: 'ELOOP' });
}

/** Opens a resumed download's partial file. */
async function openExisting(fsx: DestinationFs, partial: string): Promise<number> {
  try {
    return await fsx.openFile(partial, 'r+');
  } catch (error) {
    throw localIOError(error, partial, 'open', 'Cannot resume into');
  }
}

/**
 * Creates the partial file exclusively. A file already at its name is truncated only when the lock's record
 * says an earlier gcs-transfer run created it; otherwise it is the user's, and the download is refused.
 */
async function createPartial(fsx: DestinationFs, partial: string, lock: DestinationLock): Promise<number> {
  try {
    return await fsx.openFile(partial, 'wx', PARTIAL_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw localIOError(error, partial, 'open', 'Cannot create');
  }
  if (!lock.inheritedPartial) {
    // Not ours: the lock must not claim it either, or a later run would truncate it.
    await lock.notePartial(false);
    throw new LocalIOError(
      `Cannot download to ${lock.dest}: ${partial} exists and was not created by gcs-transfer (move it away or choose another destination)`,
      { path: partial, syscall: 'open', errno: 'EEXIST' },
    );
  }
  try {
    const fd = await fsx.openFile(partial, 'w', PARTIAL_MODE);
    // A leftover keeps the mode it was created with; make sure it is private again.
    await fsx.fchmod(fd, PARTIAL_MODE).catch(async (error: unknown) => {
      await fsx.close(fd).catch(() => undefined);
      throw error;
    });
    return fd;
  } catch (error) {
    throw localIOError(error, partial, 'open', 'Cannot create');
  }
}

/**
 * The mode the finished file gets: that of the file it replaces (an overwrite keeps its permissions), else
 * the umask's default for a new file, `0666 & ~umask`, as `cp` and `curl -o` create files.
 */
async function finalMode(dest: string): Promise<number> {
  return modeReplacing(await stat(dest).catch(() => undefined));
}

function modeReplacing(existing: Stats | undefined): number {
  if (existing?.isFile()) return existing.mode & 0o7777;
  return 0o666 & ~currentUmask();
}

/**
 * `process.umask()` without an argument is only documentation-deprecated (reading it sets it and back, which
 * could race another thread changing it); nothing else reads the umask without creating a file.
 */
function currentUmask(): number {
  return process.umask();
}

/**
 * Writes all of `chunks` (`length` bytes) at `position` through `writeAt` (one vectored positional write,
 * resolving with the bytes it wrote), looping over short writes. Failures are LocalIOErrors naming `path`.
 * Shared by the main thread's file sink and the workers, which write through the same descriptor.
 */
export async function writevFully(
  writeAt: (chunks: readonly Buffer[], position: number) => Promise<number>,
  chunks: readonly Buffer[],
  position: number,
  length: number,
  path: string,
): Promise<void> {
  let pending = chunks;
  let done = 0;
  try {
    while (done < length) {
      const written = await writeAt(pending, position + done);
      done += written;
      if (done < length) pending = dropFront(pending, written);
    }
  } catch (error) {
    throw localIOError(error, path, 'write');
  }
}

/** `chunks` without their first `count` bytes (after a short write). */
function dropFront(chunks: readonly Buffer[], count: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = count;
  for (const chunk of chunks) {
    if (skip >= chunk.byteLength) {
      skip -= chunk.byteLength;
      continue;
    }
    out.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return out;
}
