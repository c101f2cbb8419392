/**
 * The resume journal of a download to a file: `<dest>.gcs-transfer.partial.json`, beside the partial file the engine
 * writes into. It records the object (endpoint, bucket, name), the generation every range is pinned to, the
 * size and CRC32C the server announced, and each completed range with the CRC32C of its bytes. It is rewritten
 * durably (see journal-file.ts) after discovery and after every range, and removed once the download is done.
 *
 * Resuming trusts nothing it cannot check: the journal must describe the same object and endpoint, the partial
 * file must exist, and every recorded range is re-hashed from the partial file before it is reused — a range
 * whose bytes did not reach the disk (power loss) or were changed is simply downloaded again. That re-read
 * matters: the whole-object check combines the ranges' recorded CRCs, so a range reused without it could turn
 * corrupt bytes on disk into a "validated" download. Whether the object itself changed is for the engine to
 * find out: ranges are pinned to the journal's generation, and a different one is a SourceChangedError.
 */
import { stat } from 'node:fs/promises';
import pLimit from 'p-limit';
import { crc32cCombine } from '../../checksum/combine.js';
import { throwIfAborted } from '../../util/abort.js';
import { PARTIAL_SUFFIX } from '../destination/side-files.js';
import { JournalWriter, readJournalFile, removeJournalFile } from './journal-file.js';
import { fileRangeCrc32c } from './journal-verify.js';
import type { CompletedRange, DownloadCheckpoint } from '../options.js';

/** Saved ranges re-hashed at once when a download resumes. */
const RESUME_HASH_CONCURRENCY = 4;

/** The journal sits beside the partial file: `<dest>.gcs-transfer.partial.json`. */
export const DOWNLOAD_JOURNAL_SUFFIX = `${PARTIAL_SUFFIX}.json`;

/** What a journal must match to be reused: the same object through the same endpoint. */
export interface DownloadIdentity {
  /** The API base URL (normalised, no credentials). */
  endpoint: string;
  /** `gs://bucket/name`. */
  object: string;
}

/** The journal's on-disk form (version 1). */
export interface DownloadJournalState extends DownloadIdentity {
  version: 1;
  kind: 'download';
  generation?: string;
  size?: number;
  /** The server's base64 CRC32C of the whole object, when it sent one. */
  crc32c?: string;
  ranges: CompletedRange[];
}

/** What to do with the saved state of an earlier run. */
export interface DownloadResumePlan {
  /** The engine's `resume` option, when there is something to reuse. */
  resume?: { generation: string; ranges: CompletedRange[] };
  /** Bytes that will not be downloaded again. */
  reusedBytes: number;
  /** Object size recorded by the earlier run, when known. */
  size?: number;
  /** Why earlier state was discarded or only partly reused (for the user), empty when none or all of it was. */
  notes: string[];
}

export function downloadJournalPath(dest: string): string {
  return dest + DOWNLOAD_JOURNAL_SUFFIX;
}

/**
 * Reads and checks the journal for `dest`. Never throws for a bad or stale journal: it says why in `notes`
 * and plans a fresh download (which truncates the partial file).
 */
