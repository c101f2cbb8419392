/**
 * `XMLMPUContainer`: the life cycle of an XML multipart upload — `POST ?uploads` to start
 * it, `GET ?uploadId=` to list the parts the server holds, `POST ?uploadId=` with the part list to assemble the
 * object, `DELETE ?uploadId=` to abandon it. Parts are sent by `XMLMPUPart`s, anywhere; the container only
 * records their numbers and ETags.
 *
 * Beyond Python: `finalize` refuses a part list that is not exactly 1..N and sends it in part order (Python sends
 * registration order); the upload id is percent-encoded in URLs; a retried complete or cancel whose first
 * attempt succeeded unseen (the answer was lost, so the retry finds no upload: `NoSuchUpload`) is recognised
 * instead of reported as a failure.
 */
import { parseGoogHash } from '../checksum/goog-hash.js';
import { DataCorruption, InvalidArgumentError, InvalidResponse, InvalidStateError, NotFound } from '../errors.js';
import { RetryStrategy } from '../transport/retry.js';
import { headerValue, readBodyText, type HttpRequest, type HttpResponse, type RequestOptions, type Transport } from '../transport/transport.js';
import {
  buildCompleteMultipartUpload,
  childText,
  parseInitiateMultipartUploadResult,
  parseListPartsResult,
  parseXml,
  type ListedPart,
} from '../util/xml.js';
import { requireStatus, responseContext } from './response-checks.js';
import { sendWithRetry } from './send-with-retry.js';
import { checkContentType, checkHeaders, checkInteger, checkUrl, describe } from './arguments.js';
import { MAX_PART_NUMBER } from './xml-mpu-part.js';

export interface XMLMPUContainerOptions {
  /**
   * Extra headers for the initiate, complete and cancel requests, e.g. customer-supplied encryption keys.
   * Copied at construction, names lower-cased.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The id of an upload already initiated, to resume it (list its parts, finalize or cancel it).
   * @default undefined
   */
  uploadId?: string;
}

export interface FinalizeOptions extends RequestOptions {
  /**
   * Base64 CRC32C the whole object must have (e.g. combined from the parts' CRCs). The complete answer's
   * `x-goog-hash` is checked against it (DataCorruption on a mismatch), and it lets a retried complete that
   * finds the upload gone confirm, with a HEAD of the object, that the earlier attempt did assemble it.
   * @default undefined
   */
  expectedCrc32c?: string;
}

/** What `finalize` resolves: what the server said about the assembled object. */
export interface FinalizedObject {
  /** `x-goog-generation` of the new object, when the server sent it. */
  generation?: string;
  /** Base64 CRC32C of the whole object from `x-goog-hash`, when the server sent it. */
  crc32c?: string;
  /** The object's ETag (from the result document, else the header). */
  etag?: string;
  /** The answer's headers (lower-case names). */
  headers: Record<string, string | string[]>;
}

/** The XML answers are small; a ListParts page of 1,000 parts is about 200 KB. */
const MAX_XML_BYTES = 1024 * 1024;

/**
 * Pages a ListParts answer may span: 10,000 parts at the smallest page size of 1 would be 10,000 pages; a
 * server that keeps going past that is looping.
 */
const MAX_LIST_PAGES = MAX_PART_NUMBER + 1;

/** GCS's answer when the upload id is unknown: never created, already completed, or cancelled. */
const NO_SUCH_UPLOAD = 'NoSuchUpload';

/**
 * An XML multipart upload of one object.
 *
 * @example
 * const container = new XMLMPUContainer(endpoint.xmlObjectUrl('bucket', 'big.bin'), 'big.bin');
 * await container.initiate(transport, 'application/octet-stream');
 * // ... upload parts with XMLMPUPart, then for each: container.registerPart(n, etag)
 * const { generation } = await container.finalize(transport);
 */
export class XMLMPUContainer {
  /** The object URL without a query (`{endpoint}/{bucket}/{encoded name}`). */
  readonly uploadUrl: string;
  /** The local file name, kept for the caller (unused, as in Python). */
  readonly filename: string;
  /** The retry policy of every request; replace it to change back-off or budget. */
  retryStrategy: RetryStrategy = new RetryStrategy();
  readonly #headers: Record<string, string>;
  readonly #parts = new Map<number, string>();
  #uploadId: string | undefined;
  #finished = false;

