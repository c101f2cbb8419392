/**
 * Everything a handler may touch, passed explicitly so handlers stay plain functions of (exchange, state).
 */
import type { Exchange } from './exchange.js';
import type { FaultController } from './faults.js';
import type { Metrics } from './metrics.js';
import type { MultipartUploads } from './multipart-uploads.js';
import type { ResumableSessions } from './resumable-sessions.js';
import type { RewriteJobs } from './rewrite-jobs.js';
import type { ObjectStore } from './store.js';

export interface EmulatorState {
  store: ObjectStore;
  resumable: ResumableSessions;
  multipart: MultipartUploads;
  rewrites: RewriteJobs;
  faults: FaultController;
  metrics: Metrics;
}

/** A request handler. It answers through the exchange or throws a `GcsErrorReply`. */
export type Handler = (x: Exchange, state: EmulatorState) => Promise<void>;
