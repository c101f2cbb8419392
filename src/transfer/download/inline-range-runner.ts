/**
 * Ranges on the main thread, through the caller's transport: used when the TransferManager was given a
 * `transport` (a JavaScript object cannot be moved into a worker thread). Same protocol, same checks, same
 * stores as the pooled runner; only the thread differs.
 */
import type { RawChunkedDownload } from '../../media/chunked-download.js';
import type { Transport } from '../../transport/transport.js';
import type { ResolvedTransferOptions } from '../options.js';
import { fetchRange, objectHead } from './range-fetch.js';
import { RangeReceiver, type RangeStore } from './range-receiver.js';
import type { RangeHooks, RangeOutcome, RangeRunner, RangeSpec } from './range-runner.js';

export class InlineRangeRunner implements RangeRunner {
  readonly #transport: Transport;
  readonly #store: RangeStore;
  readonly #settings: ResolvedTransferOptions;
  readonly #label: string;

  constructor(transport: Transport, store: RangeStore, settings: ResolvedTransferOptions, label: string) {
    this.#transport = transport;
    this.#store = store;
    this.#settings = settings;
    this.#label = label;
  }

  async run(spec: RangeSpec, hooks: RangeHooks, signal: AbortSignal): Promise<RangeOutcome> {
    let attempt: RawChunkedDownload | undefined;
    const receiver: RangeReceiver = new RangeReceiver({
      index: spec.index,
      start: spec.start,
      limit: spec.limit,
      discard: spec.discard,
      store: this.#store,
      onFirstBytes: () => {
        if (attempt !== undefined) hooks.onHead?.(objectHead(attempt));
      },
      onStored: (added) => hooks.onStored(receiver.written, receiver.crc32c, added),
    });
    const { timeout, retry } = this.#settings;
    const head = await fetchRange(
      this.#transport,
      receiver,
      { url: spec.url, endInclusive: spec.endInclusive, pinned: spec.pinned, retry, ...(timeout ? { timeout } : {}), label: this.#label },
      signal,
      (download) => (attempt = download),
    );
    return { written: receiver.written, crc32c: receiver.crc32c, head };
  }
}
