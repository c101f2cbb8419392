/**
 * `gcs-transfer/distributed`: one transfer across many machines, on BullMQ and Redis. Submit a transfer, run
 * workers on any number of machines, watch it. Importing the package root loads none of this (nor BullMQ).
 *
 * @example
 * ```ts
 * import { submitTransfer, startWorker, waitForTransfer } from 'gcs-transfer/distributed';
 * const worker = await startWorker({ queue: 'redis://redis:6379' });          // on every machine
 * const { name } = await submitTransfer({ queue: 'redis://redis:6379', source: '/data/export',
 *   destination: 'gs://bucket/export/', recursive: true });                      // once
 * const status = await waitForTransfer('redis://redis:6379', name);
 * console.log(status.state, status.objectsDone, status.failures);
 * ```
 */
export { submitTransfer, getTransferStatus, waitForTransfer } from './submit.js';
export type { SubmitOptions, WaitOptions } from './submit.js';
export { startWorker, DEFAULT_LEASE_MS, DEFAULT_WORKER_CONCURRENCY } from './worker.js';
export type { TransferWorker, WorkerEvent, WorkerOptions } from './worker.js';
export { parseQueueUrl } from './queue-url.js';
export type { QueueConnection } from './queue-url.js';
export type { JobStatus, JobState, ObjectFailure } from './job-state.js';
export type { JobSpec } from './job-spec.js';
export { DEFAULT_ATTEMPTS } from './queue-names.js';
