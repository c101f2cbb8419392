/**
 * An exclusive lock on a download's destination, so that two transfers to one file cannot interleave their
 * bytes, rename each other's partial file, or report success for bytes the other one wrote.
 *
 * The lock is a small JSON file, `<dest>.gcs-transfer.lock`, created with `O_EXCL` (which fails if the name
 * exists). It records the holder (host, pid, a token unique to this lock) and whether a partial file of ours
 * exists. A lock whose holder is gone — its process died on this host, or it released the lock but kept the
 * partial file for a resume — is stale and is taken over; the record of the partial file passes to the new
 * holder, which is how a later run knows that the partial file is ours to reuse or truncate. A lock held by a
 * live process (this one included) is refused with DestinationLockedError.
 *
 * The record is written into the new file with one small write, so another process can find it empty only in
 * the instant between the create and the write: an empty lock younger than a few seconds is taken as held
 * (being created); an older one was left by a crash at that instant and is stale. Taking over a stale lock
 * replaces it with `rename(2)` and then reads it back: of two processes that take over the same stale lock at
 * the same instant, the one whose record is not there fails as locked.
 *
 * Cost: a download to a new file pays six file-system calls for its lock (create and write, keeping the file
 * open; at release an `fstat` and an `lstat` to check that the name still holds our file, the unlink, the
 * close); the many-object engine pays them per object, so the common path neither rewrites the record nor goes
 * through a temporary file, and the calls are made inline while the file system is fast (local-fs.ts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { DestinationLockedError, LocalIOError, localIOError } from '../../errors.js';
import { isAlive } from '../resume/journal-file.js';
import { destinationFs, type DestinationFs } from './local-fs.js';
import { LOCK_SUFFIX, PARTIAL_SUFFIX } from './side-files.js';


/** How long an empty lock file counts as one being created by another process, not a crash's leftover. */
const CREATING_GRACE_MS = 10_000;

/** Read once: `os.HOST` is a system call each time, and locks are taken per object. */
const HOST = hostname();

/** Tokens of the locks this process holds: a lock naming this pid is live only while its token is here. */
const heldTokens = new Set<string>();

/** Unique tokens without a random draw per lock: a per-process random prefix and a counter. */
const tokenPrefix = randomBytes(6).toString('hex');
let tokenCounter = 0;
function nextToken(): string {
  tokenCounter++;
  return `${tokenPrefix}-${tokenCounter.toString(36)}`;
}

interface LockRecord {
  tool: 'gcs-transfer';
  host: string;
  pid: number;
  token: string;
  /** Whether the partial file beside the destination was created by gcs-transfer (this holder or an earlier one). */
  partial: boolean;
  /** Set when the holder let go but kept the partial file for a resume. */
  released?: boolean;
}

export interface AcquireOptions {
  /**
   * The caller is about to create the partial file beside the destination: when no file is at that name now,
   * the record says so from the start (it must say so before the file exists, or a crash could orphan it),
   * saving a rewrite of the record. @default false
   */
  partialIntent?: boolean;
}

export class DestinationLock {
  readonly #path: string;
  readonly #dest: string;
  #record: LockRecord;
  #held = true;
  /** Whether an earlier (dead or released) holder left a partial file of ours. */
  readonly inheritedPartial: boolean;

  readonly #fs: DestinationFs;
  /**
   * The lock file, open since we created it, while its record is the one we created: the name still holds
   * our lock exactly when it still names this file (an open file's inode cannot be reused). Undefined after
   * we rewrote the record (a new file) or for a lock taken over; the token is read back then.
   */
  #fd: number | undefined;

  private constructor(dest: string, record: LockRecord, inheritedPartial: boolean, fsx: DestinationFs, fd?: number) {
    this.#fs = fsx;
    this.#fd = fd;
    this.#dest = dest;
    this.#path = dest + LOCK_SUFFIX;
    this.#record = record;
    this.inheritedPartial = inheritedPartial;
    heldTokens.add(record.token);
  }

