/**
 * Cancellation helpers. Every public async call takes an `AbortSignal`; these keep the wiring uniform and make
 * sure every listener is removed when the operation ends.
 */
import { AbortError } from '../errors.js';

/** Our AbortError for `signal`, carrying its reason as the cause. */
export function abortErrorFor(signal: AbortSignal): AbortError {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError('The operation was aborted', { cause: reason });
}

/** Throws an AbortError if `signal` has fired. Call before every step of a job loop. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorFor(signal);
}

/**
 * Calls `listener` once when `signal` fires (at once if it already has). Returns a disposer that must be
 * called in `finally`, so long-lived signals do not accumulate listeners.
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    listener();
    return () => undefined;
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/**
 * A controller that aborts when any of `parents` does, plus a disposer that detaches it from them. Jobs own one
 * of these so that an internal failure can stop sibling requests without touching the caller's signal.
 */
export function linkedController(...parents: (AbortSignal | undefined)[]): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  const disposers = parents.map((parent) => onAbort(parent, () => controller.abort(parent?.reason)));
  return { controller, dispose: () => disposers.forEach((d) => d()) };
}

/** Resolves after `ms` milliseconds; rejects with an AbortError as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorFor(signal));
      return;
    }
    let dispose = (): void => undefined;
    const timer = setTimeout(() => {
      dispose();
      resolve();
    }, ms);
    dispose = onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal as AbortSignal));
    });
  });
}
