/**
 * Rewrites in progress (objects.rewrite with a `rewriteToken`). A job pins the source's bytes at its first
 * call by hard-linking its files (nothing is copied, and the source may change or vanish meanwhile), then
 * reports progress call by call until the destination is committed.
 */
import { randomBytes } from 'node:crypto';
import type { Digests } from './hashes.js';
import type { ObjectMeta, ObjectStore } from './store.js';

export interface RewriteJob {
  readonly token: string;
  /** `srcBucket/srcName → destBucket/destName`: a token is only valid for the rewrite that issued it. */
  readonly route: string;
  readonly files: { path: string; size: number }[];
  readonly size: number;
  readonly digests: Digests;
  readonly xmlEtag: string;
  readonly componentCount: number | undefined;
  readonly meta: ObjectMeta;
  rewritten: number;
}

/** What a rewrite call copies when the client sets no `maxBytesRewrittenPerCall`: objects above it take several calls. */
export const DEFAULT_REWRITE_BYTES_PER_CALL = 1024 * 1024 * 1024;

export class RewriteJobs {
  readonly #store: ObjectStore;
  readonly #jobs = new Map<string, RewriteJob>();
  /** Bytes per call when the client does not say. */
  readonly bytesPerCall: number;

  constructor(store: ObjectStore, bytesPerCall = DEFAULT_REWRITE_BYTES_PER_CALL) {
    this.#store = store;
    this.bytesPerCall = bytesPerCall;
  }

  create(init: Omit<RewriteJob, 'token' | 'rewritten'>): RewriteJob {
    const job: RewriteJob = { ...init, token: randomBytes(32).toString('base64url'), rewritten: 0 };
    this.#jobs.set(job.token, job);
    return job;
  }

  get(token: string): RewriteJob | undefined {
    return this.#jobs.get(token);
  }

  /** Ends the job; its pinned files are removed unless `keepFiles` (they became the destination). */
  finish(job: RewriteJob, keepFiles = false): void {
    this.#jobs.delete(job.token);
    if (!keepFiles) for (const file of job.files) this.#store.discard(file.path);
  }

  /** Drops every job and its pinned files (emulator shutdown). */
  clear(): void {
    for (const job of [...this.#jobs.values()]) this.finish(job);
  }
}
