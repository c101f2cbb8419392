/**
 * The seam between the scheduler and the per-object jobs: before a job sends a request (or hands a request to
 * a worker thread) it takes a slot from the manager-wide {@link RequestBudget}, and gives it back with the
 * answer's status once the response body is consumed. Jobs keep their own per-call `concurrency` cap; the
 * budget is what makes 50 concurrent calls share one `maxConnections` instead of competing blindly.
 *
 * The contract, for whoever writes a job:
 * - Requests on the manager's main-thread transport need nothing: the TransferManager wraps that transport in a
 *   ScheduledTransport, which holds a slot from `request()` until the body ends, closes or errors.
 * - A request made elsewhere (a worker thread's own transport) runs inside
 *   `withRequestSlot(context.requests, signal, () => pool.task(...), statusOf)`, with `context.requests` the
 *   optional `RequestBudget` of the job's context (absent: no manager-wide limit, as in unit tests).
 * - Take the job's own cap (its window slot, a buffer, a place in a reorder window) first and the budget slot
 *   last, and hold the budget slot only while the request itself runs (never while waiting for anything else),
 *   so slots cannot be held by work that waits on other work.
 * - Release with the HTTP status the request ended with (the worker's error carries it): 429 and 503 make the
 *   whole manager back off.
 */

/** One request slot; release exactly once. */
export interface RequestSlot {
  /**
   * Returns the slot. `status` is the HTTP status the request ended with (undefined for a network failure or an
   * abort): 429 and 503 make the budget back off, any other answer lets it grow back.
   */
  release(status?: number): void;
}

/** Request slots shared by every transfer of one TransferManager. */
export interface RequestBudget {
  /**
   * Waits (first come, first served) for a slot. Rejects with an AbortError, leaving the queue, when `signal`
   * fires first.
   */
  acquire(signal?: AbortSignal): Promise<RequestSlot>;
}

/**
 * Runs `task` holding one slot of `budget` (none when there is no budget), releasing it with the status
 * `statusOf` reads from the result, or without one when the task throws.
 */
export async function withRequestSlot<T>(
  budget: RequestBudget | undefined,
  signal: AbortSignal | undefined,
  task: () => Promise<T>,
  statusOf: (result: T) => number | undefined = () => undefined,
): Promise<T> {
  if (budget === undefined) return task();
  const slot = await budget.acquire(signal);
  let result: T;
  try {
    result = await task();
  } catch (error) {
    slot.release(statusOfError(error));
    throw error;
  }
  slot.release(statusOf(result));
  return result;
}

/** The HTTP status an error carries (InvalidResponse and its subclasses), if any. */
export function statusOfError(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