export async function planDownloadResume(
  dest: string,
  identity: DownloadIdentity,
  options: { signal?: AbortSignal } = {},
): Promise<DownloadResumePlan> {
  const fresh = (note?: string): DownloadResumePlan => ({ reusedBytes: 0, notes: note === undefined ? [] : [note] });
  const loaded = await readJournalFile(downloadJournalPath(dest));
  if (loaded === undefined) return fresh();
  if ('error' in loaded) return fresh(`starting over: the resume journal ${downloadJournalPath(dest)} is unusable (${loaded.error})`);
  const state = parseState(loaded.data);
  if (state === undefined) return fresh(`starting over: ${downloadJournalPath(dest)} is not a download journal this version understands`);
  if (state.object !== identity.object || state.endpoint !== identity.endpoint) {
    return fresh(
      `starting over: the saved partial download is of ${state.object} via ${state.endpoint}, not ${identity.object} via ${identity.endpoint}`,
    );
  }
  if (state.generation === undefined || state.ranges.length === 0) return fresh();
  const partialSize = await stat(dest + PARTIAL_SUFFIX).then(
    (s) => s.size,
    () => undefined,
  );
  if (partialSize === undefined) return fresh(`starting over: ${dest}${PARTIAL_SUFFIX} is gone`);

  // Re-hashing reads the partial file range by range: a few reads in flight keep the disk busy while the
  // CRC of another is computed. The ranges are already in memory (the journal is bounded), so queueing one
  // call per range costs nothing that is not there anyway; p-limit is exactly that bounded queue.
  const limit = pLimit(RESUME_HASH_CONCURRENCY);
  const matches = await Promise.all(
    state.ranges.map((range) =>
      limit(async () => {
        throwIfAborted(options.signal);
        if (range.end > partialSize) return false;
        return (await fileRangeCrc32c(dest + PARTIAL_SUFFIX, range.start, range.end, options)) === range.crc32c;
      }),
    ),
  );
  const kept = state.ranges.filter((_, i) => matches[i]);
  const rejected = state.ranges.length - kept.length;
  const notes =
    rejected === 0
      ? []
      : [`${rejected} of ${state.ranges.length} saved ranges did not match ${dest}${PARTIAL_SUFFIX} on disk and will be downloaded again`];
  const reusedBytes = kept.reduce((total, range) => total + range.end - range.start, 0);
  return {
    ...(kept.length > 0 ? { resume: { generation: state.generation, ranges: kept } } : {}),
    reusedBytes,
    ...(state.size === undefined ? {} : { size: state.size }),
    notes,
  };
}

/**
 * Removes the journal of `dest` (the engine owns the partial file) — only when the file at the journal's name
 * is a download journal: a file gcs-transfer did not write is never deleted.
 */
export async function removeDownloadJournal(dest: string): Promise<void> {
  const loaded = await readJournalFile(downloadJournalPath(dest));
  if (loaded === undefined || !('data' in loaded) || !isDownloadJournal(loaded.data)) return;
  await removeJournalFile(downloadJournalPath(dest));
}

function isDownloadJournal(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { kind?: unknown }).kind === 'download';
}

/**
 * Records a download's checkpoints in its journal. Hand `onCheckpoint` to the engine; `flush()` before
 * reporting, `remove()` after success.
 *
 * Size bound: adjacent completed ranges are merged into one entry as they complete (their CRC32Cs combine),
 * so the journal holds one entry per contiguous stretch of completed bytes plus one per range in progress.
 * Ranges start in offset order, so a stretch can only end at a range still in flight or at a gap an earlier run
 * left: at most `2 × concurrency + 1` entries plus the gaps inherited from interrupted runs, whatever the
 * object's size (about 100 bytes an entry: a few KiB at the defaults, far below the 16 MiB a journal may be
 * when it is read back). Without merging, a 256 KiB range size made an entry per 256 KiB, and the journal of an
 * object from about 80 GiB on could no longer be read.
 */
export class DownloadJournal {
  readonly #writer: JournalWriter<DownloadJournalState>;
  readonly #state: DownloadJournalState;
  /** Completed stretches, sorted by start, disjoint, never adjacent (adjacent ones are merged). */
  #completed: CompletedRange[] = [];
  /** Ranges in progress by start: a later event for the same start (more bytes, or complete) supersedes one. */
  readonly #inFlight = new Map<number, CompletedRange>();
  readonly #dest: string;

