/**
 * A parallel download: discovery by the first ranged GET, then a sliding window of ranged GETs pinned to the
 * discovered generation, each range hashed as it arrives, and the whole object's CRC32C combined from the
 * ranges' and compared with the server's.
 *
 * Discovery asks for the first `chunkSize` bytes of the JSON media URL. Its answer gives the size
 * (Content-Range), the generation (`x-goog-generation`) and the object's CRC32C (`x-goog-hash`), and its bytes
 * are kept: an object of at most `chunkSize` bytes is done in that one request. An empty object answers 416
 * `bytes *\/0`. A resumed download discovers with the first range it still needs (or, when only a tail is
 * missing, from one byte before it, dropped on arrival), pinned to the journal's generation.
 *
 * Memory: ranges stream to their store; nothing buffers a range except an ordered stream's window (see
 * `downloadToStream`). Per range in flight: the socket's buffers plus at most 1 MiB of pending writes.
 */
import { combineCrc32c } from '../../checksum/combine.js';
import { crc32cToBase64 } from '../../checksum/crc32c.js';
import {
  DataCorruption,
  InvalidArgumentError,
  InvalidStateError,
  SourceChangedError,
  UnvalidatedError,
} from '../../errors.js';
import type { WorkerPool } from '../../pool/worker-pool.js';
import type { RequestBudget } from '../../scheduler/request-budget.js';
import type { AuthProvider } from '../../transport/auth.js';
import type { GcsEndpoint } from '../../transport/endpoint.js';
import type { Transport } from '../../transport/transport.js';
import { abortErrorFor, linkedController } from '../../util/abort.js';
import { Semaphore } from '../../util/semaphore.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import { PARTIAL_CHECKPOINT_BYTES, type CompletedRange, type DownloadCheckpoint, type DownloadResult, type ResolvedTransferOptions } from '../options.js';
import { missingRanges, splitRanges, type ByteRange } from '../part-plan.js';
import type { ProgressTracker } from '../progress.js';
import type { FileSink } from '../destination/file-sink.js';
import { InlineRangeRunner } from './inline-range-runner.js';
import { PooledRangeRunner, type PooledOutput } from './pooled-range-runner.js';
import type { ObjectHead } from './range-fetch.js';
import type { RangeStore } from './range-receiver.js';
import type { RangeOutcome, RangeRunner, RangeSpec } from './range-runner.js';
import { runSlidingWindow } from '../sliding-window.js';

/**
 * What a download needs from its owner. With a `pool` (the TransferManager's, unless it was given its own
 * transport), ranges run in worker threads and `auth` supplies their credentials; without one they run on the
 * main thread through `transport`.
 */
export interface DownloadContext {
  transport: Transport;
  endpoint: GcsEndpoint;
  pool?: WorkerPool;
  auth?: AuthProvider;
  /** The manager's request budget: each range task holds one slot while a worker fetches it. */
  requests?: RequestBudget;
}

/**
 * Objects known to be at most this big (from a listing) are fetched on the main thread: their one request
 * costs less there than the hop to a worker and back (a message each way and the task's bookkeeping, about
 * a third of a millisecond of main-thread time, measured), and a job of only small objects never starts the
 * worker threads at all. Main-thread time per byte is then small: 256 KiB is about 0.2 ms of it.
 */
export const INLINE_DOWNLOAD_MAX_BYTES = 256 * 1024;

/**
 * The runner a download's ranges go through: the worker pool when the context has one (bytes stored by the
 * workers into `file`'s descriptor, or handed to `deliver` in batches), else the main thread.
 */
export function rangeRunnerFor(
  context: DownloadContext,
  settings: ResolvedTransferOptions,
  source: ObjectRef,
  destination: { file: FileSink } | { deliver: (index: number, data: Buffer) => void },
): RangeRunner {
  const label = formatObjectRef(source);
  if (context.pool && context.auth) {
    const output: PooledOutput =
      'file' in destination
        ? { kind: 'file', fd: destination.file.fd, path: destination.file.partialPath }
        : { kind: 'port', deliver: (index, _position, data) => destination.deliver(index, data) };
    return new PooledRangeRunner(context.pool, context.auth, output, settings, label, context.requests);
  }
  const store: RangeStore =
    'file' in destination
      ? { write: (_index, position, chunks, length) => destination.file.writev(chunks, position, length) }
      : {
          write: (index, _position, chunks) => {
            for (const chunk of chunks) destination.deliver(index, chunk);
          },
        };
  return new InlineRangeRunner(context.transport, store, settings, label);
}

