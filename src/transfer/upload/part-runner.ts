/**
 * How the parts of a multipart upload are sent: the seam between the multipart job (which plans, counts,
 * resubmits after protocol errors, checkpoints and verifies on the main thread) and whatever sends the bytes.
 * Two implementations, as for download ranges: {@link PooledPartRunner} sends each part from a worker thread
 * (the default), {@link InlinePartRunner} on the main thread (for a caller-supplied transport, which cannot
 * cross into a worker).
 */
import type { TaskSource, UploadPartValue } from '../../pool/protocol.js';

/** A part's bytes, as the job holds them between attempts. */
export interface PartBytes {
  /**
   * A runner that moves a buffer away (to a worker) puts back what it got back, or undefined when the buffer
   * was lost (with its worker): no further attempt is possible then.
   */
  source: TaskSource | undefined;
}

export interface PartSpec {
  /** The object's XML URL, without a query. */
  uploadUrl: string;
  uploadId: string;
  partNumber: number;
  bytes: PartBytes;
}

export interface PartHooks {
  /**
   * Bytes of the part handed to the network by its current request; lower again when a request starts over.
   * Must not throw.
   */
  onSent(bytes: number): void;
}

export interface PartRunner {
  /**
   * Sends the part once (the request layer's retries included). Resolves with what the server accepted;
   * rejects with the part's error.
   */
  run(spec: PartSpec, hooks: PartHooks, signal: AbortSignal): Promise<UploadPartValue>;
}

/**
 * Progress of one send, whose requests report `(attempt, bytes)`: a late report of an earlier attempt (a
 * retried request) must not move the count back up.
 */
export function latestAttempt(onSent: (bytes: number) => void): (attempt: number, bytes: number) => void {
  let latest = -1;
  return (attempt, bytes) => {
    if (attempt < latest) return;
    latest = attempt;
    onSent(bytes);
  };
}
