/**
 * A Transport that takes a slot of the manager's {@link RequestBudget} for every request, from the moment it is
 * sent until its response body has been consumed, dumped or destroyed (a streaming download holds its slot
 * while its bytes arrive). This is how every main-thread request of a TransferManager — ranges, single-request
 * uploads, control requests, listings, copies — shares one `maxConnections` and one back-off, without the
 * protocol classes knowing about it. Retries re-enter the queue: no slot is held while a retry sleeps.
 */
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../transport/transport.js';
import { statusOfError, type RequestBudget } from './request-budget.js';

export class ScheduledTransport implements Transport {
  readonly #inner: Transport;
  readonly #budget: RequestBudget;

  constructor(inner: Transport, budget: RequestBudget) {
    this.#inner = inner;
    this.#budget = budget;
  }

  async request(request: HttpRequest, options: RequestOptions = {}): Promise<HttpResponse> {
    const slot = await this.#budget.acquire(options.signal);
    let response: HttpResponse;
    try {
      response = await this.#inner.request(request, options);
    } catch (error) {
      slot.release(statusOfError(error));
      throw error;
    }
    const { body, status } = response;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      body.off('end', release).off('close', release).off('error', release);
      slot.release(status);
    };
    if (body.destroyed || body.readableEnded) release();
    else body.once('end', release).once('close', release).once('error', release);
    return response;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