/** The hooks a destination needs around its ranges (the bytes themselves go through the job's runner). */
export interface DownloadTarget {
  /** Before range `index` starts (an ordered stream waits here for room in its window). */
  open(index: number, signal: AbortSignal): Promise<void>;
  /** After range `index` has all its bytes. */
  close(index: number): void;
  /** Once the size is known, before the other ranges start (a file is sized here). */
  sized(size: number): Promise<void>;
}

export interface DownloadJobOptions {
  settings: ResolvedTransferOptions;
  /** Moves the bytes of each range to the destination. */
  runner: RangeRunner;
  progress: ProgressTracker;
  onCheckpoint: ((event: DownloadCheckpoint) => void) | undefined;
  resume: { generation: string; ranges: readonly CompletedRange[] } | undefined;
}

/** What discovery learned. */
type Discovery = ObjectHead;

export class DownloadJob {
  readonly #context: DownloadContext;
  readonly #source: ObjectRef;
  readonly #target: DownloadTarget;
  readonly #options: DownloadJobOptions;
  readonly #completed: CompletedRange[] = [];
  /** Ranges (stream slots) started, discovery included. */
  #ranges = 0;

  constructor(context: DownloadContext, source: ObjectRef, target: DownloadTarget, options: DownloadJobOptions) {
    this.#context = context;
    this.#source = source;
    this.#target = target;
    this.#options = options;
    if (options.resume) checkDownloadResume(options.resume);
  }

  /** Ranges (stream slots) the download used, discovery included; valid once `run` resolved. */
  get rangeCount(): number {
    return this.#ranges;
  }

  /** `signal` is the caller's (none: the job is stopped only by its own failures). */
  async run(signal: AbortSignal | undefined): Promise<DownloadResult> {
    const { settings, progress, resume, onCheckpoint } = this.#options;
    const { bucket, name } = this.#source;
    const reused = resume?.ranges ?? [];
    for (const range of reused) this.#completed.push({ start: range.start, end: range.end, crc32c: range.crc32c });
    progress.addParts(reused.length);
    progress.addBytes(sum(reused.map((r) => r.end - r.start)));
    // Snapshot: discovery may complete (and join `#completed`) before the rest of the plan is made.
    const kept: CompletedRange[] = [...this.#completed];

    // Discovery holds one of the `concurrency` slots while its body streams; the other ranges start as soon as
    // its headers tell the size, instead of after the whole first chunk (on a link where one connection is
    // slow, that would serialise a whole chunk's transfer time before any parallelism).
    const slots = new Semaphore(settings.concurrency);
    await slots.acquire(signal ? { signal } : {});
    const { controller, dispose } = linkedController(signal);
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown): void => {
      failure ??= { error };
      controller.abort(error);
    };
    try {
      const discovery = this.#discover(controller.signal);
      const discovered = discovery.done.catch(fail).finally(() => slots.release());
      let info: Discovery;
      try {
        info = await discovery.known;
      } catch (error) {
        fail(error);
        await discovered;
        throw this.#firstFailure(signal, failure);
      }
      const { size, generation } = info;
      onCheckpoint?.({
        type: 'discovered',
        size,
        generation,
        ...(info.serverCrc32c === undefined ? {} : { crc32c: info.serverCrc32c }),
        ...(info.contentEncoding === undefined ? {} : { contentEncoding: info.contentEncoding }),
      });
      const window = this.#target
        .sized(size)
        .then(() => {
          // Ranges must fit the object; they are checked now that its size is known.
          const first = clampRange(discovery.range, size);
          const taken = first.end > first.start ? [...kept, first] : kept;
          const gaps = missingRanges(size, taken);
          progress.setTotals({ bytes: size, parts: taken.length + countPieces(gaps, settings.chunkSize) });
          // Discovery brought the whole object (every small one): no window to set up.
          if (gaps.length === 0) return;
          const url = this.#context.endpoint.mediaUrl(bucket, name, generation === undefined ? {} : { generation });
          return runSlidingWindow(
            splitRanges(gaps, settings.chunkSize),
            async (range, rangeSignal) => {
              const index = this.#ranges++;
              await this.#target.open(index, rangeSignal);
              const limit = range.end - range.start;
              const spec: RangeSpec = { index, start: range.start, limit, discard: 0, url, endInclusive: range.end - 1, pinned: generation };
              const outcome = await this.#run(spec, rangeSignal);
              if (outcome.written !== limit) {
                throw new InvalidStateError(`Range [${range.start}, ${range.end}) ended with ${outcome.written} bytes`);
              }
              this.#complete(spec, outcome);
            },
            { concurrency: settings.concurrency, signal: controller.signal, slots },
          );
        })
        .catch(fail);
      await Promise.all([discovered, window]);
      if (failure) throw this.#firstFailure(signal, failure);
      return this.#verify(info, size);
    } finally {
      dispose();
    }
  }

