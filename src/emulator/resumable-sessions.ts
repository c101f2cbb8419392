/**
 * Resumable upload sessions. Each session appends to its own file on disk and hashes bytes as they are
 * persisted, so the final object's MD5 and CRC32C are ready the moment the last byte lands. Requests on one
 * session are serialised: GCS accepts one writer at a time, and the hashes need bytes in order.
 */
import { randomBytes } from 'node:crypto';
import { InvalidStateError } from '../errors.js';
import { rmSync, writeFileSync } from 'node:fs';
import { HashingFile } from './hash-pool.js';
import type { Digests } from './hashes.js';
import type { Preconditions } from './preconditions.js';
import type { ObjectMeta, ObjectStore, StoredObject } from './store.js';

/** GCS persists non-final chunks in multiples of this; clients must send at least this much per chunk. */
export const RESUMABLE_GRANULARITY = 256 * 1024;

export interface ResumableSession {
  readonly id: string;
  readonly bucket: string;
  readonly name: string;
  readonly meta: ObjectMeta;
  /** Hashes the client declared in the initiate body, checked at finalisation. */
  readonly expected: Partial<Digests>;
  readonly preconditions: Preconditions;
  readonly path: string;
  /** Total size, once the client has said it (initiate header or a `/N` in a Content-Range). */
  total: number | undefined;
  /** Bytes safely on disk: the offset the next chunk must start at (or below). */
  persisted: number;
  state: 'active' | 'finalized' | 'cancelled';
  /** The object, once finalised: later status queries answer with it. */
  result?: StoredObject;
}

interface SessionInternals {
  session: ResumableSession;
  /** The session's data file, open in a hashing thread for the session's lifetime. */
  file: HashingFile;
  lock: Promise<void>;
}

export class ResumableSessions {
  readonly #store: ObjectStore;
  readonly #sessions = new Map<string, SessionInternals>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  create(init: Pick<ResumableSession, 'bucket' | 'name' | 'meta' | 'expected' | 'preconditions' | 'total'>): ResumableSession {
    const id = randomBytes(24).toString('base64url');
    const session: ResumableSession = { ...init, id, path: this.#store.tempPath('resumable'), persisted: 0, state: 'active' };
    // The data file exists from the start, so an empty upload (no chunk ever appended) can be committed.
    writeFileSync(session.path, '');
    this.#sessions.set(id, { session, file: new HashingFile(session.path, { flags: 'a' }), lock: Promise.resolve() });
    return session;
  }

  get(id: string): ResumableSession | undefined {
    return this.#sessions.get(id)?.session;
  }

  /** Runs `fn` with the session to itself (requests on one session never overlap). */
  async exclusive<T>(session: ResumableSession, fn: () => Promise<T>): Promise<T> {
    const internals = this.#internals(session);
    const previous = internals.lock;
    let release = (): void => undefined;
    internals.lock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Appends the bytes of one chunk request that starts at absolute offset `start`. Bytes below `persisted`
   * (a re-send) are skipped, as GCS trims them. Unless `keepTail`, only whole 256 KiB blocks are persisted and
   * the remainder is dropped, as GCS does for a non-final chunk. If the client disconnects, what was persisted
   * stays persisted and the error propagates.
   */
  async append(session: ResumableSession, body: AsyncIterable<Buffer>, start: number, maxBytes: number | undefined, keepTail: boolean): Promise<number> {
    const { file } = this.#internals(session);
    let offset = start;
    let received = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const persist = async (piece: Buffer): Promise<void> => {
      session.persisted += piece.byteLength;
      await file.write(piece);
    };
    try {
      for await (const chunk of body) {
        received += chunk.byteLength;
        const room = maxBytes === undefined ? chunk.byteLength : Math.max(0, maxBytes - (offset - start));
        const piece = chunk.subarray(0, Math.min(chunk.byteLength, room));
        const next = session.persisted + pendingBytes;
        const fresh = piece.subarray(Math.max(0, Math.min(piece.byteLength, next - offset)));
        offset += piece.byteLength;
        if (fresh.byteLength === 0) continue;
        if (keepTail) {
          await persist(fresh);
          continue;
        }
        pending.push(fresh);
        pendingBytes += fresh.byteLength;
        const aligned = Math.floor((session.persisted + pendingBytes) / RESUMABLE_GRANULARITY) * RESUMABLE_GRANULARITY;
        let toPersist = aligned - session.persisted;
        if (toPersist <= 0) continue;
        const rest: Buffer[] = [];
        for (const buffer of pending) {
          if (toPersist >= buffer.byteLength) {
            toPersist -= buffer.byteLength;
            pendingBytes -= buffer.byteLength;
            await persist(buffer);
          } else if (toPersist > 0) {
            await persist(buffer.subarray(0, toPersist));
            rest.push(buffer.subarray(toPersist));
            pendingBytes -= toPersist;
            toPersist = 0;
          } else {
            rest.push(buffer);
          }
        }
        pending = rest;
      }
    } finally {
      // Persisted bytes must reach the file even when the request died: the session stays resumable.
      await file.flush();
    }
    return received;
  }

  /** The final digests; call once, when the last byte is persisted. */
  async digest(session: ResumableSession): Promise<Digests> {
    const { file } = this.#internals(session);
    try {
      return await file.digest();
    } finally {
      await file.close();
    }
  }

  /** Cancels the session (a DELETE, or a failed finalisation): its data file is removed. */
  cancel(session: ResumableSession): void {
    session.state = 'cancelled';
    const internals = this.#sessions.get(session.id);
    void internals?.file.close();
    rmSync(session.path, { force: true });
  }

  /** Forgets sessions and removes their data (emulator shutdown). */
  clear(): void {
    for (const { session, file } of this.#sessions.values()) {
      void file.close();
      rmSync(session.path, { force: true });
    }
    this.#sessions.clear();
  }

  #internals(session: ResumableSession): SessionInternals {
    const internals = this.#sessions.get(session.id);
    if (!internals) throw new InvalidStateError(`Unknown resumable session ${session.id}`);
    return internals;
  }
}
