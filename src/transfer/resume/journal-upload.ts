/**
 * The resume journal of a multipart upload from a local file. The destination is remote, so the journal lives
 * in a state directory (like gcloud's tracker files), named by a hash of what identifies the transfer: the
 * endpoint, the object and the source file's real path. It records the source file's fingerprint (size,
 * mtime, inode), the uploadId and part size, and every part the server accepted with its ETag and CRC32C. It
 * is rewritten durably after the upload is initiated and after each part, and removed once the object exists.
 *
 * On resume, a changed fingerprint means the file changed: the old upload is abandoned (the caller cancels it)
 * and the upload starts over. Otherwise the engine reconciles the recorded parts with ListParts and re-hashes
 * their bytes from the file, so only parts that are provably on the server and still match are reused.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CompletedPart } from '../../errors.js';
import { JournalWriter, readJournalFile } from './journal-file.js';
import type { UploadCheckpoint } from '../options.js';

/** What a journal must match to be reused: the same file to the same object through the same endpoint. */
export interface UploadIdentity {
  endpoint: string;
  /** `gs://bucket/name`. */
  object: string;
  /** Absolute, symlink-free path of the source file. */
  source: string;
}

/** What identifies the content of the source file without reading it. */
export interface SourceFingerprint {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** The journal's on-disk form (version 1). */
export interface UploadJournalState extends UploadIdentity {
  version: 1;
  kind: 'upload';
  fingerprint: SourceFingerprint;
  uploadId?: string;
  partSize?: number;
  parts: CompletedPart[];
}

export interface UploadResumePlan {
  /** The engine's `resume` option, when an upload can be continued. */
  resume?: { uploadId: string; partSize: number; parts: CompletedPart[] };
  /** An upload left open by an earlier run that cannot be continued: cancel it (best effort). */
  abandoned?: { uploadId: string };
  /** Bytes recorded as uploaded (the engine reuses those the server still has). */
  recordedBytes: number;
  /** Why earlier state was discarded (for the user). */
  notes: string[];
}

/**
 * Where upload journals live: `GCS_TRANSFER_STATE_DIR`, else `$XDG_STATE_HOME/gcs-transfer`, else
 * `~/.local/state/gcs-transfer` (the XDG default).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GCS_TRANSFER_STATE_DIR) return env.GCS_TRANSFER_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'gcs-transfer');
  return join(homedir(), '.local', 'state', 'gcs-transfer');
}

/**
 * The journal path for a transfer. Creates the directory (mode 0700: journals hold upload IDs, which are
 * enough to write to an upload).
 */
export async function uploadJournalPath(stateDir: string, identity: UploadIdentity): Promise<string> {
  const dir = join(stateDir, 'uploads');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = createHash('sha256').update(JSON.stringify([identity.endpoint, identity.object, identity.source])).digest('hex');
  return join(dir, `${key.slice(0, 32)}.json`);
}

/** Reads and checks an upload journal. Never throws for a bad or stale one: it says why in `notes`. */
export async function planUploadResume(
  journalPath: string,
  identity: UploadIdentity,
  fingerprint: SourceFingerprint,
): Promise<UploadResumePlan> {
  const fresh = (note?: string, abandoned?: string): UploadResumePlan => ({
    recordedBytes: 0,
    notes: note === undefined ? [] : [note],
    ...(abandoned === undefined ? {} : { abandoned: { uploadId: abandoned } }),
  });
  const loaded = await readJournalFile(journalPath);
  if (loaded === undefined) return fresh();
  if ('error' in loaded) return fresh(`starting over: the resume journal ${journalPath} is unusable (${loaded.error})`);
  const state = parseState(loaded.data);
  if (state === undefined) return fresh(`starting over: ${journalPath} is not an upload journal this version understands`);
  // The path is derived from the identity; a mismatch means a hash collision or a hand-edited file.
  if (state.endpoint !== identity.endpoint || state.object !== identity.object || state.source !== identity.source) {
    return fresh(`starting over: ${journalPath} describes another transfer`);
  }
  if (state.uploadId === undefined || state.partSize === undefined) return fresh();
  const changed = describeChange(state.fingerprint, fingerprint);
  if (changed !== undefined) {
    return fresh(`starting over: ${identity.source} changed since the interrupted upload (${changed})`, state.uploadId);
  }
  return {
    resume: { uploadId: state.uploadId, partSize: state.partSize, parts: state.parts },
    recordedBytes: state.parts.reduce((total, part) => total + part.size, 0),
    notes: [],
  };
}

/**
 * Records an upload's checkpoints. Hand `onCheckpoint` to the engine; `remove()` once the object exists.
 */
export class UploadJournal {
  readonly #writer: JournalWriter<UploadJournalState>;
  readonly #state: UploadJournalState;
  readonly #parts = new Map<number, CompletedPart>();

