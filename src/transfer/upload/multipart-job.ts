/**
 * The life cycle of one XML multipart upload as the engine runs it: initiate (or reconcile a resumed upload
 * with ListParts), send the parts, finalize with the combined CRC32C, and on any failure
 * cancel the upload (or keep it for resume) and reject — it never resolves unless the object is complete and,
 * with checksums on, proven identical to what was sent (lib-storage #2311 is the cautionary tale).
 *
 * The parts go through a {@link PartRunner}: worker threads by default, the main thread for a caller's
 * transport. State, touched only on the main thread: `#completed` holds every part the server accepted (or a resume
 * proved it holds), keyed by part number; the container's registered parts always equal it.
 */
import { combineCrc32c } from '../../checksum/combine.js';
import { crc32cFromBase64, crc32cToBase64 } from '../../checksum/crc32c.js';
import { parseGoogHash } from '../../checksum/goog-hash.js';
import {
  AbortError,
  DataCorruption,
  InvalidArgumentError,
  MultipartUploadError,
  NotFound,
  UnvalidatedError,
  InvalidResponse,
  InvalidStateError,
  type CompletedPart,
  type MultipartCleanup,
} from '../../errors.js';
import { requireStatus, responseContext } from '../../media/response-checks.js';
import { sendWithRetry } from '../../media/send-with-retry.js';
import { XMLMPUContainer } from '../../media/xml-mpu-container.js';
import type { WorkerPool } from '../../pool/worker-pool.js';
import type { TaskSource, UploadPartValue } from '../../pool/protocol.js';
import type { RequestBudget } from '../../scheduler/request-budget.js';
import type { AuthProvider } from '../../transport/auth.js';
import type { GcsEndpoint } from '../../transport/endpoint.js';
import type { HttpRequest, RequestOptions, Transport } from '../../transport/transport.js';
import { abortErrorFor, throwIfAborted } from '../../util/abort.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import type { ResolvedTransferOptions, UploadCheckpoint } from '../options.js';
import { InlinePartRunner } from './inline-part-runner.js';
import { partRange, type UploadPlan } from '../part-plan.js';
import type { PartRunner, PartSpec } from './part-runner.js';
import { PooledPartRunner } from './pooled-part-runner.js';
import type { ProgressTracker } from '../progress.js';

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
  /** Hashes file ranges (to check a resumed upload's parts), and sends the parts when `auth` is given. */
  pool: WorkerPool;
  /**
   * Credentials for the workers' requests. Absent when the manager was given a transport of its own: the parts
   * then run on the main thread through `transport`, since that object cannot cross into a worker thread.
   */
  auth?: AuthProvider;
  /** The manager's request budget: each part task holds one slot while a worker sends it. */
  requests?: RequestBudget;
}

/** The runner a job's parts go through: the worker pool when the context carries credentials for it. */
export function partRunnerFor(context: UploadContext, settings: ResolvedTransferOptions): PartRunner {
  if (context.auth) return new PooledPartRunner(context.pool, context.auth, settings, context.requests);
  return new InlinePartRunner(context.transport, settings);
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
  readonly #runner: PartRunner;
  /** Set once the complete request went out: from then on the object may exist even if we fail. */
  #finalizeSent = false;

  constructor(context: UploadContext, dest: ObjectRef, source: string, options: MultipartJobOptions, uploadId?: string) {
    this.#context = context;
    this.#dest = dest;
    this.#options = options;
    this.#runner = partRunnerFor(context, options.settings);
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
   * Sends one part through the job's runner (worker pool, or main thread for a caller's transport). An answer
   * that broke the protocol gets up to {@link PART_PROTOCOL_RESUBMITS} more sends while the part's bytes are
   * still at hand; fresh credentials after a 401 and a dead worker are the pooled runner's affair.
   */
  async sendPart(partNumber: number, source: TaskSource, signal: AbortSignal): Promise<void> {
    const { progress } = this.#options;
    const spec: PartSpec = {
      uploadUrl: this.#container.uploadUrl,
      uploadId: this.#container.uploadId as string,
      partNumber,
      bytes: { source },
    };
    let counted = 0;
    const count = (bytes: number): void => {
      progress.addBytes(bytes - counted);
      counted = bytes;
    };
    let resubmits = 0;
    try {
      for (;;) {
        throwIfAborted(signal);
        let value: UploadPartValue;
        try {
          value = await this.#runner.run(spec, { onSent: count }, signal);
        } catch (error) {
          count(0);
          if (signal.aborted) throw abortErrorFor(signal);
          if (spec.bytes.source !== undefined && error instanceof Error && isPartProtocolError(error) && resubmits < PART_PROTOCOL_RESUBMITS) {
            resubmits++;
            continue;
          }
          throw error;
        }
        count(value.size);
        this.#accept(checkUploadedPart(value, partNumber));
        return;
      }
    } finally {
      const held = spec.bytes.source;
      if (source.kind === 'buffer') this.#options.releaseBuffer?.(held?.kind === 'buffer' ? held.buffer : undefined);
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
