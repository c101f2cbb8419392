/**
 * Deletes: one object, an explicit list (a plain concurrency cap, p-limit), or everything a prefix or
 * wildcard names (streamed from the listing through the many-object loop). A listed object is deleted only at
 * the generation that was listed (`ifGenerationMatch`), so an object rewritten in the meantime is left alone.
 */
import pLimit from 'p-limit';
import { NotFound, PreconditionFailed } from '../../errors.js';
import { classifyError } from '../../scheduler/error-class.js';
import { formatObjectRef, parseObjectRef, type ObjectSource } from '../object-ref.js';
import type { ManyContext } from './context.js';
import { cloudMatches } from './download-many.js';
import { deleteObjectCall, type CallOptions } from '../object-api.js';
import type { ManyOptions, ManySummary, ObjectOutcome } from './outcomes.js';
import { checkManyOptions, DEFAULT_MANY_CONCURRENCY, runMany, type ManyItem } from './run-many.js';

export interface DeleteManyOptions extends ManyOptions, Pick<CallOptions, 'retry' | 'timeout'> {
  /** Report what would be deleted (outcomes `skipped`, reason `dry-run`) without deleting anything. @default false */
  dryRun?: boolean;
}

/** Deletes one object. @throws NotFound when it does not exist. */
export async function deleteObject(context: ManyContext, ref: ObjectSource, options: CallOptions = {}): Promise<void> {
  await deleteObjectCall(context, parseObjectRef(ref), options);
}

/**
 * Deletes everything `source` names: a `gs://` prefix or wildcard (listed lazily), or an array of refs. An
 * explicit ref that does not exist fails; a listed object that is gone (or changed) by the time its delete
 * runs is skipped with reason `gone`.
 */
export async function deleteMany(
  context: ManyContext,
  source: string | readonly ObjectSource[],
  options: DeleteManyOptions = {},
): Promise<ManySummary> {
  checkManyOptions(options);
  const call: CallOptions = { ...(options.retry ? { retry: options.retry } : {}), ...(options.timeout ? { timeout: options.timeout } : {}) };
  if (typeof source !== 'string') return deleteRefs(context, source, options, call);
  async function* items(): AsyncGenerator<ManyItem & { generation: string | undefined; ref: { bucket: string; name: string } }> {
    for await (const match of cloudMatches(context, source as string, 'prefix', options.signal)) {
      const ref = { bucket: match.object.bucket, name: match.object.name };
      const name = formatObjectRef(ref);
      yield { ref, generation: match.object.generation, source: name, destination: name, size: 0 };
    }
  }
  return runMany(
    'delete',
    items(),
    async (item, tools) => {
      if (options.dryRun) return { status: 'skipped', reason: 'dry-run' };
      try {
        await deleteObjectCall(context, item.ref, { ...call, signal: tools.signal, ...(item.generation ? { ifGenerationMatch: item.generation } : {}) });
      } catch (error) {
        if (error instanceof NotFound || error instanceof PreconditionFailed) return { status: 'skipped', reason: 'gone' };
        throw error;
      }
      return { status: 'done', bytes: 0 };
    },
    options,
  );
}

/** An explicit, finite list: a plain concurrency cap is all it needs. */
async function deleteRefs(context: ManyContext, refs: readonly ObjectSource[], options: DeleteManyOptions, call: CallOptions): Promise<ManySummary> {
  const parsed = refs.map((ref) => parseObjectRef(ref));
  const started = performance.now();
  const limit = pLimit(options.concurrency ?? DEFAULT_MANY_CONCURRENCY);
  const summary: ManySummary = { objects: 0, bytes: 0, skipped: 0, failed: 0, failures: [], elapsedMs: 0 };
  await Promise.all(
    parsed.map((ref) =>
      limit(async () => {
        const name = formatObjectRef(ref);
        const base = { operation: 'delete' as const, source: name, destination: name, bytes: 0 };
        let outcome: ObjectOutcome;
        if (options.dryRun) {
          outcome = { ...base, status: 'skipped', reason: 'dry-run' };
        } else {
          try {
            await deleteObjectCall(context, ref, { ...call, ...(options.signal ? { signal: options.signal } : {}) });
            outcome = { ...base, status: 'done' };
          } catch (error) {
            if (options.signal?.aborted) throw error;
            outcome = { ...base, status: 'failed', error: error as Error, errorClass: classifyError(error) };
            if (options.continueOnError === false) {
              limit.clearQueue();
              throw error;
            }
          }
        }
        if (outcome.status === 'done') summary.objects++;
        else if (outcome.status === 'skipped') summary.skipped++;
        else {
          summary.failed++;
          summary.failures.push(outcome);
        }
        options.onObject?.(outcome);
      }),
    ),
  );
  summary.elapsedMs = Math.round(performance.now() - started);
  return summary;
}