  /**
   * Takes the lock on `dest` (an absolute path).
   * @throws DestinationLockedError when another live transfer holds it; LocalIOError when the directory cannot
   *   be written or a file that is not our lock sits at the lock's name.
   */
  static async acquire(dest: string, options: AcquireOptions = {}): Promise<DestinationLock> {
    const path = dest + LOCK_SUFFIX;
    const fsx = await destinationFs(dirname(dest));
    // A file already at the partial name is someone else's unless an earlier holder's record says otherwise.
    const intendPartial = options.partialIntent === true && !(await exists(fsx, dest + PARTIAL_SUFFIX));
    for (let attempt = 0; attempt < 3; attempt++) {
      const record: LockRecord = { tool: 'gcs-transfer', host: HOST, pid: process.pid, token: nextToken(), partial: intendPartial };
      const created = await createExclusive(fsx, path, record);
      if (created !== undefined) return new DestinationLock(dest, record, false, fsx, created);
      const existing = await readRecord(fsx, path);
      if (existing === 'missing') continue;
      if (existing === 'foreign') {
        throw new LocalIOError(`Cannot lock ${dest}: ${path} exists and was not created by gcs-transfer (move it away)`, {
          path,
          syscall: 'open',
          errno: 'EEXIST',
        });
      }
      if (existing === 'creating') {
        throw new DestinationLockedError(`${dest} is being locked by another transfer right now`, { path: dest, holder: 'another process' });
      }
      if (existing !== 'abandoned' && !isStale(existing)) {
        const where = existing.host === HOST ? `process ${existing.pid}` : `process ${existing.pid} on ${existing.host}`;
        const remote = existing.host === HOST ? '' : `; if no transfer is running there, remove ${path}`;
        throw new DestinationLockedError(`${dest} is being written by another transfer (${where})${remote}`, {
          path: dest,
          holder: where,
        });
      }
      record.partial = existing === 'abandoned' ? intendPartial : existing.partial || intendPartial;
      await writeRecord(fsx, path, record);
      const check = await readRecord(fsx, path);
      if (typeof check === 'object' && check.token === record.token) {
        return new DestinationLock(dest, record, existing !== 'abandoned' && existing.partial, fsx);
      }
      if (typeof check === 'object' && !isStale(check)) {
        throw new DestinationLockedError(`${dest} is being written by another transfer (process ${check.pid})`, {
          path: dest,
          holder: `process ${check.pid}`,
        });
      }
    }
    throw new DestinationLockedError(`Could not lock ${dest}: its lock ${path} keeps changing`, { path: dest });
  }

  /** The destination this lock covers. */
  get dest(): string {
    return this.#dest;
  }

  /** Whether a partial file beside the destination is recorded as gcs-transfer's (so it may be removed). */
  get ownsPartial(): boolean {
    return this.#record.partial;
  }

  /** Whether this lock is still held. */
  get held(): boolean {
    return this.#held;
  }

  /** The file-system calls for the destination's directory (the partial file beside it uses them too). */
  get fs(): DestinationFs {
    return this.#fs;
  }

