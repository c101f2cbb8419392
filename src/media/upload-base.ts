/**
 * What the single-request uploads (`SimpleUpload`, `MultipartUpload`) share: google-resumable-media's
 * `UploadBase` — the URL, extra headers, the one-shot `finished` flag, the retry strategy — and the handling of
 * the one response: the upload is finished as soon as a response arrives, whatever its status (Python's
 * "tombstone before the status check"), and the object resource it carries is checked against the checksum sent.
 */
import { assertChecksumType, createHasher, metadataKey, type ChecksumType } from '../checksum/hasher.js';
import { InvalidStateError } from '../errors.js';
import { RetryStrategy } from '../transport/retry.js';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../transport/transport.js';
import { readObjectResource, type ObjectResource } from './object-resource.js';
import { requireStatus, responseContext } from './response-checks.js';
import { sendWithRetry } from './send-with-retry.js';
import { checkHeaders, checkUrl } from './arguments.js';
import { validateUploadChecksum } from './upload-checksum.js';

export interface UploadBaseOptions {
  /**
   * Extra request headers, e.g. customer-supplied encryption keys. Copied at construction (names lower-cased);
   * unlike Python, the caller's object is never modified.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * Checksum of the data, computed locally: the server refuses the upload when its bytes do not match it, and
   * the object resource it answers with is compared with it (DataCorruption on a mismatch).
   * @default null (no checksum, as in google-resumable-media)
   */
  checksum?: ChecksumType;
}

export abstract class UploadBase {
  /** The URL the data is sent to, e.g. `…/upload/storage/v1/b/BUCKET/o?uploadType=media&name=NAME`. */
  readonly uploadUrl: string;
  /** The retry policy of `transmit`; replace it to change back-off or budget. */
  retryStrategy: RetryStrategy = new RetryStrategy();
  readonly #headers: Record<string, string>;
  readonly #checksum: ChecksumType;
  #finished = false;
  /** The digest of the data being sent, to compare with the server's answer. */
  #sentDigest: string | undefined;

  protected constructor(uploadUrl: string, options: UploadBaseOptions = {}) {
    this.uploadUrl = checkUrl(uploadUrl, 'uploadUrl');
    this.#headers = checkHeaders(options.headers);
    const checksum = options.checksum ?? null;
    assertChecksumType(checksum);
    this.#checksum = checksum;
  }

  /** True once a response to the upload request has arrived (even an error): an upload is used only once. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The checksum type given at construction. */
  get checksum(): ChecksumType {
    return this.#checksum;
  }

  /** A fresh copy of the extra headers. */
  protected get headers(): Record<string, string> {
    return { ...this.#headers };
  }

  /**
   * Starts preparing the one request: refuses a finished upload and digests `data` when a checksum is set.
   * @returns the base64 digest of `data`, or undefined without a checksum.
   */
  protected beginRequest(data: Uint8Array): string | undefined {
    if (this.#finished) throw new InvalidStateError('An upload can only be used once.');
    const hasher = createHasher(this.#checksum);
    hasher?.update(data);
    this.#sentDigest = hasher?.digest();
    return this.#sentDigest;
  }

  /**
   * Sans-I/O half of `transmit`: marks the upload finished, requires status 200 (201 is not accepted, as in
   * Python), reads the object resource and validates its checksum when one was sent.
   */
  async processResponse(response: HttpResponse): Promise<ObjectResource> {
    this.#finished = true;
    await requireStatus(response, [200], undefined, 'POST');
    const resource = await readObjectResource(response);
    if (this.#checksum !== null && this.#sentDigest !== undefined) {
      const key = metadataKey(this.#checksum);
      const remote = resource[key];
      validateUploadChecksum(this.#checksum, this.#sentDigest, typeof remote === 'string' ? remote : undefined, responseContext(response), key);
    }
    return resource;
  }

  /** Sends `request` (the same bytes on every attempt) and processes the answer. */
  protected send(transport: Transport, request: HttpRequest, options: RequestOptions): Promise<ObjectResource> {
    return sendWithRetry(transport, this.retryStrategy, () => request, (response) => this.processResponse(response), options);
  }
}
