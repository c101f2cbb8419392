/**
 * The file-system calls of a download's destination (its lock, its partial file, the rename), made on the
 * calling thread while the file system answers quickly, and through libuv's thread pool when it does not.
 *
 * Why: a file costs about a dozen metadata calls whatever its size, and through the thread pool each one is a
 * hop to another thread and back (a wake-up, a context switch, a completion message and a promise), which on
 * a local disk costs more CPU than the call itself: our destination protocol measured 0.44 → 0.23 ms of CPU per
 * file with its calls made inline (300 files, 64 at once, alternated in one process), and for a job of small
 * objects that protocol is most of the per-object cost (see bench/small-objects.ts). A local call returns in
 * microseconds, less than the hop would have held the event loop anyway. Creating a file is the exception (see
 * `openFile` below): it stays in the thread pool, which keeps the event loop as free as with every call there
 * (what limits a job of many small objects) at the CPU cost of inline calls (README, "Where the time goes").
 *
 * A network or FUSE file system can take milliseconds per call, and a call made inline holds every transfer
 * of the process for that long. So inline calls are timed: when their moving average passes
 * {@link SLOW_AVERAGE_MS}, or one call takes longer than {@link STALLED_CALL_MS}, every call goes to the thread
 * pool for the next {@link THREAD_POOL_MS}, then inline calls are tried again. An average, not one call: on a
 * busy machine a fast call is sometimes descheduled for a few milliseconds, which says nothing about the file
 * system. `fsync` always goes to the thread pool: it waits for the disk by design.
 *
 * Only file systems known to be local (by their type, from `statfs`, on Linux) get inline calls: a network
 * mount can hang a call outright, and a hung call on the event loop would stop the whole process, abort and
 * Ctrl-C included. Elsewhere, and on other platforms, every call goes to the thread pool.
 *
 * Errors are Node's own system errors (`code`, `syscall`, `path`) either way, so callers handle both alike.
 */
import * as fs from 'node:fs';
import type { Stats } from 'node:fs';
import { promisify } from 'node:util';

/** Inline calls averaging more than this mean the file system is not a fast local one. */
export const SLOW_AVERAGE_MS = 1;

/** One inline call longer than this is enough to stop making them (a stalled mount). */
export const STALLED_CALL_MS = 100;

/**
 * Weight of the newest call in the moving average: about the last fifty calls count, so one call descheduled
 * for a few tens of milliseconds on a busy machine does not move it past the limit.
 */
const AVERAGE_WEIGHT = 0.02;

/** How long calls go through the thread pool after a slow one, before inline calls are tried again. */
export const THREAD_POOL_MS = 30_000;

/** Until when (performance.now()) calls go through the thread pool. */
let threadPoolUntil = 0;

/** Moving average of inline calls' durations, in milliseconds. */
let averageMs = 0;

/** Whether calls are made inline now (false for a while after a slow one). */
export function callsInline(): boolean {
  return performance.now() >= threadPoolUntil;
}

/** For tests: make the next calls inline again (`false`), or send them to the thread pool (`true`). */
export function useThreadPool(on: boolean): void {
  threadPoolUntil = on ? Number.POSITIVE_INFINITY : 0;
  averageMs = 0;
}

function run<T>(inline: () => T, pooled: () => Promise<T>): Promise<T> {
  if (!callsInline()) return pooled();
  const started = performance.now();
  try {
    return Promise.resolve(inline());
  } catch (error) {
    return Promise.reject(error as Error);
  } finally {
    const ended = performance.now();
    const took = ended - started;
    averageMs += (took - averageMs) * AVERAGE_WEIGHT;
    if (averageMs > SLOW_AVERAGE_MS || took > STALLED_CALL_MS) {
      threadPoolUntil = ended + THREAD_POOL_MS;
      averageMs = 0;
    }
  }
}