  /** The caller's abort wins over the sibling failures it caused; otherwise the first failure. */
  #firstFailure(signal: AbortSignal | undefined, failure: { error: unknown } | undefined): unknown {
    if (signal?.aborted) return abortErrorFor(signal);
    return failure?.error;
  }

  /**
   * The first request: learns size, generation and CRC32C, and keeps the bytes it brings. `known` resolves as
   * soon as its first bytes (and so its headers) arrive, or when it ends without bytes (an empty object);
   * `done` when its range is complete. `range` is the part of the object it fetches (half-open, unclamped).
   */
  #discover(signal: AbortSignal): { known: Promise<Discovery>; done: Promise<void>; range: ByteRange } {
    const { settings, resume } = this.#options;
    const { bucket, name } = this.#source;
    const requested = resume?.generation ?? this.#source.generation;
    const url = this.#context.endpoint.mediaUrl(bucket, name, requested === undefined ? {} : { generation: requested });
    const { start, discard, limit } = discoveryRange(this.#completed, settings.chunkSize);
    const index = this.#ranges++;
    let resolveKnown: (info: Discovery) => void = () => undefined;
    let rejectKnown: (error: unknown) => void = () => undefined;
    const known = new Promise<Discovery>((resolve, reject) => {
      resolveKnown = resolve;
      rejectKnown = reject;
    });
    // Nobody may be listening when it fails (the caller then learns of it through `done`).
    known.catch(() => undefined);
    // A generation other than the journal's stops the range: its bytes must not be mixed with the saved ones.
    // Only a resume can stop it so; otherwise it runs on the job's signal (a controller less per object).
    const own = resume ? linkedController(signal) : undefined;
    const rangeSignal = own?.controller.signal ?? signal;
    let changed: SourceChangedError | undefined;
    let info: Discovery | undefined;
    const learn = (head: ObjectHead): void => {
      if (info) return;
      if (resume && head.generation !== undefined && head.generation !== resume.generation) {
        changed ??= new SourceChangedError(
          `${formatObjectRef(this.#source)} is now generation ${head.generation}, not ${resume.generation} as when the download started`,
        );
        own?.controller.abort(changed);
        return;
      }
      info = head;
      this.#options.progress.setTotals({ bytes: info.size });
      resolveKnown(info);
    };
    const spec: RangeSpec = { index, start, limit, discard, url, endInclusive: start + limit - 1, pinned: resume?.generation };
    const done = (async () => {
      try {
        await this.#target.open(index, rangeSignal);
        // A generation the caller asked for that does not exist is a NotFound; one a resume expects is a change.
        const outcome = await this.#run(spec, rangeSignal, learn).catch((error: unknown) => {
          throw changed ?? error;
        });
        learn(outcome.head);
        if (changed) throw changed;
        if (outcome.written > 0) this.#complete(spec, outcome);
        else this.#target.close(index);
      } catch (error) {
        rejectKnown(error);
        throw error;
      } finally {
        own?.dispose();
      }
    })();
    return { known, done, range: { start, end: start + limit } };
  }

  /**
   * Runs one range through the runner, counting its stored bytes as progress and checkpointing the range in
   * progress every {@link PARTIAL_CHECKPOINT_BYTES}, so an interruption keeps what was written.
   */
  async #run(spec: RangeSpec, signal: AbortSignal, onHead?: (head: ObjectHead) => void): Promise<RangeOutcome> {
    const { progress, onCheckpoint } = this.#options;
    let checkpointed = 0;
    let stored = { written: 0, crc32c: 0 };
    const checkpoint = (): void => {
      if (onCheckpoint === undefined || stored.written <= checkpointed || stored.written >= spec.limit) return;
      checkpointed = stored.written;
      onCheckpoint({ type: 'partial', start: spec.start, end: spec.start + stored.written, crc32c: stored.crc32c });
    };
    try {
      return await this.#options.runner.run(
        spec,
        {
          ...(onHead ? { onHead } : {}),
          onStored: (written, crc32c, added) => {
            progress.addBytes(added);
            stored = { written, crc32c };
            if (written - checkpointed >= PARTIAL_CHECKPOINT_BYTES) checkpoint();
          },
        },
        signal,
      );
    } catch (error) {
      // Interrupted or failed: whatever the range stored is worth keeping for a resume.
      checkpoint();
      throw error;
    }
  }

  #complete(spec: RangeSpec, outcome: RangeOutcome): void {
    const range: CompletedRange = { start: spec.start, end: spec.start + outcome.written, crc32c: outcome.crc32c };
    this.#completed.push(range);
    this.#target.close(spec.index);
    this.#options.progress.addParts(1);
    this.#options.onCheckpoint?.({ type: 'range', ...range });
  }
  /** Combines the ranges' CRCs (which must tile the object) and compares with the server's CRC32C. */
  #verify(discovery: Discovery, size: number): DownloadResult {
    const { settings, progress } = this.#options;
    const ranges = [...this.#completed].sort((a, b) => a.start - b.start);
    let cursor = 0;
    for (const range of ranges) {
      if (range.start !== cursor) throw new InvalidStateError(`The ranges do not tile the object: a gap or overlap at byte ${cursor}`);
      cursor = range.end;
    }
    if (cursor !== size) throw new InvalidStateError(`The ranges cover ${cursor} of ${size} bytes`);
    const crc32c = crc32cToBase64(combineCrc32c(ranges.map((r) => ({ crc32c: r.crc32c, length: r.end - r.start }))));
    // An empty object is answered with 416 `bytes */0` and no hash; its size alone proves its (empty) content.
    const server = size === 0 ? crc32c : discovery.serverCrc32c;
    if (settings.checksum && server !== undefined && server !== crc32c) {
      throw new DataCorruption(
        `The bytes received for ${formatObjectRef(this.#source)} have CRC32C ${crc32c}, the server says ${server}`,
        { algorithm: 'crc32c', expected: server, actual: crc32c },
      );
    }
    const validated = settings.checksum && server !== undefined;
    if (settings.requireValidation && !validated) {
      throw new UnvalidatedError(`The server gave no CRC32C for ${formatObjectRef(this.#source)} to validate the download against`);
    }
    return {
      bucket: this.#source.bucket,
      name: this.#source.name,
      bytes: size,
      crc32c,
      validated,
      generation: discovery.generation,
      parts: ranges.length,
      elapsedMs: progress.elapsedMs,
    };
  }
}

