/**
 * `ifGenerationMatch` for uploads (`0`: only if the object does not exist yet, the no-clobber of `cp -n`).
 *
 * A single-request upload hands it to the service, which applies it atomically (412 → PreconditionFailed). An
 * XML multipart upload takes no precondition, so the engine checks the object's generation with a metadata
 * request before the upload starts (so a refused upload sends no parts) and again just before it completes:
 * what remains is the moment between that last check and the completion, in which another writer's object
 * would be replaced. The README states this.
 */
import { InvalidArgumentError, PreconditionFailed } from '../../errors.js';
import { statIfExists, type ObjectApiContext } from '../object-api.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';

/** A generation precondition as the JSON API spells it: decimal digits, `0` for "does not exist". */
export function checkGenerationMatch(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text)) {
    throw new InvalidArgumentError(
      `Expected \`ifGenerationMatch\` to be a generation (decimal digits; 0 = only if the object does not exist), got \`${String(value)}\``,
    );
  }
  return text;
}

/**
 * Resolves when `dest`'s current generation is `expected` (`'0'`: there is no such object); rejects with
 * PreconditionFailed otherwise.
 */
export async function requireGeneration(context: ObjectApiContext, dest: ObjectRef, expected: string, signal: AbortSignal | undefined): Promise<void> {
  const info = await statIfExists(context, dest, signal ? { signal } : {});
  const current = info === undefined ? '0' : (info.generation ?? '');
  if (current === expected) return;
  const what = expected === '0' ? 'does not exist' : `is generation ${expected}`;
  const now = current === '0' ? 'it does not exist' : `it is generation ${current}`;
  throw new PreconditionFailed(`Not uploaded: ${formatObjectRef(dest)} was to be written only if it ${what}, but ${now}`, {
    expected: [200],
    gcsCode: 'conditionNotMet',
  });
}
