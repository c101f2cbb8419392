/**
 * Ranges in the worker pool: each range is one task whose worker fetches, hashes and stores the bytes (into the
 * partial file's descriptor, or as transferred batches handed to a main-thread consumer). The main thread
 * obtains the credentials, hears one message per stored batch, and continues a range in a new task from what
 * was stored when the token expired (401) or the worker thread died.
 */
import { crc32cCombine } from '../../checksum/combine.js';
import { InvalidResponse, WorkerError, deserializeError } from '../../errors.js';
import type { RangeHeadMessage, RangeOutput, RangeStoredMessage } from '../../pool/protocol.js';
import type { WorkerPool } from '../../pool/worker-pool.js';
import { statusOfError, withRequestSlot, type RequestBudget } from '../../scheduler/request-budget.js';
import type { AuthProvider } from '../../transport/auth.js';
import { abortErrorFor, linkedController, throwIfAborted } from '../../util/abort.js';
import { retrySettings } from '../../pool/retry-settings.js';
import type { ResolvedTransferOptions } from '../options.js';
import type { ObjectHead } from './range-fetch.js';
import type { RangeHooks, RangeOutcome, RangeRunner, RangeSpec } from './range-runner.js';

/** Where the workers put the bytes. */
export type PooledOutput =
  | Extract<RangeOutput, { kind: 'file' }>
  /** Each batch is given to `deliver` on the main thread, in order within its range. */
  | { kind: 'port'; deliver: (index: number, position: number, data: Buffer) => void };

export class PooledRangeRunner implements RangeRunner {
  readonly #pool: WorkerPool;
  readonly #auth: AuthProvider;
  readonly #output: PooledOutput;
  readonly #settings: ResolvedTransferOptions;
  readonly #label: string;
  readonly #requests: RequestBudget | undefined;

  constructor(pool: WorkerPool, auth: AuthProvider, output: PooledOutput, settings: ResolvedTransferOptions, label: string, requests?: RequestBudget) {
    this.#requests = requests;
    this.#pool = pool;
    this.#auth = auth;
    this.#output = output;
    this.#settings = settings;
    this.#label = label;
  }

  async run(spec: RangeSpec, hooks: RangeHooks, callerSignal: AbortSignal): Promise<RangeOutcome> {
    // A destination that refuses a batch (a stream destroyed by its consumer) stops the task through this.
    const { controller, dispose } = linkedController(callerSignal);
    let refused: { error: unknown } | undefined;
    try {
      return await this.#run(spec, hooks, controller.signal, (error) => {
        refused ??= { error };
        controller.abort(error);
      });
    } catch (error) {
      throw refused ? refused.error : error;
    } finally {
      dispose();
    }
  }

  async #run(spec: RangeSpec, hooks: RangeHooks, signal: AbortSignal, refuse: (error: unknown) => void): Promise<RangeOutcome> {
    const settings = this.#settings;
    const output: RangeOutput = this.#output.kind === 'file' ? this.#output : { kind: 'port' };
    // What earlier tasks of this range stored: a continuation starts after it and its CRC is chained on.
    let written = 0;
    let crc32c = 0;
    let head: ObjectHead | undefined;
    let refreshed = false;
    let workerRetried = false;
    for (;;) {
      throwIfAborted(signal);
      const headers = await this.#auth.getHeaders(spec.url, refreshed ? { forceRefresh: true } : {});
      throwIfAborted(signal);
      const base = { written, crc32c };
      let taskWritten = 0;
      let taskCrc = 0;
      const onRange = (message: RangeHeadMessage | RangeStoredMessage): void => {
        if (message.type === 'head') {
          if (head === undefined) {
            head = message.head;
            hooks.onHead?.(message.head);
          }
          return;
        }
        if (message.data && this.#output.kind === 'port') {
          const { position, buffer, length } = message.data;
          try {
            this.#output.deliver(spec.index, position, Buffer.from(buffer, 0, length));
          } catch (error) {
            // Thrown in a message handler it would be uncaught: it ends the task instead.
            refuse(error);
            return;
          }
        }
        const added = message.written - taskWritten;
        taskWritten = message.written;
        taskCrc = message.crc32c;
        hooks.onStored(base.written + taskWritten, chain(base, taskCrc, taskWritten), added);
      };
      let outcome;
      try {
        outcome = await withRequestSlot(this.#requests, signal, () => this.#pool.downloadRange(
          {
            url: spec.url,
            start: spec.start + written,
            limit: spec.limit - written,
            // The bytes to drop precede `start`; once anything is stored they have been dropped.
            discard: written > 0 ? 0 : spec.discard,
            endInclusive: spec.endInclusive,
            ...(spec.pinned === undefined ? {} : { pinned: spec.pinned }),
            headers,
            output,
            retry: retrySettings(settings.retry),
            ...(settings.timeout ? { timeout: settings.timeout } : {}),
            label: this.#label,
          },
          { signal, onRange, ...(settings.retry.onRetry ? { onRetry: settings.retry.onRetry } : {}) },
        ), (result) => (result.ok ? (result.value.failure?.response?.status ?? 200) : statusOfError(result.error)));
      } catch (error) {
        // The thread died: what it reported as stored is on disk (or delivered); continue after it, once.
        if (error instanceof WorkerError && !workerRetried && !signal.aborted) {
          workerRetried = true;
          crc32c = chain(base, taskCrc, taskWritten);
          written += taskWritten;
          continue;
        }
        throw error;
      }
      if (!outcome.ok) throw outcome.error;
      const value = outcome.value;
      // The worker reports stored bytes every few MiB; the rest comes with its answer.
      if (value.written > taskWritten) {
        hooks.onStored(base.written + value.written, chain(base, value.crc32c, value.written), value.written - taskWritten);
      }
      crc32c = chain(base, value.crc32c, value.written);
      written += value.written;
      head = value.head ?? head;
      if (value.failure === undefined) {
        if (head === undefined) throw new WorkerError(`The worker fetching ${this.#label} reported no response`);
        return { written, crc32c, head };
      }
      const error = deserializeError(value.failure);
      if (signal.aborted) throw abortErrorFor(signal);
      if (error instanceof InvalidResponse && error.status === 401 && !refreshed) {
        refreshed = true;
        continue;
      }
      throw error;
    }
  }
}

/** The CRC32C of `base`'s bytes followed by `length` bytes whose CRC is `crc`. */
function chain(base: { written: number; crc32c: number }, crc: number, length: number): number {
  return base.written === 0 ? crc : crc32cCombine(base.crc32c, crc, length);
}
