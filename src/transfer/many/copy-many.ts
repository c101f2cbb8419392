/**
 * Bucket-to-bucket copies through `objects.rewrite`: the service moves the bytes (none pass through the
 * client), same bucket or another, looping on `rewriteToken` for copies that take several calls. `copyMany`
 * takes a prefix or wildcard and copies every match under a destination prefix.
 */
import { InvalidArgumentError, PreconditionFailed } from '../../errors.js';
import type { RetryStrategy } from '../../transport/retry.js';
import type { TimeoutOptions } from '../../transport/transport.js';
import { throwIfAborted } from '../../util/abort.js';
import { formatObjectRef, parseObjectRef, type ObjectRef, type ObjectSource } from '../object-ref.js';
import type { ManyContext } from './context.js';
import { cloudMatches, type CloudSource } from './download-many.js';
import { parseCloudUrl, type CloudMatch } from './listing.js';
import { rewriteStep, statIfExists, type ObjectInfo } from '../object-api.js';
import type { ManyOptions, ManySummary } from './outcomes.js';
import { checkManyOptions, runMany, type ManyItem, type TaskResult } from './run-many.js';
import { skipChecks, type SkipOptions } from './transfer-options.js';

export interface CopyOptions extends SkipOptions {
  signal?: AbortSignal;
  /**
   * Bytes GCS copies per rewrite call (a multiple of 1 MiB): smaller values make each call return sooner on
   * copies across locations or storage classes. @default undefined (GCS decides)
   */
  maxBytesRewrittenPerCall?: number;
  retry?: RetryStrategy;
  timeout?: TimeoutOptions;
}

export interface CopyResult {
  source: ObjectRef;
  destination: ObjectRef;
  bytes: number;
  /** Rewrite calls it took. */
  calls: number;
  /** The new object's metadata. */
  object?: ObjectInfo;
  /** Set when the copy was skipped (skipExisting / skipIdentical / dryRun). */
  skipped?: 'exists' | 'identical' | 'dry-run';
}

export interface CopyManyOptions extends ManyOptions, SkipOptions {
  retry?: RetryStrategy;
  timeout?: TimeoutOptions;
  /** See DownloadManyOptions.naming. @default 'prefix' */
  naming?: 'prefix' | 'parent';
}

/** Copies one object (no bytes through the client). */
export async function copyObject(context: ManyContext, source: ObjectSource, destination: ObjectSource, options: CopyOptions = {}): Promise<CopyResult> {
  skipChecks(options);
  const perCall = options.maxBytesRewrittenPerCall;
  if (perCall !== undefined && (!Number.isSafeInteger(perCall) || perCall < 1 || perCall % (1024 * 1024) !== 0)) {
    throw new InvalidArgumentError(`Expected \`maxBytesRewrittenPerCall\` to be a positive multiple of 1048576, got \`${String(perCall)}\``);
  }
  const from = parseObjectRef(source);
  const to = parseObjectRef(destination, 'destination');
  const call = { ...(options.signal ? { signal: options.signal } : {}), ...(options.retry ? { retry: options.retry } : {}), ...(options.timeout ? { timeout: options.timeout } : {}) };
  if (options.skipIdentical) {
    const existing = await statIfExists(context, to, call);
    if (existing) {
      const original = await statIfExists(context, from, call);
      if (original && sameObjectBytes(original, existing, options.identicalBy ?? 'checksum')) {
        return { source: from, destination: to, bytes: 0, calls: 0, skipped: 'identical' };
      }
    }
  }
  if (options.dryRun) return { source: from, destination: to, bytes: 0, calls: 0, skipped: 'dry-run' };
  let rewriteToken: string | undefined;
  for (let calls = 1; ; calls++) {
    throwIfAborted(options.signal);
    let step;
    try {
      step = await rewriteStep(
        context,
        from,
        to,
        {
          ...(rewriteToken ? { rewriteToken } : {}),
          ...(options.skipExisting ? { ifGenerationMatch: '0' } : {}),
          ...(from.generation ? { sourceGeneration: from.generation } : {}),
          ...(perCall ? { maxBytesRewrittenPerCall: perCall } : {}),
        },
        call,
      );
    } catch (error) {
      if (options.skipExisting && error instanceof PreconditionFailed) {
        return { source: from, destination: to, bytes: 0, calls, skipped: 'exists' };
      }
      throw error;
    }
    if (step.done) {
      return { source: from, destination: to, bytes: step.objectSize, calls, ...(step.resource ? { object: step.resource } : {}) };
    }
    rewriteToken = step.rewriteToken;
  }
}

interface CopyItem extends ManyItem {
  match: CloudMatch;
  to: ObjectRef;
}

/** Copies every object a prefix or wildcard names to `destination` (a `gs://bucket/prefix/`). */
export async function copyMany(context: ManyContext, source: CloudSource, destination: string, options: CopyManyOptions = {}): Promise<ManySummary> {
  checkManyOptions(options);
  skipChecks(options);
  const location = parseCloudUrl(destination, 'destination');
  if (location.path !== '' && !location.path.endsWith('/')) {
    throw new InvalidArgumentError(`Expected \`destination\` of copyMany to be a bucket or a prefix ending in '/', got \`${destination}\``);
  }
  async function* items(): AsyncGenerator<CopyItem> {
    for await (const match of cloudMatches(context, source, options.naming ?? 'prefix', options.signal)) {
      const to = parseObjectRef({ bucket: location.bucket, name: `${location.path}${match.relative}` }, 'destination');
      yield { match, to, source: formatObjectRef(match.object), destination: formatObjectRef(to), size: match.object.size };
    }
  }
  return runMany('copy', items(), (item, tools) => copyOne(context, item.match.object, item.to, options, tools.signal), options);
}

export async function copyOne(context: ManyContext, object: ObjectInfo, to: ObjectRef, options: CopyManyOptions, signal: AbortSignal): Promise<TaskResult> {
  const result = await copyObject(context, { bucket: object.bucket, name: object.name }, to, {
    signal,
    ...(options.skipExisting ? { skipExisting: true } : {}),
    ...(options.skipIdentical ? { skipIdentical: true } : {}),
    ...(options.identicalBy ? { identicalBy: options.identicalBy } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
  });
  return result.skipped ? { status: 'skipped', reason: result.skipped } : { status: 'done', bytes: result.bytes };
}

/** Two objects with the same bytes: same size and CRC32C, or (`'time'`) same size and the copy not older. */
function sameObjectBytes(original: ObjectInfo, copy: ObjectInfo, by: 'checksum' | 'time'): boolean {
  if (original.size !== copy.size) return false;
  if (by === 'time') return original.updated !== undefined && copy.updated !== undefined && Date.parse(copy.updated) >= Date.parse(original.updated);
  return original.crc32c !== undefined && original.crc32c === copy.crc32c;
}