  /** `resumed` lists the ranges an earlier run completed and this one reuses. */
  constructor(dest: string, identity: DownloadIdentity, resumed?: { generation: string; ranges: readonly CompletedRange[] }) {
    this.#dest = dest;
    this.#writer = new JournalWriter(downloadJournalPath(dest));
    this.#state = {
      version: 1,
      kind: 'download',
      endpoint: identity.endpoint,
      object: identity.object,
      ...(resumed ? { generation: resumed.generation } : {}),
      ranges: [],
    };
    // A reused range's bytes are verified on disk: complete as far as this journal is concerned.
    for (const range of resumed?.ranges ?? []) this.#complete({ ...range });
    this.#state.ranges = [...this.#completed];
  }

  /** Entries recorded (an earlier run's included): zero means there is nothing worth resuming. */
  get rangeCount(): number {
    return this.#state.generation === undefined ? 0 : this.#state.ranges.length;
  }

  /** The engine's `onCheckpoint`: called synchronously, in order. */
  readonly onCheckpoint = (event: DownloadCheckpoint): void => {
    if (event.type === 'discovered') {
      // Without a generation the ranges cannot be pinned on a later run, so nothing is worth saving.
      if (event.generation === undefined) return;
      if (event.generation !== this.#state.generation) {
        this.#completed = [];
        this.#inFlight.clear();
      }
      this.#state.generation = event.generation;
      this.#state.size = event.size;
      if (event.crc32c === undefined) delete this.#state.crc32c;
      else this.#state.crc32c = event.crc32c;
    } else {
      if (this.#state.generation === undefined) return;
      const range = { start: event.start, end: event.end, crc32c: event.crc32c };
      if (event.type === 'partial') {
        this.#inFlight.set(event.start, range);
      } else {
        this.#inFlight.delete(event.start);
        this.#complete(range);
      }
    }
    this.#state.ranges = [...this.#completed, ...this.#inFlight.values()];
    this.#writer.write(this.#state);
  };

  /** Waits for pending writes; rejects with the first write failure (the transfer itself went on). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Removes the journal (after success, or when its state is worthless). */
  async remove(): Promise<void> {
    await this.#writer.flush().catch(() => undefined);
    await removeDownloadJournal(this.#dest);
  }

  /** Adds a completed range, merging it with the stretches that end where it starts and start where it ends. */
  #complete(range: CompletedRange): void {
    const list = this.#completed;
    // The list is short (see the size bound above): a linear search is all it needs.
    const found = list.findIndex((entry) => entry.start >= range.start);
    let at = found === -1 ? list.length : found;
    let merged = range;
    const before = list[at - 1];
    if (before !== undefined && before.end === merged.start) {
      merged = joined(before, merged);
      at -= 1;
      list.splice(at, 1);
    }
    const after = list[at];
    if (after !== undefined && after.start === merged.end) {
      merged = joined(merged, after);
      list.splice(at, 1);
    }
    list.splice(at, 0, merged);
  }
}

/** The stretch `a` then `b` (`a.end === b.start`), with the CRC32C of their bytes one after the other. */
function joined(a: CompletedRange, b: CompletedRange): CompletedRange {
  return { start: a.start, end: b.end, crc32c: crc32cCombine(a.crc32c, b.crc32c, b.end - b.start) };
}

function parseState(data: unknown): DownloadJournalState | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const state = data as Partial<DownloadJournalState>;
  if (state.version !== 1 || state.kind !== 'download') return undefined;
  if (typeof state.endpoint !== 'string' || typeof state.object !== 'string' || !Array.isArray(state.ranges)) return undefined;
  if (state.generation !== undefined && (typeof state.generation !== 'string' || !/^\d+$/.test(state.generation))) return undefined;
  if (state.size !== undefined && !isCount(state.size)) return undefined;
  const ranges = state.ranges.filter(
    (r: unknown): r is CompletedRange =>
      typeof r === 'object' &&
      r !== null &&
      isCount((r as CompletedRange).start) &&
      isCount((r as CompletedRange).end) &&
      (r as CompletedRange).end > (r as CompletedRange).start &&
      Number.isInteger((r as CompletedRange).crc32c) &&
      (r as CompletedRange).crc32c >= 0 &&
      (r as CompletedRange).crc32c <= 0xffffffff,
  );
  if (ranges.length !== state.ranges.length || overlaps(ranges)) return undefined;
  return { ...(state as DownloadJournalState), ranges };
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function overlaps(ranges: readonly CompletedRange[]): boolean {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  return sorted.some((range, i) => i > 0 && range.start < (sorted[i - 1]?.end ?? 0));
}
