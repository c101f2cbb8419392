/**
 * `MultipartUpload`: metadata and data in one `uploadType=multipart` request.
 */
import { metadataKey } from '../checksum/hasher.js';
import type { HttpRequest, RequestOptions, Transport } from '../transport/transport.js';
import { toPythonJson, type ObjectMetadata } from './json-metadata.js';
import { buildMultipartBody, generateBoundary, multipartContentType } from './multipart-body.js';
import type { ObjectResource } from './object-resource.js';
import { checkBytes, checkContentType, checkMetadata } from './arguments.js';
import { UploadBase, type UploadBaseOptions } from './upload-base.js';

export type MultipartUploadOptions = UploadBaseOptions;

/**
 * Uploads bytes together with their metadata (name, content type, custom metadata) in a single
 * `multipart/related` request.
 *
 * @example
 * const upload = new MultipartUpload(endpoint.uploadUrl('bucket', 'multipart'), { checksum: 'crc32c' });
 * const object = await upload.transmit(transport, data, { name: 'a.bin' }, 'application/octet-stream');
 */
export class MultipartUpload extends UploadBase {
  /**
   * @param uploadUrl e.g. `https://storage.googleapis.com/upload/storage/v1/b/BUCKET/o?uploadType=multipart`.
   * @throws InvalidArgumentError for a URL that is not absolute http(s), bad headers or checksum type.
   */
  constructor(uploadUrl: string, options: MultipartUploadOptions = {}) {
    super(uploadUrl, options);
  }

  /**
   * Sans-I/O half of `transmit`. With a checksum, the metadata sent carries `crc32c`/`md5Hash` set to the
   * digest of `data` (replacing any value given, in place when the key exists, otherwise last), which the
   * server checks the bytes against. The caller's `metadata` object is not modified (Python mutates it).
   *
   * @param boundary The multipart boundary; random by default, fixed only by tests.
   */
  prepareRequest(data: Uint8Array, metadata: ObjectMetadata, contentType: string, boundary: string = generateBoundary()): HttpRequest {
    checkBytes(data);
    checkContentType(contentType);
    checkMetadata(metadata);
    const digest = this.beginRequest(data);
    const sent = digest !== undefined && this.checksum !== null ? { ...metadata, [metadataKey(this.checksum)]: digest } : metadata;
    const body = buildMultipartBody(boundary, toPythonJson(sent), data, contentType);
    const headers = { ...this.headers, 'content-type': multipartContentType(boundary) };
    return { method: 'POST', url: this.uploadUrl, headers, body };
  }

  /**
   * Uploads `data` with `metadata` and resolves the new object's resource. Retryable failures re-send the same
   * body under `retryStrategy`.
   *
   * @throws InvalidResponse for a status other than 200 (the upload is finished anyway; a checksum the server
   *   refuses is a 400); DataCorruption when the stored object's checksum differs from the one computed here.
   */
  async transmit(
    transport: Transport,
    data: Uint8Array,
    metadata: ObjectMetadata,
    contentType: string,
    options: RequestOptions = {},
  ): Promise<ObjectResource> {
    return this.send(transport, this.prepareRequest(data, metadata, contentType), options);
  }
}