/**
 * Where discovery starts. Fresh: at 0. Resumed: at the first byte not yet downloaded, up to the next completed
 * range; when nothing follows that byte, one byte earlier (we know that byte exists, and it is dropped on
 * arrival), so discovery never asks for a range past the end of the object.
 */
function discoveryRange(done: readonly ByteRange[], chunkSize: number): { start: number; discard: number; limit: number } {
  const sorted = [...done].sort((a, b) => a.start - b.start);
  let start = 0;
  for (const range of sorted) {
    if (range.start > start) break;
    start = Math.max(start, range.end);
  }
  const next = sorted.find((range) => range.start > start);
  if (next) return { start, discard: 0, limit: Math.min(chunkSize, next.start - start) };
  const discard = start > 0 ? 1 : 0;
  return { start, discard, limit: chunkSize - discard };
}

/** Validates a download `resumeFrom` option (shape, integers, no overlaps). */
export function checkDownloadResume(resume: { generation: string; ranges: readonly CompletedRange[] }): void {
  if (typeof resume !== 'object' || resume === null || typeof resume.generation !== 'string' || !/^\d+$/.test(resume.generation)) {
    throw new InvalidArgumentError(`Expected \`resumeFrom\` to be { generation: '<decimal>', ranges }, got \`${JSON.stringify(resume)}\``);
  }
  if (!Array.isArray(resume.ranges)) {
    throw new InvalidArgumentError(`Expected \`resumeFrom.ranges\` to be an array, got \`${String(resume.ranges)}\``);
  }
  for (const range of resume.ranges) {
    const ok =
      typeof range === 'object' &&
      range !== null &&
      Number.isSafeInteger(range.start) &&
      Number.isSafeInteger(range.end) &&
      range.start >= 0 &&
      range.end > range.start &&
      Number.isInteger(range.crc32c) &&
      range.crc32c >= 0 &&
      range.crc32c <= 0xffffffff;
    if (!ok) {
      throw new InvalidArgumentError(
        `Expected \`resumeFrom.ranges\` entries to be { start, end (exclusive), crc32c (uint32) }, got \`${JSON.stringify(range)}\``,
      );
    }
  }
  // Overlaps are refused here already; ranges past the end are refused once the size is known.
  missingRanges(Number.MAX_SAFE_INTEGER, resume.ranges);
}

/** `range` cut to an object of `size` bytes. */
function clampRange(range: ByteRange, size: number): ByteRange {
  return { start: Math.min(range.start, size), end: Math.min(range.end, size) };
}

function countPieces(gaps: readonly ByteRange[], chunkSize: number): number {
  return sum(gaps.map((gap) => Math.ceil((gap.end - gap.start) / chunkSize)));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
