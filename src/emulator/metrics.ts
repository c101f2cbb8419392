import { zeroPerOp, type Op } from './operations.js';

/** What `Metrics.snapshot()` returns: a plain, JSON-serialisable copy that later requests do not change. */
export interface MetricsSnapshot {
  /** Requests started, per operation (fault-injected answers included). */
  requests: Record<Op, number>;
  /** The most requests in flight at once, over all operations. */
  peakConcurrent: number;
  /** The most requests of each operation in flight at once. */
  peakConcurrentByOp: Record<Op, number>;
  /** Requests in flight right now. */
  inFlight: number;
  /** Request body bytes read. */
  bytesIn: number;
  /** Response body bytes written. */
  bytesOut: number;
}

/**
 * Request counters that tests assert on: how many requests of each kind, how many ran at once (to check a
 * client's concurrency cap) and how many bytes moved. Control endpoints are not counted.
 */
export class Metrics {
  #requests = zeroPerOp();
  #inFlightByOp = zeroPerOp();
  #peakByOp = zeroPerOp();
  #inFlight = 0;
  #peak = 0;
  #bytesIn = 0;
  #bytesOut = 0;

  /** Records the start of a request; call the returned function exactly once when it ends. */
  begin(op: Op): () => void {
    this.#requests[op] += 1;
    this.#inFlight += 1;
    this.#inFlightByOp[op] += 1;
    this.#peak = Math.max(this.#peak, this.#inFlight);
    this.#peakByOp[op] = Math.max(this.#peakByOp[op], this.#inFlightByOp[op]);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inFlight -= 1;
      this.#inFlightByOp[op] -= 1;
    };
  }

  addBytesIn(n: number): void {
    this.#bytesIn += n;
  }

  addBytesOut(n: number): void {
    this.#bytesOut += n;
  }

  snapshot(): MetricsSnapshot {
    return {
      requests: { ...this.#requests },
      peakConcurrent: this.#peak,
      peakConcurrentByOp: { ...this.#peakByOp },
      inFlight: this.#inFlight,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
    };
  }

  /**
   * Zeroes the counters. Requests still in flight stay counted in `inFlight` (they will end later), so the
   * peaks restart from the current concurrency rather than from 0.
   */
  reset(): void {
    this.#requests = zeroPerOp();
    this.#peakByOp = { ...this.#inFlightByOp };
    this.#peak = this.#inFlight;
    this.#bytesIn = 0;
    this.#bytesOut = 0;
  }
}
