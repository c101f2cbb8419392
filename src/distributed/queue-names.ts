/** The BullMQ queue every distributed transfer shares: workers take tasks of any job from it. */
export const QUEUE_NAME = 'tasks';

/** Task attempts before a task fails its object. @default 5 */
export const DEFAULT_ATTEMPTS = 5;

/** Times a task may lose its worker (crash, kill, a stalled event loop) before it fails. */
export const MAX_STALLED = 2;

/** BullMQ's back-off between attempts: 1 s, 2 s, 4 s, 8 s. */
export const RETRY_BACKOFF = { type: 'exponential', delay: 1000 } as const;
