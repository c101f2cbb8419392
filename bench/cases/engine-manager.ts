/**
 * One `TransferManager` per target for the whole child process, as an application would hold one: its worker
 * threads and connections are started once, so a sweep's later cells do not pay for them and its first cell
 * (warmed up) does not either. Chunk size and concurrency are given per call.
 */
import { TransferManager } from '../../src/index.js';
import type { TargetSpec } from './case.js';

const managers = new Map<string, TransferManager>();

export function sharedTransferManager(target: TargetSpec): TransferManager {
  const key = JSON.stringify([target.endpoint, target.auth]);
  let tm = managers.get(key);
  if (!tm) {
    tm = new TransferManager({ endpoint: target.endpoint, auth: target.auth });
    managers.set(key, tm);
  }
  return tm;
}

/** Closes every manager; the case runner calls it once all cases of the process are done. */
export async function closeSharedTransferManagers(): Promise<void> {
  const all = [...managers.values()];
  managers.clear();
  await Promise.all(all.map((tm) => tm.close()));
}