  /** Records that a partial file of ours exists (before it is created, so a crash cannot orphan it). */
  async notePartial(exists: boolean): Promise<void> {
    if (this.#record.partial === exists || !this.#held) return;
    this.#record = { ...this.#record, partial: exists };
    await this.#forgetFile();
    await writeRecord(this.#fs, this.#path, this.#record);
  }

  /** The record is about to be replaced by a new file: identify our lock by its token from now on. */
  async #forgetFile(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await this.#fs.close(fd).catch(() => undefined);
  }

  /** Whether the lock's name still holds our lock (the same open file, or a record with our token). */
  async #stillOurs(): Promise<boolean> {
    const fd = this.#fd;
    if (fd === undefined) return (await readToken(this.#fs, this.#path)) === this.#record.token;
    try {
      const mine = await this.#fs.fstat(fd);
      const there = await this.#fs.lstatIfAny(this.#path);
      return there !== undefined && there.ino === mine.ino && there.dev === mine.dev;
    } catch {
      return false;
    }
  }

  /**
   * Lets go. With `keepPartial`, the lock file stays, marked released, as the record that the partial file
   * beside the destination is ours; otherwise it is removed.
   */
  async release(options: { keepPartial?: boolean } = {}): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    heldTokens.delete(this.#record.token);
    try {
      // Someone replaced it (a user removed it and another transfer took the name): it is theirs now. A file's
      // identity alone would not tell (a removed file's inode number is reused at once), hence the open file
      // or the token.
      if (!(await this.#stillOurs())) return;
      if (options.keepPartial && this.#record.partial) {
        await writeRecord(this.#fs, this.#path, { ...this.#record, released: true }).catch(() => undefined);
      } else {
        await this.#fs.unlink(this.#path).catch(() => undefined);
      }
    } finally {
      await this.#forgetFile();
    }
  }
}

function isStale(record: LockRecord | 'abandoned'): boolean {
  if (record === 'abandoned') return true;
  if (record.released) return true;
  if (record.host !== HOST) return false;
  if (record.pid === process.pid) return !heldTokens.has(record.token);
  return !isAlive(record.pid);
}

async function exists(fsx: DestinationFs, path: string): Promise<boolean> {
  try {
    return (await fsx.lstatIfAny(path)) !== undefined;
  } catch (error) {
    throw localIOError(error, path, 'lstat', 'Cannot check');
  }
}

/**
 * Creates `path` holding `record` only if nothing is there, and resolves its descriptor, left open (see
 * `DestinationLock.#fd`); resolves undefined when something is there.
 */
async function createExclusive(fsx: DestinationFs, path: string, record: LockRecord): Promise<number | undefined> {
  let fd: number;
  try {
    fd = await fsx.openFile(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw localIOError(error, dirname(path), 'open', 'Cannot lock the destination: cannot write in the directory');
  }
  try {
    await writeWhole(fsx, fd, record);
    return fd;
  } catch (error) {
    await fsx.close(fd).catch(() => undefined);
    await fsx.unlink(path).catch(() => undefined);
    throw localIOError(error, path, 'write', 'Cannot lock the destination:');
  }
}

/** Replaces the record at `path` atomically (a temp file renamed over it). */
async function writeRecord(fsx: DestinationFs, path: string, record: LockRecord): Promise<void> {
  const temp = `${path}.${nextToken()}.tmp`;
  try {
    const fd = await fsx.openFile(temp, 'wx', 0o600);
    try {
      await writeWhole(fsx, fd, record);
    } finally {
      await fsx.close(fd);
    }
  } catch (error) {
    await fsx.unlink(temp).catch(() => undefined);
    throw localIOError(error, dirname(path), 'open', 'Cannot write in the destination directory');
  }
  try {
    await fsx.rename(temp, path);
  } catch (error) {
    await fsx.unlink(temp).catch(() => undefined);
    throw localIOError(error, path, 'rename', 'Cannot update the lock');
  }
}

/** One write of the whole record, so a reader sees all of it or, for an instant, an empty file. */
async function writeWhole(fsx: DestinationFs, fd: number, record: LockRecord): Promise<void> {
  const data = Buffer.from(`${JSON.stringify(record)}\n`);
  let done = 0;
  while (done < data.byteLength) done += await fsx.writevAt(fd, [data.subarray(done)], done);
}

/** Records are small: one read of this many bytes holds a whole one. */
const RECORD_READ_BYTES = 4096;

/** The token of the record at `path` (three calls: open, one read, close), or undefined. */
async function readToken(fsx: DestinationFs, path: string): Promise<string | undefined> {
  let fd: number | undefined;
  try {
    fd = await fsx.openFile(path, 'r');
    const buffer = Buffer.allocUnsafe(RECORD_READ_BYTES);
    const bytesRead = await fsx.readAt(fd, buffer, 0);
    const token = (JSON.parse(buffer.toString('utf8', 0, bytesRead)) as { token?: unknown }).token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) await fsx.close(fd).catch(() => undefined);
  }
}

/**
 * The record at `path`: `missing`; `creating` (empty and young: another process is between create and write);
 * `abandoned` (empty and old: a crash at that instant); `foreign` (not a lock of ours).
 */
async function readRecord(fsx: DestinationFs, path: string): Promise<LockRecord | 'missing' | 'foreign' | 'creating' | 'abandoned'> {
  let text: string;
  try {
    text = await fsx.readText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw localIOError(error, path, 'open', 'Cannot read the lock');
  }
  if (text === '') {
    const info = await fsx.lstatIfAny(path).catch(() => undefined);
    if (!info) return 'missing';
    return Date.now() - info.mtimeMs < CREATING_GRACE_MS ? 'creating' : 'abandoned';
  }
  try {
    const data = JSON.parse(text) as Partial<LockRecord>;
    if (data.tool !== 'gcs-transfer' || typeof data.pid !== 'number' || typeof data.token !== 'string' || typeof data.host !== 'string') {
      return 'foreign';
    }
    return { ...(data as LockRecord), partial: data.partial === true };
  } catch {
    return 'foreign';
  }
}
