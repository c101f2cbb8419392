/**
 * The life cycle of one XML multipart upload as the engine runs it: initiate (or reconcile a resumed upload
 * with ListParts), send parts through the worker pool, finalize with the combined CRC32C, and on any failure
 * cancel the upload (or keep it for resume) and reject — it never resolves unless the object is complete and,
 * with checksums on, proven identical to what was sent (lib-storage #2311 is the cautionary tale).
 *
 * State, touched only on the main thread: `#completed` holds every part the server accepted (or a resume
 * proved it holds), keyed by part number; the container's registered parts always equal it.
 */
import { combineCrc32c } from '../checksum/combine.js';
import { crc32cFromBase64, crc32cToBase64 } from '../checksum/crc32c.js';
import { parseGoogHash } from '../checksum/goog-hash.js';
import {
  AbortError,
  DataCorruption,
  InvalidArgumentError,
  MultipartUploadError,
  NotFound,
  UnvalidatedError,
  WorkerError,
  InvalidResponse,
  InvalidStateError,
  type CompletedPart,
  type MultipartCleanup,
} from '../errors.js';
import { requireStatus, responseContext } from '../media/response-checks.js';
import { sendWithRetry } from '../media/send-with-retry.js';
import { XMLMPUContainer } from '../media/xml-mpu-container.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { RetrySettings, TaskSource, UploadPartValue } from '../pool/protocol.js';
import { statusOfError, withRequestSlot, type RequestBudget } from '../scheduler/request-budget.js';
import type { AuthProvider } from '../transport/auth.js';
import type { GcsEndpoint } from '../transport/endpoint.js';
import type { RetryStrategy } from '../transport/retry.js';
import type { HttpRequest, RequestOptions, Transport } from '../transport/transport.js';
import { abortErrorFor, throwIfAborted } from '../util/abort.js';
import { formatObjectRef, type ObjectRef } from './object-ref.js';
import type { ResolvedTransferOptions, UploadCheckpoint } from './options.js';
import { partRange, type UploadPlan } from './part-plan.js';
import type { ProgressTracker } from './progress.js';

/**
 * Times a part is sent again after an answer that broke the protocol (no ETag, a checksum the server refused
 * or echoed wrong): the request layer does not retry those, but for an idempotent part PUT a fresh attempt is
 * the right remedy before giving up on the whole upload.
 */
const PART_PROTOCOL_RESUBMITS = 2;

/**
 * Bound on the cleanup request after a failure or abort. The caller's signal has usually fired by then, so the
 * DELETE gets its own deadline: long enough for a few quick retries, short enough not to hold up the error.
 */
const CANCEL_TIMEOUT_MS = 30_000;

/** What the engine needs from its owner to run multipart uploads. */
export interface UploadContext {
  transport: Transport;
  endpoint: GcsEndpoint;
  auth: AuthProvider;
  pool: WorkerPool;
  /** The manager's request budget: each part task holds one slot while a worker sends it. */
  requests?: RequestBudget;
}

export interface MultipartJobOptions {
  settings: ResolvedTransferOptions;
  contentType: string;
  /** Headers of the initiate request (custom metadata). */
  headers: Record<string, string>;
  keepOnFailure: boolean;
  onCheckpoint: ((event: UploadCheckpoint) => void) | undefined;
  progress: ProgressTracker;
  /** The caller's signal: stops initiate, ListParts and finalize. */
  signal?: AbortSignal;
  /** Where buffers of buffer-sourced parts go once the worker has handed them back (undefined: lost). */
  releaseBuffer?: (buffer: ArrayBuffer | undefined) => void;
}

/** How the upload ended, for the result. */
export interface MultipartOutcome {
  crc32c: string;
  validated: boolean;
  generation?: string;
}

export class MultipartJob {
  readonly #context: UploadContext;
  readonly #dest: ObjectRef;
  readonly #options: MultipartJobOptions;
  readonly #container: XMLMPUContainer;
  readonly #completed = new Map<number, CompletedPart>();
  /** Set once the complete request went out: from then on the object may exist even if we fail. */
  #finalizeSent = false;

