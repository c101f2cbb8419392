/**
 * The destination file of a download. Bytes land at their offsets in `<dest>.partial` (created with mode 0600,
 * because it holds someone's data before the user has seen it); only a verified download is synced and renamed
 * onto `dest`, so `dest` is never a half-written file. A failed or aborted download removes the partial file,
 * unless the caller keeps it to resume later.
 */
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidStateError } from '../errors.js';

/** Suffix of the file a download writes into before it is verified. */
export const PARTIAL_SUFFIX = '.partial';

/** Owner read/write only: the partial file may hold private data and a journal may sit beside it. */
const PARTIAL_MODE = 0o600;

export class FileSink {
  readonly #dest: string;
  readonly #partialPath: string;
  #handle: FileHandle | undefined;

  private constructor(dest: string, handle: FileHandle) {
    this.#dest = dest;
    this.#partialPath = dest + PARTIAL_SUFFIX;
    this.#handle = handle;
  }

  /**
   * Opens `<dest>.partial`: truncated to empty for a new download, or as it is for a resumed one (which then
   * requires it to exist).
   */
  static async open(dest: string, options: { resume?: boolean } = {}): Promise<FileSink> {
    const handle = await open(dest + PARTIAL_SUFFIX, options.resume ? 'r+' : 'w', PARTIAL_MODE);
    return new FileSink(dest, handle);
  }

  /** The path bytes are written to until {@link commit}. */
  get partialPath(): string {
    return this.#partialPath;
  }

  /** Writes all of `data` at byte `position` (looping over short writes). */
  async write(data: Uint8Array, position: number): Promise<void> {
    const handle = this.#requireOpen();
    let offset = 0;
    while (offset < data.byteLength) {
      const { bytesWritten } = await handle.write(data, offset, data.byteLength - offset, position + offset);
      offset += bytesWritten;
    }
  }

  /**
   * Writes `chunks` (`length` bytes in all) at byte `position` with vectored writes: the network's pieces go to
   * disk as they are, without being copied into one buffer first.
   */
  async writev(chunks: readonly Buffer[], position: number, length: number): Promise<void> {
    const handle = this.#requireOpen();
    let pending: readonly Buffer[] = chunks;
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await handle.writev(pending as Buffer[], position + done);
      done += bytesWritten;
      if (done < length) pending = dropFront(pending, bytesWritten);
    }
  }

  /**
   * The partial file's descriptor, for worker threads that write ranges into it (descriptors belong to the
   * process). Valid until {@link commit} or {@link discard}, which callers make only after every writer ended.
   */
  get fd(): number {
    return this.#requireOpen().fd;
  }

  /** Current size of the partial file. */
  async size(): Promise<number> {
    return (await this.#requireOpen().stat()).size;
  }

  /** Sets the partial file's length (allocates the object's size up front; trims a longer leftover). */
  async truncate(size: number): Promise<void> {
    await this.#requireOpen().truncate(size);
  }

  /** Flushes the data to disk, renames the partial file onto `dest`, and syncs the directory entry. */
  async commit(): Promise<void> {
    const handle = this.#requireOpen();
    await handle.sync();
    await handle.close();
    this.#handle = undefined;
    await rename(this.#partialPath, this.#dest);
    await syncDirectory(dirname(this.#dest));
  }

  /** Closes the file and deletes it (`keep: true` closes only, leaving it for a later resume). */
  async discard(options: { keep?: boolean } = {}): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
    if (options.keep) return;
    await unlink(this.#partialPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  #requireOpen(): FileHandle {
    if (!this.#handle) throw new InvalidStateError(`${this.#partialPath} is already closed`);
    return this.#handle;
  }
}

/**
 * Makes a rename in `path` durable (fsync of the directory). Some platforms and file systems cannot open or
 * sync a directory; that is not an error: the rename is still atomic, only less durable across power loss.
 */
export async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch {
    // Best effort (see above): the data itself was synced before the rename.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** `chunks` without their first `count` bytes (after a short write). */
export function dropFront(chunks: readonly Buffer[], count: number): Buffer[] {
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
