/**
 * `sync` (the CLI's `rsync`): makes a destination (a local directory or a gs:// prefix) hold what a source
 * holds, one way. Objects that are already identical are skipped, so a re-run after an interruption only sends
 * what is missing or changed. With `deleteExtra`, whatever the destination has and the source lacks is
 * deleted afterwards; each candidate is checked against the source one at a time (a stat), so memory does not
 * grow with the number of objects on either side.
 */
import { lstat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import type { ManyContext } from './context.js';
import { copyMany, type CopyManyOptions } from './copy-many.js';
import { downloadMany, type DownloadManyOptions } from './download-many.js';
import { listObjects, parseCloudUrl, type CloudLocation } from './listing.js';
import { walkDirectory } from './local-source.js';
import { deleteObjectCall, statIfExists } from '../object-api.js';
import type { ManySummary } from './outcomes.js';
import { runMany, type ManyItem } from './run-many.js';
import { safeLocalPath } from './safe-path.js';
import { uploadMany, type UploadManyOptions } from './upload-many.js';

export interface SyncOptions extends Omit<UploadManyOptions, 'skipExisting' | 'skipIdentical' | 'keepDirName'> {
  /**
   * Delete what the destination has and the source lacks, after the transfers (only when none failed, so a
   * broken run never deletes).
   * @default false
   */
  deleteExtra?: boolean;
}

export interface SyncResult {
  /** The transfers (identical objects are `skipped`). */
  transfer: ManySummary;
  /** The deletions, with `deleteExtra` (and no failed transfer); with `dryRun`, `skipped` counts what would go. */
  deleted?: ManySummary;
}

type Side = { kind: 'local'; root: string } | { kind: 'cloud'; location: CloudLocation; prefix: string };

function sideOf(value: string, option: string): Side {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(`Expected \`${option}\` to be a directory or gs://bucket/prefix, got \`${String(value)}\``);
  if (!value.startsWith('gs://')) return { kind: 'local', root: resolve(value) };
  const location = parseCloudUrl(value, option);
  const prefix = location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`;
  return { kind: 'cloud', location, prefix };
}

export async function sync(context: ManyContext, source: string, destination: string, options: SyncOptions = {}): Promise<SyncResult> {
  const from = sideOf(source, 'source');
  const to = sideOf(destination, 'destination');
  const common = { ...options, skipIdentical: true, identicalBy: options.identicalBy ?? 'checksum' } as const;
  let transfer: ManySummary;
  if (from.kind === 'local' && to.kind === 'cloud') {
    const info = await lstat(from.root).catch(() => undefined);
    if (!info?.isDirectory()) throw new InvalidArgumentError(`Expected the sync source ${source} to be a directory`);
    transfer = await uploadMany(context, from.root, `gs://${to.location.bucket}/${to.prefix}`, common as UploadManyOptions);
  } else if (from.kind === 'cloud' && to.kind === 'local') {
    transfer = await downloadMany(context, `gs://${from.location.bucket}/${from.prefix}`, to.root, { ...common, naming: 'prefix' } as DownloadManyOptions);
  } else if (from.kind === 'cloud' && to.kind === 'cloud') {
    transfer = await copyMany(context, `gs://${from.location.bucket}/${from.prefix}`, `gs://${to.location.bucket}/${to.prefix}`, { ...common, naming: 'prefix' } as CopyManyOptions);
  } else {
    throw new InvalidArgumentError('One side of a sync must be gs://bucket/prefix (local-to-local is not a GCS transfer)');
  }
  if (!options.deleteExtra || transfer.failed > 0) return { transfer };
  return { transfer, deleted: await deleteExtra(context, from, to, options) };
}

interface ExtraItem extends ManyItem {
  remove: () => Promise<void>;
  inSource: () => Promise<boolean>;
}

async function deleteExtra(context: ManyContext, from: Side, to: Side, options: SyncOptions): Promise<ManySummary> {
  async function* candidates(): AsyncGenerator<ExtraItem> {
    if (to.kind === 'cloud') {
      const { bucket } = to.location;
      for await (const object of listObjects(context, bucket, { prefix: to.prefix, ...(options.signal ? { signal: options.signal } : {}) })) {
        // Folder placeholders are structure, not data: leave them.
        if (object.name.endsWith('/')) continue;
        const relative = object.name.slice(to.prefix.length);
        const name = `gs://${bucket}/${object.name}`;
        yield {
          source: name,
          destination: name,
          size: 0,
          inSource: () => existsInSource(context, from, relative, options.signal),
          remove: () => deleteObjectCall(context, { bucket, name: object.name }, { ...(object.generation ? { ifGenerationMatch: object.generation } : {}), ...(options.signal ? { signal: options.signal } : {}) }),
        };
      }
    } else {
      for await (const file of walkDirectory(to.root)) {
        yield {
          source: file.path,
          destination: file.path,
          size: 0,
          inSource: () => existsInSource(context, from, file.relative, options.signal),
          remove: () => unlink(file.path),
        };
      }
    }
  }
  let kept = 0;
  const summary = await runMany(
    'delete',
    candidates(),
    async (item) => {
      if (await item.inSource()) return { status: 'skipped', reason: 'exists' };
      if (options.dryRun) return { status: 'skipped', reason: 'dry-run' };
      await item.remove();
      return { status: 'done', bytes: 0 };
    },
    {
      ...options,
      onObject: (outcome) => {
        if (outcome.reason === 'exists') kept++;
        else options.onObject?.(outcome);
      },
    },
  );
  // What the source also has is kept, not "skipped": `skipped` counts only dry-run deletions.
  return { ...summary, skipped: summary.skipped - kept };
}

async function existsInSource(context: ManyContext, from: Side, relative: string, signal: AbortSignal | undefined): Promise<boolean> {
  if (from.kind === 'cloud') {
    return (await statIfExists(context, { bucket: from.location.bucket, name: `${from.prefix}${relative}` }, signal ? { signal } : {})) !== undefined;
  }
  let path: string;
  try {
    path = safeLocalPath(from.root, relative);
  } catch {
    // A name no local file can have is not in the source.
    return false;
  }
  return (await lstat(join(path)).catch(() => undefined))?.isFile() === true;
}
