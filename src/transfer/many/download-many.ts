/**
 * `downloadMany`: a prefix, a wildcard or an iterable of object refs, downloaded into a directory through the
 * manager's per-object `downloadFile` (verified, renamed into place only when complete). Every object name is
 * checked before anything is written: a name that would land outside the directory fails that object.
 */
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import type { TransferDownloadOptions } from '../options.js';
import { formatObjectRef, parseObjectRef, type ObjectSource } from '../object-ref.js';
import type { ManyContext } from './context.js';
import { fileMatchesObject } from './identical.js';
import { expandCloudSource, parseCloudUrl, type CloudMatch } from './listing.js';
import { getObjectInfo } from '../object-api.js';
import type { ManyOptions, ManySummary } from './outcomes.js';
import { checkManyOptions, runMany, type ManyItem, type TaskResult, type TaskTools } from './run-many.js';
import { DestinationTree, safeLocalPath } from './safe-path.js';
import { checkPerObjectOptions, skipChecks, transferOptions, type SkipOptions } from './transfer-options.js';

export interface DownloadManyOptions
  extends ManyOptions,
    SkipOptions,
    Pick<TransferDownloadOptions, 'chunkSize' | 'checksum' | 'requireValidation' | 'retry' | 'timeout'> {
  /**
   * How a prefix source's names map to paths: `'prefix'` (relative to the prefix: `gs://b/data/x/y` → `DEST/x/y`)
   * or `'parent'` (keep the prefix's last segment: `DEST/data/x/y`, as `gcloud storage cp -r` does). Wildcard
   * sources are always relative to the directory holding the first wildcard; refs use their last segment.
   * @default 'prefix'
   */
  naming?: 'prefix' | 'parent';
}

/** An object and the relative path it goes to (under the destination directory, or prefix for copies). */
export interface NamedObject {
  source: ObjectSource;
  name: string;
}

/**
 * What downloadMany and copyMany read: a gs:// prefix or wildcard, or an iterable of object references (each
 * named after its last segment) or `{ source, name }`.
 */
export type CloudSource = string | Iterable<ObjectSource | NamedObject> | AsyncIterable<ObjectSource | NamedObject>;

interface DownloadItem extends ManyItem {
  match: CloudMatch;
}

export async function downloadMany(context: ManyContext, source: CloudSource, destDir: string, options: DownloadManyOptions = {}): Promise<ManySummary> {
  checkManyOptions(options);
  skipChecks(options);
  checkPerObjectOptions(context.defaults, options);
  if (typeof destDir !== 'string' || destDir === '') {
    throw new InvalidArgumentError(`Expected \`destDir\` to be a directory path, got \`${String(destDir)}\``);
  }
  const tree = await DestinationTree.open(resolve(destDir));
  const signal = options.signal;
  async function* items(): AsyncGenerator<DownloadItem> {
    for await (const match of cloudMatches(context, source, options.naming ?? 'prefix', signal)) {
      yield { match, source: formatObjectRef(match.object), destination: resolve(tree.root, match.relative), size: match.object.size };
    }
  }
  return runMany('download', items(), (item, tools) => downloadOne(context, item.match, tree, options, tools), options);
}

/** The objects a download source names, with relative names. */
export async function* cloudMatches(
  context: ManyContext,
  source: CloudSource,
  naming: 'prefix' | 'parent',
  signal: AbortSignal | undefined,
  recursive = true,
): AsyncGenerator<CloudMatch> {
  if (typeof source === 'string') {
    yield* expandCloudSource(context, parseCloudUrl(source), { recursive, base: naming, ...(signal ? { signal } : {}) });
    return;
  }
  if (typeof source !== 'object' || source === null || !(Symbol.iterator in source || Symbol.asyncIterator in source)) {
    throw new InvalidArgumentError(`Expected the source to be a gs:// prefix or wildcard, or an iterable of object refs, got \`${String(source)}\``);
  }
  for await (const entry of source as AsyncIterable<ObjectSource | NamedObject>) {
    const named = typeof entry === 'object' && entry !== null && 'source' in entry;
    const ref = parseObjectRef(named ? entry.source : entry);
    const relative = named ? entry.name : ref.name.slice(ref.name.lastIndexOf('/') + 1);
    if (typeof relative !== 'string' || relative === '') {
      throw new InvalidArgumentError(`Expected \`name\` of ${formatObjectRef(ref)} to be a non-empty string, got \`${String(relative)}\``);
    }
    yield { object: { bucket: ref.bucket, name: ref.name, size: 0 }, relative, unresolved: true };
  }
}

/** One object into `root/<relative>`, honouring skipExisting/skipIdentical; used by downloadMany, cp and rsync. */
export async function downloadOne(
  context: ManyContext,
  match: CloudMatch,
  tree: DestinationTree,
  options: DownloadManyOptions,
  tools: TaskTools,
): Promise<TaskResult> {
  const path = safeLocalPath(tree.root, match.relative);
  if (options.skipExisting || options.skipIdentical) {
    const local = await lstat(path).catch(() => undefined);
    if (local && options.skipExisting) return { status: 'skipped', reason: 'exists' };
    if (local?.isFile() && options.skipIdentical) {
      const object = match.unresolved ? await getObjectInfo(context, match.object, { signal: tools.signal }) : match.object;
      if (await fileMatchesObject(path, local, object, options.identicalBy ?? 'checksum', 'local', tools.signal)) {
        return { status: 'skipped', reason: 'identical' };
      }
    }
  }
  if (options.dryRun) return { status: 'skipped', reason: 'dry-run' };
  const { object } = match;
  await tree.prepareParent(path, object.name);
  try {
    const known = match.unresolved ? undefined : object.size;
    const result = await context.downloadFile({ bucket: object.bucket, name: object.name }, path, transferOptions(options, tools), known);
    return { status: 'done', bytes: result.bytes };
  } catch (error) {
    throw tree.conflictError(path, object.name, error) ?? error;
  }
}
