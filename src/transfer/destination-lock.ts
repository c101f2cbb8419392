/**
 * An exclusive lock on a download's destination, so that two transfers to one file cannot interleave their
 * bytes, rename each other's partial file, or report success for bytes the other one wrote.
 *
 * The lock is a small JSON file, `<dest>.gcs-transfer.lock`, created atomically with `link(2)` (which fails if
 * the name exists, and never exposes a half-written file). It records the holder (host, pid, a random token)
 * and whether a partial file of ours exists. A lock whose holder is gone — its process died on this host, or it
 * released the lock but kept the partial file for a resume — is stale and is taken over; the record of the
 * partial file passes to the new holder, which is how a later run knows that the partial file is ours to reuse
 * or truncate. A lock held by a live process (this one included) is refused with DestinationLockedError.
 *
 * Taking over a stale lock replaces it with `rename(2)` and then reads it back: of two processes that take
 * over the same stale lock at the same instant, the one whose record is not there fails as locked.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { DestinationLockedError, LocalIOError, localIOError } from '../errors.js';
import { isAlive } from './journal-file.js';

/** Suffix of the lock file beside a destination. */
export const LOCK_SUFFIX = '.gcs-transfer.lock';

/** Tokens of the locks this process holds: a lock naming this pid is live only while its token is here. */
const heldTokens = new Set<string>();

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

export class DestinationLock {
  readonly #path: string;
  readonly #dest: string;
  #record: LockRecord;
  #held = true;
  /** Whether an earlier (dead or released) holder left a partial file of ours. */
  readonly inheritedPartial: boolean;

  private constructor(dest: string, record: LockRecord, inheritedPartial: boolean) {
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
  static async acquire(dest: string): Promise<DestinationLock> {
    const path = dest + LOCK_SUFFIX;
    for (let attempt = 0; attempt < 3; attempt++) {
      const record: LockRecord = { tool: 'gcs-transfer', host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex'), partial: false };
      if (await createExclusive(path, record)) return new DestinationLock(dest, record, false);
      const existing = await readRecord(path);
      if (existing === 'missing') continue;
      if (existing === 'foreign') {
        throw new LocalIOError(`Cannot lock ${dest}: ${path} exists and was not created by gcs-transfer (move it away)`, {
          path,
          syscall: 'open',
          errno: 'EEXIST',
        });
      }
      if (!isStale(existing)) {
        const where = existing.host === hostname() ? `process ${existing.pid}` : `process ${existing.pid} on ${existing.host}`;
        const remote = existing.host === hostname() ? '' : `; if no transfer is running there, remove ${path}`;
        throw new DestinationLockedError(`${dest} is being written by another transfer (${where})${remote}`, {
          path: dest,
          holder: where,
        });
      }
      record.partial = existing.partial;
      await writeRecord(path, record);
      const check = await readRecord(path);
      if (typeof check === 'object' && check.token === record.token) return new DestinationLock(dest, record, existing.partial);
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

  /** Records that a partial file of ours exists (before it is created, so a crash cannot orphan it). */
  async notePartial(exists: boolean): Promise<void> {
    if (this.#record.partial === exists || !this.#held) return;
    this.#record = { ...this.#record, partial: exists };
    await writeRecord(this.#path, this.#record);
  }

  /**
   * Lets go. With `keepPartial`, the lock file stays, marked released, as the record that the partial file
   * beside the destination is ours; otherwise it is removed.
   */
  async release(options: { keepPartial?: boolean } = {}): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    heldTokens.delete(this.#record.token);
    const current = await readRecord(this.#path);
    // Someone took it over (we were thought dead): it is theirs now.
    if (typeof current !== 'object' || current.token !== this.#record.token) return;
    if (options.keepPartial && this.#record.partial) {
      await writeRecord(this.#path, { ...this.#record, released: true }).catch(() => undefined);
    } else {
      await unlink(this.#path).catch(() => undefined);
    }
  }
}

function isStale(record: LockRecord): boolean {
  if (record.released) return true;
  if (record.host !== hostname()) return false;
  if (record.pid === process.pid) return !heldTokens.has(record.token);
  return !isAlive(record.pid);
}

/** Creates `path` holding `record` only if nothing is there: written to a temp file, then hard-linked. */
async function createExclusive(path: string, record: LockRecord): Promise<boolean> {
  const temp = await writeTemp(path, record);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw localIOError(error, path, 'link', 'Cannot lock the destination:');
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function writeRecord(path: string, record: LockRecord): Promise<void> {
  const temp = await writeTemp(path, record);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw localIOError(error, path, 'rename', 'Cannot update the lock');
  }
}

async function writeTemp(path: string, record: LockRecord): Promise<string> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let handle;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(`${JSON.stringify(record)}\n`);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw localIOError(error, dirname(path), 'open', 'Cannot write in the destination directory');
  }
  await handle.close();
  return temp;
}

async function readRecord(path: string): Promise<LockRecord | 'missing' | 'foreign'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw localIOError(error, path, 'open', 'Cannot read the lock');
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