  /** @throws InvalidArgumentError for a URL that has a query or is not absolute http(s), or bad headers. */
  constructor(uploadUrl: string, filename: string, options: XMLMPUContainerOptions = {}) {
    this.uploadUrl = checkUrl(uploadUrl, 'uploadUrl', { allowQuery: false });
    if (typeof filename !== 'string') throw new InvalidArgumentError(`Expected \`filename\` to be a string, got ${describe(filename)}`);
    this.filename = filename;
    this.#headers = checkHeaders(options.headers);
    if (options.uploadId !== undefined) {
      if (typeof options.uploadId !== 'string' || options.uploadId === '') {
        throw new InvalidArgumentError(`Expected \`uploadId\` to be a non-empty string, got ${describe(options.uploadId)}`);
      }
      this.#uploadId = options.uploadId;
    }
  }

  /** The upload id, once initiated (or as given). */
  get uploadId(): string | undefined {
    return this.#uploadId;
  }

  /** True once the object was assembled. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The registered parts, part number → ETag, in part order. */
  get parts(): ReadonlyMap<number, string> {
    return new Map([...this.#parts].sort(([a], [b]) => a - b));
  }

  /** Records a part uploaded by an `XMLMPUPart`; registering a number again replaces its ETag. */
  registerPart(partNumber: number, etag: string): void {
    checkInteger(partNumber, 'partNumber', 1, MAX_PART_NUMBER);
    if (typeof etag !== 'string' || etag === '') {
      throw new InvalidArgumentError(`Expected \`etag\` to be a non-empty string, got ${typeof etag === 'string' ? "''" : describe(etag)}`);
    }
    this.#parts.set(partNumber, etag);
  }

  #query(query: string): string {
    return `${this.uploadUrl}?${query}`;
  }

  #requireUploadId(): string {
    if (this.#uploadId === undefined) throw new InvalidStateError('This upload has not yet been initiated.');
    return this.#uploadId;
  }

  #uploadIdQuery(): string {
    return `uploadId=${encodeURIComponent(this.#requireUploadId())}`;
  }

  // ---- initiate ----