  constructor(context: UploadContext, dest: ObjectRef, source: string, options: MultipartJobOptions, uploadId?: string) {
    this.#context = context;
    this.#dest = dest;
    this.#options = options;
    this.#container = new XMLMPUContainer(context.endpoint.xmlObjectUrl(dest.bucket, dest.name), source, {
      headers: options.headers,
      ...(uploadId === undefined ? {} : { uploadId }),
    });
    this.#container.retryStrategy = options.settings.retry;
  }

  get uploadId(): string | undefined {
    return this.#container.uploadId;
  }

  /** Starts a new upload on the server. */
  async initiate(partSize: number): Promise<void> {
    const uploadId = await this.#container.initiate(this.#context.transport, this.#options.contentType, this.#request());
    this.#options.onCheckpoint?.({ type: 'initiated', uploadId, partSize });
  }

  /**
   * Adopts the parts of a resumed upload that are provably ours: listed by the server with the planned size
   * and the ETag we recorded, and (when `verify` is given) with a CRC32C that still matches the local bytes.
   * Every other part number will be sent again, overwriting whatever the server holds for it.
   */
  async reconcile(
    plan: UploadPlan,
    recorded: readonly CompletedPart[],
    verify?: (part: CompletedPart) => Promise<boolean>,
  ): Promise<void> {
    const listed = new Map(
      (await this.#container.listParts(this.#context.transport, this.#request())).map((p) => [p.partNumber, p]),
    );
    for (const part of recorded) {
      checkRecordedPart(part);
      if (part.partNumber > plan.partCount) continue;
      const { start, end } = partRange(plan, part.partNumber);
      const server = listed.get(part.partNumber);
      const matches =
        server !== undefined &&
        part.size === end - start &&
        server.size === part.size &&
        unquote(server.etag) === unquote(part.etag) &&
        (verify === undefined || (await verify(part)));
      if (!matches) continue;
      this.#accept(part, { checkpoint: false });
      this.#options.progress.addBytes(part.size);
    }
  }

  /** Parts already accepted (by this run or adopted from a resume). */
  get completed(): ReadonlyMap<number, CompletedPart> {
    return this.#completed;
  }

  /**
   * Sends one part through the worker pool. A 401 gets fresh credentials and one more try; an answer that broke
   * the protocol gets up to {@link PART_PROTOCOL_RESUBMITS} more; a worker that died gets one more for file
   * parts (a buffer it held is gone with it).
   */
  async sendPart(partNumber: number, source: TaskSource, signal: AbortSignal): Promise<void> {
    const { pool, auth } = this.#context;
    const uploadUrl = this.#container.uploadUrl;
    const uploadId = this.#container.uploadId as string;
    const { progress, settings } = this.#options;
    let current: TaskSource | undefined = source;
    let counted = 0;
    const count = (bytes: number): void => {
      progress.addBytes(bytes - counted);
      counted = bytes;
    };
    let refreshed = false;
    let resubmits = 0;
    let workerRetried = false;
    try {
      while (current !== undefined) {
        throwIfAborted(signal);
        const taskSource: TaskSource = current;
        const headers = await auth.getHeaders(uploadUrl, refreshed ? { forceRefresh: true } : {});
        let latestAttempt = -1;
        let outcome;
        try {
          outcome = await withRequestSlot(this.#context.requests, signal, () => pool.uploadPart(
            {
              uploadUrl,
              uploadId,
              partNumber,
              source: taskSource,
              headers,
              checksum: settings.checksum ? 'crc32c' : null,
              retry: retrySettings(settings.retry),
              ...(settings.timeout ? { timeout: settings.timeout } : {}),
            },
            {
              signal,
              ...(settings.retry.onRetry ? { onRetry: settings.retry.onRetry } : {}),
              transfer: taskSource.kind === 'buffer' ? [taskSource.buffer] : [],
              onProgress: (message) => {
                if (message.attempt < latestAttempt) return;
                latestAttempt = message.attempt;
                count(message.bytes);
              },
            },
          ), (result) => (result.ok ? 200 : statusOfError(result.error)));
        } catch (error) {
          count(0);
          if (taskSource.kind === 'buffer') current = undefined;
          if (error instanceof WorkerError && taskSource.kind === 'file' && !workerRetried) {
            workerRetried = true;
            continue;
          }
          throw error;
        }
        if (taskSource.kind === 'buffer') {
          current = outcome.buffer ? { ...taskSource, buffer: outcome.buffer } : undefined;
        }
        if (outcome.ok) {
          count(outcome.value.size);
          this.#accept(checkUploadedPart(outcome.value, partNumber));
          return;
        }
        count(0);
        const { error } = outcome;
        if (signal.aborted) throw abortErrorFor(signal);
        if (current === undefined) throw error;
        if (error instanceof InvalidResponse && error.status === 401 && !refreshed) {
          refreshed = true;
          continue;
        }
        if (isPartProtocolError(error) && resubmits < PART_PROTOCOL_RESUBMITS) {
          resubmits++;
          continue;
        }
        throw error;
      }
      throw new WorkerError(`The buffer of part ${partNumber} was lost with its worker`);
    } finally {
      if (source.kind === 'buffer') this.#options.releaseBuffer?.(current?.kind === 'buffer' ? current.buffer : undefined);
    }
  }

  /**
   * Completes the upload from parts 1..`partCount` and checks the object's CRC32C (from the complete answer,
   * else an XML HEAD) against the combination of the parts' CRCs.
   */
  async finalize(partCount: number): Promise<MultipartOutcome> {
    const parts: CompletedPart[] = [];
    for (let n = 1; n <= partCount; n++) {
      const part = this.#completed.get(n);
      // The container refuses gaps too; this names the missing part before any request is sent.
      if (!part) throw new InvalidStateError(`Part ${n} of ${partCount} was never uploaded`);
      parts.push(part);
    }
    const crc32c = crc32cToBase64(
      combineCrc32c(parts.map((p) => ({ crc32c: crc32cFromBase64(p.crc32c) as number, length: p.size }))),
    );
    const { checksum, requireValidation } = this.#options.settings;
    throwIfAborted(this.#options.signal);
    this.#finalizeSent = true;
    const finalized = await this.#container.finalize(this.#context.transport, {
      ...this.#request(),
      ...(checksum ? { expectedCrc32c: crc32c } : {}),
    });
    let generation = finalized.generation;
    let serverCrc = finalized.crc32c;
    if (checksum && serverCrc === undefined) {
      const head = await this.#headObject();
      serverCrc = head.crc32c;
      generation ??= head.generation;
    }
    if (checksum && serverCrc !== undefined && serverCrc !== crc32c) {
      throw new DataCorruption(
        `${formatObjectRef(this.#dest)} was assembled with CRC32C ${serverCrc}, but the parts sent combine to ${crc32c}`,
        { algorithm: 'crc32c', expected: crc32c, actual: serverCrc },
      );
    }
    const validated = checksum && serverCrc !== undefined;
    if (requireValidation && !validated) {
      throw new UnvalidatedError(`The server gave no CRC32C for ${formatObjectRef(this.#dest)} to validate the upload against`);
    }
    return { crc32c, validated, ...(generation === undefined ? {} : { generation }) };
  }

  /**
   * Turns a failure into the error the caller sees, after cleaning up: the upload is cancelled (or left open
   * with `keepOnFailure`), and the outcome is stated on the error. Never returns.
   */
  async fail(error: unknown, callerSignal: AbortSignal | undefined): Promise<never> {
    const aborted = callerSignal?.aborted === true;
    const uploadId = this.#container.uploadId;
    // The object exists (its check failed): there is no upload left to cancel, and the error says why.
    if (this.#container.finished) throw error;
    if (uploadId === undefined) {
      if (aborted) throw abortErrorFor(callerSignal);
      throw new MultipartUploadError(`Could not start a multipart upload to ${formatObjectRef(this.#dest)}: ${messageOf(error)}`, {
        cause: error,
        cleanup: 'none',
      });
    }
    let cleanup: MultipartCleanup = 'left-for-resume';
    let note = 'the upload was left open for resume';
    if (isNoSuchUpload(error) && !this.#finalizeSent) {
      // Nothing to cancel or keep: e.g. a resume of an upload that was completed or cancelled meanwhile.
      cleanup = 'none';
      note = `upload ${uploadId} no longer exists on the server`;
    } else if (!this.#options.keepOnFailure) {
      try {
        await this.#container.cancel(this.#context.transport, {
          signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
          ...(this.#options.settings.timeout ? { timeout: this.#options.settings.timeout } : {}),
        });
        cleanup = 'aborted';
        note = 'the upload was cancelled';
      } catch (cancelError) {
        cleanup = 'abort-failed';
        note =
          this.#finalizeSent && cancelError instanceof NotFound
            ? 'the server had already assembled the object before the failure'
            : `cancelling the upload failed too (${messageOf(cancelError)}); uploadId ${uploadId} is still open`;
      }
    }
    const completedParts = [...this.#completed.values()].sort((a, b) => a.partNumber - b.partNumber);
    if (aborted) {
      throw new AbortError(`The upload to ${formatObjectRef(this.#dest)} was aborted; ${note}`, { cause: callerSignal.reason });
    }
    throw new MultipartUploadError(`Multipart upload to ${formatObjectRef(this.#dest)} failed: ${messageOf(error)}; ${note}`, {
      cause: error,
      uploadId,
      completedParts,
      cleanup,
    });
  }

  #accept(part: CompletedPart, options: { checkpoint: boolean } = { checkpoint: true }): void {
    this.#container.registerPart(part.partNumber, part.etag);
    this.#completed.set(part.partNumber, part);
    this.#options.progress.addParts(1);
    if (options.checkpoint) this.#options.onCheckpoint?.({ type: 'part', ...part });
  }

  /** The object's CRC32C and generation from an XML HEAD, when the complete answer did not carry them. */
  async #headObject(): Promise<{ crc32c?: string; generation?: string }> {
    const request: HttpRequest = { method: 'HEAD', url: this.#container.uploadUrl, headers: {}, body: null };
    return sendWithRetry(
      this.#context.transport,
      this.#options.settings.retry,
      () => request,
      async (response) => {
        await requireStatus(response, [200], undefined, 'HEAD');
        const crc32c = parseGoogHash(response.headers['x-goog-hash'], 'crc32c', responseContext(response));
        const generation = response.headers['x-goog-generation'];
        return {
          ...(crc32c === undefined ? {} : { crc32c }),
          ...(typeof generation === 'string' ? { generation } : {}),
        };
      },
      this.#request(),
    );
  }

  #request(): RequestOptions {
    const { signal } = this.#options;
    const { timeout } = this.#options.settings;
    return { ...(signal ? { signal } : {}), ...(timeout ? { timeout } : {}) };
  }
}

