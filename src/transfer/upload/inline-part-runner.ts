/**
 * Parts on the main thread, through the caller's transport: used when the TransferManager was given a
 * `transport` (a JavaScript object cannot be moved into a worker thread). Same request, checksum, retry
 * policy and reports as a worker's; the part's file range is streamed from disk here, never held in memory.
 */
import { InvalidStateError } from '../../errors.js';
import type { UploadPartValue } from '../../pool/protocol.js';
import type { Transport } from '../../transport/transport.js';
import type { ResolvedTransferOptions } from '../options.js';
import { latestAttempt, type PartHooks, type PartRunner, type PartSpec } from './part-runner.js';
import { putPart } from './part-upload.js';

export class InlinePartRunner implements PartRunner {
  readonly #transport: Transport;
  readonly #settings: ResolvedTransferOptions;

  constructor(transport: Transport, settings: ResolvedTransferOptions) {
    this.#transport = transport;
    this.#settings = settings;
  }

  run(spec: PartSpec, hooks: PartHooks, signal: AbortSignal): Promise<UploadPartValue> {
    const { source } = spec.bytes;
    if (source === undefined) return Promise.reject(new InvalidStateError(`Part ${spec.partNumber} has no bytes to send`));
    const { checksum, retry, timeout } = this.#settings;
    return putPart(
      this.#transport,
      {
        uploadUrl: spec.uploadUrl,
        uploadId: spec.uploadId,
        partNumber: spec.partNumber,
        source,
        checksum: checksum ? 'crc32c' : null,
        // The transfer's own strategy (its onRetry and its shared budget), not the numbers a worker gets.
        retry,
        ...(timeout ? { timeout } : {}),
      },
      signal,
      latestAttempt((bytes) => hooks.onSent(bytes)),
    );
  }
}