  /** `resumed` is the state an earlier run recorded and this run continues. */
  constructor(
    journalPath: string,
    identity: UploadIdentity,
    fingerprint: SourceFingerprint,
    resumed?: { uploadId: string; partSize: number; parts: readonly CompletedPart[] },
  ) {
    this.#writer = new JournalWriter(journalPath);
    this.#state = { version: 1, kind: 'upload', ...identity, fingerprint, parts: [] };
    if (resumed) {
      this.#state.uploadId = resumed.uploadId;
      this.#state.partSize = resumed.partSize;
      for (const part of resumed.parts) this.#parts.set(part.partNumber, { ...part });
    }
  }

  get path(): string {
    return this.#writer.path;
  }

  /** The engine's `onCheckpoint`: called synchronously, in order. */
  readonly onCheckpoint = (event: UploadCheckpoint): void => {
    if (event.type === 'initiated') {
      this.#state.uploadId = event.uploadId;
      this.#state.partSize = event.partSize;
      this.#parts.clear();
    } else {
      // A part sent again (its recorded copy was not on the server) replaces the old record.
      this.#parts.set(event.partNumber, { partNumber: event.partNumber, etag: event.etag, crc32c: event.crc32c, size: event.size });
    }
    this.#state.parts = [...this.#parts.values()].sort((a, b) => a.partNumber - b.partNumber);
    this.#writer.write(this.#state);
  };

  /** Waits for pending writes; rejects with the first write failure (the transfer itself went on). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Removes the journal (after success, or when the upload it records is gone). */
  remove(): Promise<void> {
    return this.#writer.remove();
  }
}

function describeChange(saved: SourceFingerprint, now: SourceFingerprint): string | undefined {
  if (saved.size !== now.size) return `size ${saved.size} → ${now.size} bytes`;
  if (saved.mtimeMs !== now.mtimeMs) {
    return `modified ${new Date(saved.mtimeMs).toISOString()} → ${new Date(now.mtimeMs).toISOString()}`;
  }
  if (saved.ino !== now.ino) return 'replaced by another file';
  return undefined;
}

function parseState(data: unknown): UploadJournalState | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const state = data as Partial<UploadJournalState>;
  if (state.version !== 1 || state.kind !== 'upload') return undefined;
  if (typeof state.endpoint !== 'string' || typeof state.object !== 'string' || typeof state.source !== 'string') return undefined;
  const fp = state.fingerprint;
  if (typeof fp !== 'object' || fp === null || !isCount(fp.size) || typeof fp.mtimeMs !== 'number' || !isCount(fp.ino)) return undefined;
  if (state.uploadId !== undefined && (typeof state.uploadId !== 'string' || state.uploadId === '')) return undefined;
  if (state.partSize !== undefined && !(isCount(state.partSize) && state.partSize > 0)) return undefined;
  if (!Array.isArray(state.parts)) return undefined;
  const valid = state.parts.every(
    (p: unknown) =>
      typeof p === 'object' &&
      p !== null &&
      isCount((p as CompletedPart).partNumber) &&
      (p as CompletedPart).partNumber >= 1 &&
      typeof (p as CompletedPart).etag === 'string' &&
      typeof (p as CompletedPart).crc32c === 'string' &&
      isCount((p as CompletedPart).size),
  );
  return valid ? (state as UploadJournalState) : undefined;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