function isNoSuchUpload(error: unknown): boolean {
  return error instanceof NotFound && error.gcsCode === 'NoSuchUpload';
}

/** A 2xx answer that broke the protocol, or a checksum failure: worth sending the part again. */
function isPartProtocolError(error: Error): boolean {
  if (error instanceof DataCorruption) return true;
  return error instanceof InvalidResponse && error.status !== undefined && error.status >= 200 && error.status < 300;
}

/** The numbers of a RetryStrategy, which is all a worker can receive. */
export function retrySettings(strategy: RetryStrategy): RetrySettings {
  return {
    maxSleepMs: strategy.maxSleepMs,
    initialDelayMs: strategy.initialDelayMs,
    multiplier: strategy.multiplier,
    ...(strategy.maxRetries === undefined ? {} : { maxRetries: strategy.maxRetries }),
    ...(strategy.maxRetries === undefined && strategy.maxCumulativeRetryMs !== undefined
      ? { maxCumulativeRetryMs: strategy.maxCumulativeRetryMs }
      : {}),
  };
}

function checkRecordedPart(part: CompletedPart): void {
  const ok =
    typeof part === 'object' &&
    part !== null &&
    Number.isSafeInteger(part.partNumber) &&
    part.partNumber >= 1 &&
    typeof part.etag === 'string' &&
    typeof part.crc32c === 'string' &&
    crc32cFromBase64(part.crc32c) !== undefined &&
    Number.isSafeInteger(part.size) &&
    part.size >= 0;
  if (!ok) {
    throw new InvalidArgumentError(
      `Expected \`resumeFrom.parts\` entries to be { partNumber, etag, crc32c (base64), size }, got \`${JSON.stringify(part)}\``,
    );
  }
}

function checkUploadedPart(value: UploadPartValue, partNumber: number): CompletedPart {
  return { partNumber, etag: value.etag, crc32c: value.crc32c, size: value.size };
}

/** ETags are compared without their quotes: listings and headers do not always quote them alike. */
function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"(.*)"$/, '$2');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
