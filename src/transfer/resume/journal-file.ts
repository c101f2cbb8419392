/**
 * Durable, atomic JSON files for resume journals. A journal on disk is always either the previous complete
 * version or the new complete version, never a torn mix, even if the process is killed (or the machine loses
 * power) mid-write: write a temp file, fsync it, rename it over the journal, fsync the directory so the rename
 * itself is durable. Files are created with mode 0600: a journal names objects and holds upload IDs, and
 * holding an upload ID is enough to write to that upload.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../destination/directory-sync.js';

/** Owner read/write only. */
export const JOURNAL_FILE_MODE = 0o600;

/** Journals are small (a line per part); anything bigger is not one of ours and is not read into memory. */
const MAX_JOURNAL_BYTES = 16 * 1024 * 1024;

/** Replaces `path` with `data` as JSON, atomically and durably. */
export async function writeJournalFile(path: string, data: unknown): Promise<void> {
  const temp = join(dirname(path), `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // 'wx': never follow or reuse something already at the temp name.
  const handle = await open(temp, 'wx', JOURNAL_FILE_MODE);
  try {
    await handle.writeFile(`${JSON.stringify(data)}\n`);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Reads a journal. Resolves `undefined` when there is none; `{ error }` when a file is there but cannot be
 * used (unreadable, not JSON, too big), so the caller can say why it starts over.
 */
export async function readJournalFile(path: string): Promise<{ data: unknown } | { error: string } | undefined> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_JOURNAL_BYTES) return { error: `it is ${size} bytes, more than a journal can be` };
      text = await readFile(handle, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { error: `it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  try {
    return { data: JSON.parse(text) as unknown };
  } catch {
    return { error: 'it is not valid JSON' };
  }
}

/** Removes a journal, and temp files that killed writers left beside it; a missing journal is fine. */
export async function removeJournalFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await removeStaleTemps(path);
}

/** Temp files of `path` are named `.<name>.<pid>.<random>.tmp`. */
function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/**
 * A writer killed between creating its temp file and renaming it leaves the temp file behind. Those whose
 * writer process is gone are removed (a live one may be mid-write: another process working on the same path).
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const prefix = tempPrefix(path);
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    // Our own temp files may be mid-write in this process.
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialises the writes of one journal: callers hand it the latest state as often as they like (from
 * synchronous checkpoint hooks); at most one write is in flight, and only the newest pending state is written
 * next (intermediate ones are superseded). A failed write (disk full) never throws at the caller of `write`,
 * because a journal that cannot be saved must not fail the transfer; `flush()` reports it.
 */
export class JournalWriter<T> {
  readonly #path: string;
  #pending: T | undefined;
  #hasPending = false;
  #running: Promise<void> | undefined;
  #error: unknown;
  /** Whether temp files of killed writers have been swept (once, before the first write). */
  #cleaned = false;

  constructor(path: string) {
    this.#path = path;
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Queues `state` to be written. The object may be the caller's live state: it is serialised when its turn
   * comes, so the newest content is what reaches the disk.
   */
  write(state: T): void {
    this.#pending = state;
    this.#hasPending = true;
    this.#running ??= this.#drain();
  }

  /** Resolves when everything handed in so far is on disk; rejects with the first write failure. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#error !== undefined) throw this.#error;
  }

  /** Waits for pending writes (whatever their outcome), then removes the journal. */
  async remove(): Promise<void> {
    await this.flush().catch(() => undefined);
    await removeJournalFile(this.#path);
  }

  async #drain(): Promise<void> {
    try {
      if (!this.#cleaned) {
        this.#cleaned = true;
        await removeStaleTemps(this.#path);
      }
      while (this.#hasPending) {
        const state = this.#pending;
        this.#hasPending = false;
        this.#pending = undefined;
        try {
          await writeJournalFile(this.#path, state);
        } catch (error) {
          this.#error ??= error;
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
