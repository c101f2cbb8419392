/**
 * `SimpleUpload`: the whole object in one `uploadType=media` request, without metadata.
 */
import { formatGoogHash } from '../checksum/goog-hash.js';
import type { HttpRequest, RequestOptions, Transport } from '../transport/transport.js';
import type { ObjectResource } from './object-resource.js';
import { checkBytes, checkContentType } from './arguments.js';
import { UploadBase, type UploadBaseOptions } from './upload-base.js';

export type SimpleUploadOptions = UploadBaseOptions;

/**
 * Uploads bytes in a single request. Suits small objects: nothing can be resumed, and a retry re-sends
 * everything.
 *
 * @example
 * const upload = new SimpleUpload(endpoint.uploadUrl('bucket', 'media', { name: 'a.txt' }));
 * const object = await upload.transmit(transport, Buffer.from('hello'), 'text/plain');
 */
export class SimpleUpload extends UploadBase {
  /**
   * @param uploadUrl e.g. `https://storage.googleapis.com/upload/storage/v1/b/BUCKET/o?uploadType=media&name=NAME`.
   * @throws InvalidArgumentError for a URL that is not absolute http(s), bad headers or checksum type.
   */
  constructor(uploadUrl: string, options: SimpleUploadOptions = {}) {
    super(uploadUrl, options);
  }

  /**
   * Sans-I/O half of `transmit`: the POST carrying `data` with its content type, plus `x-goog-hash` when a
   * checksum is set (the server then refuses bytes that do not match it).
   * @throws InvalidStateError when the upload was already used; InvalidArgumentError for non-bytes data.
   */
  prepareRequest(data: Uint8Array, contentType: string): HttpRequest {
    checkBytes(data);
    checkContentType(contentType);
    const digest = this.beginRequest(data);
    const headers: Record<string, string> = { ...this.headers, 'content-type': contentType };
    if (digest !== undefined && this.checksum !== null) headers['x-goog-hash'] = formatGoogHash({ [this.checksum]: digest });
    return { method: 'POST', url: this.uploadUrl, headers, body: data };
  }

  /**
   * Uploads `data` and resolves the new object's resource (`name`, `size`, `generation`, `crc32c`, ...).
   * Retryable failures re-send the whole request under `retryStrategy`.
   *
   * @throws InvalidResponse for a status other than 200 (the upload is finished anyway);
   *   DataCorruption when the stored object's checksum differs from the one computed here.
   */
  async transmit(transport: Transport, data: Uint8Array, contentType: string, options: RequestOptions = {}): Promise<ObjectResource> {
    return this.send(transport, this.prepareRequest(data, contentType), options);
  }
}