  /** Sans-I/O half of `initiate`: `POST ?uploads`, no body, the extra headers plus `content-type`. */
  prepareInitiateRequest(contentType: string): HttpRequest {
    if (this.#uploadId !== undefined) throw new InvalidStateError('This upload has already been initiated.');
    checkContentType(contentType);
    return { method: 'POST', url: this.#query('uploads'), headers: { ...this.#headers, 'content-type': contentType }, body: null };
  }

  /** Sans-I/O: requires 200 and takes the `UploadId` of the `InitiateMultipartUploadResult`. */
  async processInitiateResponse(response: HttpResponse): Promise<string> {
    await requireStatus(response, [200], undefined, 'POST');
    const text = await readXml(response);
    this.#uploadId = parseInitiateMultipartUploadResult(text, { response: responseContext(response) });
    return this.#uploadId;
  }

  /** Starts the upload; resolves (and records) its id. */
  async initiate(transport: Transport, contentType: string, options: RequestOptions = {}): Promise<string> {
    const request = this.prepareInitiateRequest(contentType);
    return sendWithRetry(transport, this.retryStrategy, () => request, (r) => this.processInitiateResponse(r), options);
  }

  // ---- listParts ----

  /** Sans-I/O: the `GET ?uploadId=` of one ListParts page, starting after `marker`. */
  prepareListPartsRequest(marker?: number): HttpRequest {
    const query = marker === undefined ? this.#uploadIdQuery() : `${this.#uploadIdQuery()}&part-number-marker=${marker}`;
    return { method: 'GET', url: this.#query(query), headers: { ...this.#headers }, body: null };
  }

  /**
   * The parts the server holds, in part order, following `IsTruncated`/`NextPartNumberMarker` pages. Used to
   * resume an upload: parts listed with the expected size need not be sent again.
   *
   * @throws InvalidResponse for a refused request, a malformed page, or pages that do not advance.
   */
  async listParts(transport: Transport, options: RequestOptions = {}): Promise<ListedPart[]> {
    const parts = new Map<number, ListedPart>();
    let marker: number | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const request = this.prepareListPartsRequest(marker);
      const result = await sendWithRetry(
        transport,
        this.retryStrategy,
        () => request,
        async (response) => {
          await requireStatus(response, [200], undefined, 'GET');
          return { ...parseListPartsResult(await readXml(response), { response: responseContext(response) }), response };
        },
        options,
      );
      for (const part of result.parts) parts.set(part.partNumber, part);
      if (result.nextPartNumberMarker === undefined) return [...parts.values()].sort((a, b) => a.partNumber - b.partNumber);
      if (marker !== undefined && result.nextPartNumberMarker <= marker) {
        throw new InvalidResponse(
          `ListParts pagination does not advance: NextPartNumberMarker ${result.nextPartNumberMarker} after marker ${marker}`,
          { response: responseContext(result.response) },
        );
      }
      marker = result.nextPartNumberMarker;
    }
    throw new InvalidResponse(`ListParts answered more than ${MAX_LIST_PAGES} pages`);
  }

  // ---- finalize ----

  /**
   * Sans-I/O half of `finalize`: `POST ?uploadId=` with the `CompleteMultipartUpload` document, parts in order.
   * @throws InvalidStateError before initiate, and unless the registered parts are exactly 1..N (N >= 1).
   */
  prepareFinalizeRequest(): HttpRequest {
    const query = this.#uploadIdQuery();
    const numbers = [...this.#parts.keys()].sort((a, b) => a - b);
    if (numbers.length === 0) throw new InvalidStateError('Cannot finalize a multipart upload with no registered parts.');
    const missing = numbers.length === numbers.at(-1) ? [] : missingNumbers(numbers);
    if (missing.length > 0) {
      throw new InvalidStateError(
        `Cannot finalize: the registered parts must be exactly 1..N, but ${missing.length} part number(s) below ` +
          `${numbers.at(-1)} are missing (first: ${missing.slice(0, 5).join(', ')})`,
      );
    }
    const body = buildCompleteMultipartUpload(numbers.map((partNumber) => ({ partNumber, etag: this.#parts.get(partNumber) as string })));
    return { method: 'POST', url: this.#query(query), headers: { ...this.#headers }, body };
  }

  /**
   * Sans-I/O: requires 200 and a `CompleteMultipartUploadResult` (a 200 carrying an `<Error>` document, as S3
   * can send, is an InvalidResponse); checks `expectedCrc32c` against the answer's `x-goog-hash` when both exist.
   */
  async processFinalizeResponse(response: HttpResponse, expectedCrc32c?: string): Promise<FinalizedObject> {
    await requireStatus(response, [200], undefined, 'POST');
    const context = responseContext(response);
    const text = await readXml(response);
    let etag: string | undefined;
    if (text.trim() !== '') {
      const root = parseXml(text, { maxLength: MAX_XML_BYTES, response: context });
      if (root.name === 'Error') {
        const code = childText(root, 'Code');
        throw new InvalidResponse(`The complete request failed: ${code ?? 'unknown error'}: ${childText(root, 'Message') ?? ''}`, {
          response: responseContext(response, text),
          ...(code ? { gcsCode: code } : {}),
        });
      }
      etag = childText(root, 'ETag');
    }
    // Assembled, whatever the checks below say: the object exists now and the upload id is spent.
    this.#finished = true;
    const result = describeObject(response, context, expectedCrc32c);
    if (etag) result.etag = etag;
    return result;
  }

  /**
   * Assembles the object from the registered parts. A retry whose earlier attempt completed the upload unseen
   * gets `NoSuchUpload`: with `expectedCrc32c`, a HEAD of the object whose CRC32C matches confirms success;
   * without it, a NotFound explains that the outcome is unknown.
   */
  async finalize(transport: Transport, options: FinalizeOptions = {}): Promise<FinalizedObject> {
    const request = this.prepareFinalizeRequest();
    const { expectedCrc32c } = options;
    const outcome = await sendWithRetry(
      transport,
      this.retryStrategy,
      () => request,
      async (response, attempt): Promise<{ completed: FinalizedObject } | { gone: NotFound }> => {
        try {
          return { completed: await this.processFinalizeResponse(response, expectedCrc32c) };
        } catch (error) {
          // Only a retry can meet its own earlier success; a first attempt's NoSuchUpload is a plain failure.
          if (attempt > 0 && error instanceof NotFound && error.gcsCode === NO_SUCH_UPLOAD) return { gone: error };
          throw error;
        }
      },
      options,
    );
    if ('completed' in outcome) return outcome.completed;
    if (expectedCrc32c === undefined) {
      throw new NotFound(
        'The complete request was retried and the upload is gone (NoSuchUpload): an earlier attempt may have ' +
          'assembled the object, or the upload was cancelled. Pass `expectedCrc32c` to finalize() to have this checked.',
        { cause: outcome.gone, gcsCode: NO_SUCH_UPLOAD, ...(outcome.gone.response ? { response: outcome.gone.response } : {}) },
      );
    }
    return this.#confirmCompleted(transport, expectedCrc32c, outcome.gone, options);
  }

  /** HEADs the object after a lost completion: it exists with the expected CRC32C, or the finalize failed. */
  async #confirmCompleted(transport: Transport, expectedCrc32c: string, notFound: NotFound, options: RequestOptions): Promise<FinalizedObject> {
    const head: HttpRequest = { method: 'HEAD', url: this.uploadUrl, headers: { ...this.#headers }, body: null };
    const found = await sendWithRetry(
      transport,
      this.retryStrategy,
      () => head,
      async (response) => {
        if (response.status === 404) return undefined;
        await requireStatus(response, [200], undefined, 'HEAD');
        return describeObject(response, responseContext(response), undefined);
      },
      options,
    );
    if (!found || found.crc32c !== expectedCrc32c) {
      throw new NotFound(
        `The complete request was retried and the upload is gone (NoSuchUpload), and the object ` +
          (found ? `has CRC32C ${found.crc32c ?? '(none)'}, not the expected ${expectedCrc32c}` : 'does not exist') +
          ': the upload was not completed by this finalize',
        { cause: notFound, gcsCode: NO_SUCH_UPLOAD, ...(notFound.response ? { response: notFound.response } : {}) },
      );
    }
    this.#finished = true;
    return found;
  }

  // ---- cancel ----

  /** Sans-I/O half of `cancel`: `DELETE ?uploadId=`, no body, the extra headers. */
  prepareCancelRequest(): HttpRequest {
    return { method: 'DELETE', url: this.#query(this.#uploadIdQuery()), headers: { ...this.#headers }, body: null };
  }

  /**
   * Abandons the upload and deletes its parts; this cannot be undone. Requires 204. A retry that finds the
   * upload already gone (`NoSuchUpload` after an attempt whose answer was lost) counts as cancelled.
   * `finished` does not change.
   */
  async cancel(transport: Transport, options: RequestOptions = {}): Promise<void> {
    const request = this.prepareCancelRequest();
    await sendWithRetry(
      transport,
      this.retryStrategy,
      () => request,
      async (response, attempt) => {
        try {
          await requireStatus(response, [204], undefined, 'DELETE');
        } catch (error) {
          if (attempt > 0 && error instanceof NotFound && error.gcsCode === NO_SUCH_UPLOAD) return;
          throw error;
        }
      },
      options,
    );
  }
}

/** The numbers in 1..max(numbers) that `numbers` (sorted, distinct) lacks. */
function missingNumbers(numbers: number[]): number[] {
  const present = new Set(numbers);
  const missing: number[] = [];
  for (let n = 1; n <= (numbers.at(-1) ?? 0); n++) if (!present.has(n)) missing.push(n);
  return missing;
}

/** Reads an XML answer, refusing more than {@link MAX_XML_BYTES}. */
async function readXml(response: HttpResponse): Promise<string> {
  try {
    return await readBodyText(response.body, MAX_XML_BYTES);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InvalidResponse(`The XML answer is larger than ${MAX_XML_BYTES} bytes`, { response: responseContext(response), cause: error });
  }
}

/** Generation, CRC32C and ETag from an object answer's headers; checks `expectedCrc32c` when both are known. */
function describeObject(
  response: HttpResponse,
  context: ReturnType<typeof responseContext>,
  expectedCrc32c: string | undefined,
): FinalizedObject {
  const result: FinalizedObject = { headers: response.headers };
  const generation = headerValue(response.headers, 'x-goog-generation');
  const crc32c = parseGoogHash(response.headers['x-goog-hash'], 'crc32c', context);
  const etag = headerValue(response.headers, 'etag');
  if (generation !== undefined) result.generation = generation;
  if (crc32c !== undefined) result.crc32c = crc32c;
  if (etag !== undefined) result.etag = etag;
  if (expectedCrc32c !== undefined && crc32c !== undefined && crc32c !== expectedCrc32c) {
    throw new DataCorruption(
      `The assembled object's CRC32C ${crc32c} differs from the expected ${expectedCrc32c}: the parts registered are not the bytes intended`,
      { algorithm: 'crc32c', expected: expectedCrc32c, actual: crc32c, response: context },
    );
  }
  return result;
}
