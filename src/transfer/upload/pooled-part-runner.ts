/**
 * Parts in the worker pool: each send is one task whose worker reads the part's file range (or takes the
 * transferred buffer), hashes and PUTs it on the worker's own transport. The main thread obtains the
 * credentials, hears the progress and retry reports, and sends again once with fresh credentials after a 401,
 * or once more after the worker thread died (file parts only: a buffer it held is gone with it).
 */
import { InvalidResponse, WorkerError } from '../../errors.js';
import type { UploadPartValue } from '../../pool/protocol.js';
import { retrySettings } from '../../pool/retry-settings.js';
import type { WorkerPool } from '../../pool/worker-pool.js';
import { statusOfError, withRequestSlot, type RequestBudget } from '../../scheduler/request-budget.js';
import type { AuthProvider } from '../../transport/auth.js';
import { throwIfAborted } from '../../util/abort.js';
import type { ResolvedTransferOptions } from '../options.js';
import { latestAttempt, type PartHooks, type PartRunner, type PartSpec } from './part-runner.js';

export class PooledPartRunner implements PartRunner {
  readonly #pool: WorkerPool;
  readonly #auth: AuthProvider;
  readonly #settings: ResolvedTransferOptions;
  readonly #requests: RequestBudget | undefined;

  constructor(pool: WorkerPool, auth: AuthProvider, settings: ResolvedTransferOptions, requests?: RequestBudget) {
    this.#pool = pool;
    this.#auth = auth;
    this.#settings = settings;
    this.#requests = requests;
  }

  async run(spec: PartSpec, hooks: PartHooks, signal: AbortSignal): Promise<UploadPartValue> {
    const settings = this.#settings;
    const { bytes } = spec;
    let refreshed = false;
    let workerRetried = false;
    for (;;) {
      throwIfAborted(signal);
      const source = bytes.source;
      if (source === undefined) throw new WorkerError(`The buffer of part ${spec.partNumber} was lost with its worker`);
      const headers = await this.#auth.getHeaders(spec.uploadUrl, refreshed ? { forceRefresh: true } : {});
      // Each task numbers its requests from 0 again.
      const sent = latestAttempt((count) => hooks.onSent(count));
      let outcome;
      try {
        outcome = await withRequestSlot(this.#requests, signal, () => this.#pool.uploadPart(
          {
            uploadUrl: spec.uploadUrl,
            uploadId: spec.uploadId,
            partNumber: spec.partNumber,
            source,
            headers,
            checksum: settings.checksum ? 'crc32c' : null,
            retry: retrySettings(settings.retry),
            ...(settings.timeout ? { timeout: settings.timeout } : {}),
          },
          {
            signal,
            ...(settings.retry.onRetry ? { onRetry: settings.retry.onRetry } : {}),
            transfer: source.kind === 'buffer' ? [source.buffer] : [],
            onProgress: (message) => sent(message.attempt, message.bytes),
          },
        ), (result) => (result.ok ? 200 : statusOfError(result.error)));
      } catch (error) {
        hooks.onSent(0);
        if (source.kind === 'buffer') bytes.source = undefined;
        if (error instanceof WorkerError && source.kind === 'file' && !workerRetried && !signal.aborted) {
          workerRetried = true;
          continue;
        }
        throw error;
      }
      if (source.kind === 'buffer') bytes.source = outcome.buffer ? { ...source, buffer: outcome.buffer } : undefined;
      if (outcome.ok) return outcome.value;
      const { error } = outcome;
      if (error instanceof InvalidResponse && error.status === 401 && !refreshed && bytes.source !== undefined && !signal.aborted) {
        hooks.onSent(0);
        refreshed = true;
        continue;
      }
      throw error;
    }
  }
}
