/**
 * What the many-object layer needs from its TransferManager: the scheduled transport, the endpoint, the
 * scheduler's budgets, the manager's defaults, and the per-object operations it builds on (the same functions
 * the single-object methods call), so a many-object job is those operations driven by one scheduler.
 */
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { GcsEndpoint } from '../../transport/endpoint.js';
import type { Transport } from '../../transport/transport.js';
import type { ObjectRef } from '../object-ref.js';
import type {
  DownloadResult,
  TransferDefaults,
  TransferDownloadOptions,
  TransferUploadOptions,
  UploadResult,
} from '../options.js';

export interface ManyContext {
  transport: Transport;
  endpoint: GcsEndpoint;
  scheduler: Scheduler;
  defaults: TransferDefaults;
  /** `knownSize`: the object's size from a listing, when there was one (small objects skip the worker pool). */
  downloadFile(source: ObjectRef, destPath: string, options: TransferDownloadOptions, knownSize?: number): Promise<DownloadResult>;
  uploadFile(srcPath: string, destination: ObjectRef, options: TransferUploadOptions): Promise<UploadResult>;
}
