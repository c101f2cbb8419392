/**
 * Makes renames in a directory durable (fsync of the directory), shared between the callers that need it at
 * the same time: a many-object download finishing 64 files in one directory pays a few directory syncs, not 64.
 *
 * A caller's rename must be covered by a sync that starts after it: while a sync of the directory runs (it may
 * have started before the rename), callers wait for the next one, which starts when the running one ends and
 * covers everyone who asked in the meantime. A caller never waits for more than two syncs.
 *
 * Some platforms and file systems cannot open or sync a directory; that is not an error: the rename is still
 * atomic, only less durable across power loss.
 */
import { open } from 'node:fs/promises';

interface DirectoryState {
  /** The sync in progress. */
  running: Promise<void>;
  /** The sync that starts when `running` ends, shared by everyone who asked while it ran. */
  next: Promise<void> | undefined;
}

/**
 * A shared-sync function over `syncOnce` (which must not reject). Resolves once a sync of the directory that
 * started after the call has finished.
 */
export function directorySyncer(syncOnce: (path: string) => Promise<void>): (path: string) => Promise<void> {
  const states = new Map<string, DirectoryState>();
  function start(path: string): Promise<void> {
    const state: DirectoryState = { running: syncOnce(path), next: undefined };
    states.set(path, state);
    void state.running.then(() => {
      if (states.get(path) === state && state.next === undefined) states.delete(path);
    });
    return state.running;
  }
  return (path) => {
    const state = states.get(path);
    if (state === undefined) return start(path);
    state.next ??= state.running.then(() => start(path));
    return state.next;
  };
}

async function syncOnce(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch {
    // Best effort (see above): the data itself was synced before the rename.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The process's shared directory syncs. */
export const syncDirectory = directorySyncer(syncOnce);