/** The calls a destination makes; one set per directory, from {@link destinationFs}. */
export interface DestinationFs {
  /** `lstat`, or undefined when nothing is at `path` (inline, no error object is built for that case). */
  lstatIfAny(path: string): Promise<Stats | undefined>;
  /** Opens `path` with `flags` (`'wx'`, `'w'`, `'r'`, `'r+'`) and `mode` for a new file; resolves the descriptor. */
  openFile(path: string, flags: string, mode?: number): Promise<number>;
  /** Writes `buffers` at `position`; resolves the bytes written (possibly fewer: the caller loops). */
  writevAt(fd: number, buffers: readonly Buffer[], position: number): Promise<number>;
  /** Reads up to `buffer.byteLength` bytes at `position`; resolves the bytes read. */
  readAt(fd: number, buffer: Buffer, position: number): Promise<number>;
  readText(path: string): Promise<string>;
  fchmod(fd: number, mode: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fstat(fd: number): Promise<Stats>;
  /** Always through the thread pool: it waits for the disk. */
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

const lstatAsync = promisify(fs.lstat);

/** Every call through libuv's thread pool. */
export const pooledFs: DestinationFs = {
  lstatIfAny: (path) =>
    lstatAsync(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    }),
  openFile: (path, flags, mode) => new Promise((resolve, reject) => fs.open(path, flags, mode, (error, fd) => (error ? reject(error) : resolve(fd)))),
  writevAt: (fd, buffers, position) =>
    new Promise((resolve, reject) => fs.writev(fd, buffers as Buffer[], position, (error, written) => (error ? reject(error) : resolve(written)))),
  readAt: (fd, buffer, position) =>
    new Promise((resolve, reject) => fs.read(fd, buffer, 0, buffer.byteLength, position, (error, read) => (error ? reject(error) : resolve(read)))),
  readText: (path) => fs.promises.readFile(path, 'utf8'),
  fchmod: promisify(fs.fchmod),
  ftruncate: promisify(fs.ftruncate),
  fstat: promisify(fs.fstat),
  fsync: promisify(fs.fsync),
  close: promisify(fs.close),
  rename: promisify(fs.rename),
  unlink: promisify(fs.unlink),
};

/** Inline calls, each falling back to the thread pool while calls are slow (see {@link callsInline}). */
export const inlineFs: DestinationFs = {
  lstatIfAny: (path) => run(() => fs.lstatSync(path, { throwIfNoEntry: false }), () => pooledFs.lstatIfAny(path)),
  // Creating a file (inode allocation, a journal entry) takes tens to hundreds of microseconds on ext4: inline it
  // would hold the event loop longer than the hop costs, so only opens of existing files are made inline.
  openFile: (path, flags, mode) =>
    flags === 'r' || flags === 'r+' ? run(() => fs.openSync(path, flags, mode), () => pooledFs.openFile(path, flags, mode)) : pooledFs.openFile(path, flags, mode),
  writevAt: (fd, buffers, position) => run(() => fs.writevSync(fd, buffers as Buffer[], position), () => pooledFs.writevAt(fd, buffers, position)),
  readAt: (fd, buffer, position) => run(() => fs.readSync(fd, buffer, 0, buffer.byteLength, position), () => pooledFs.readAt(fd, buffer, position)),
  readText: (path) => run(() => fs.readFileSync(path, 'utf8'), () => pooledFs.readText(path)),
  fchmod: (fd, mode) => run(() => fs.fchmodSync(fd, mode), () => pooledFs.fchmod(fd, mode)),
  ftruncate: (fd, length) => run(() => fs.ftruncateSync(fd, length), () => pooledFs.ftruncate(fd, length)),
  fstat: (fd) => run(() => fs.fstatSync(fd), () => pooledFs.fstat(fd)),
  fsync: (fd) => pooledFs.fsync(fd),
  close: (fd) => run(() => fs.closeSync(fd), () => pooledFs.close(fd)),
  rename: (from, to) => run(() => fs.renameSync(from, to), () => pooledFs.rename(from, to)),
  unlink: (path) => run(() => fs.unlinkSync(path), () => pooledFs.unlink(path)),
};

/**
 * Linux `statfs` types of file systems backed by a local disk or by memory (ext2/3/4, XFS, Btrfs, tmpfs,
 * overlayfs, ZFS, F2FS, bcachefs, ramfs): the ones whose calls are made inline.
 */
const LOCAL_FILE_SYSTEM_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010, 0xca451a4e, 0x858458f6]);

/** Directories whose file system was looked at (bounded: the oldest is forgotten first). */
const directoryIsLocal = new Map<string, boolean>();
const REMEMBERED_DIRECTORIES = 256;

/**
 * The calls for files in `directory`: inline on a local file system (Linux), else through the thread pool.
 * One `statfs` per directory, remembered; a directory that cannot be looked at (yet) gets the thread pool this
 * time and is looked at again next time (the calls that follow report whatever is wrong with it).
 */
export async function destinationFs(directory: string): Promise<DestinationFs> {
  if (process.platform !== 'linux') return pooledFs;
  let local = directoryIsLocal.get(directory);
  if (local === undefined) {
    const info = await fs.promises.statfs(directory).catch(() => undefined);
    if (info === undefined) return pooledFs;
    local = LOCAL_FILE_SYSTEM_TYPES.has(Number(info.type));
    if (directoryIsLocal.size >= REMEMBERED_DIRECTORIES) directoryIsLocal.delete(directoryIsLocal.keys().next().value as string);
    directoryIsLocal.set(directory, local);
  }
  return local ? inlineFs : pooledFs;
}
