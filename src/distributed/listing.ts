/**
 * Enumeration, a page at a time, for the listing tasks: the JSON API's object listing (`GET …/o?prefix=…
 * &pageToken=…`) and a local directory read in batches. Kept small and separate so that it can be swapped for
 * the many-objects engine's listing once that exists.
 */
import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidResponse } from '../errors.js';
import { requireStatus, responseContext } from '../media/response-checks.js';
import { sendWithRetry } from '../media/send-with-retry.js';
import type { GcsEndpoint } from '../transport/endpoint.js';
import type { RetryStrategy } from '../transport/retry.js';
import { readBodyText, type HttpResponse, type RequestOptions, type Transport } from '../transport/transport.js';

/** Objects per listing page: the JSON API's maximum. */
export const LIST_PAGE_SIZE = 1000;

/** A listed object: what a download task needs to fetch and verify it. */
export interface ListedObject {
  name: string;
  size: number;
  generation: string;
  /** Base64 CRC32C, when the server has one (composite objects have one; some old objects may not). */
  crc32c?: string;
}

export interface ListPage {
  objects: ListedObject[];
  nextPageToken?: string;
}

/** A listing page is at most a few hundred KiB of JSON. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

/** One page of the objects under `prefix`. */
export async function listBucketPage(
  transport: Transport,
  endpoint: GcsEndpoint,
  retry: RetryStrategy,
  bucket: string,
  prefix: string,
  pageToken: string | undefined,
  options: RequestOptions = {},
): Promise<ListPage> {
  const base = endpoint.objectMetadataUrl(bucket, 'x').replace(/\/o\/x$/, '/o');
  const query = new URLSearchParams({ prefix, maxResults: String(LIST_PAGE_SIZE), fields: 'items(name,size,generation,crc32c),nextPageToken' });
  if (pageToken !== undefined) query.set('pageToken', pageToken);
  return getJson(transport, retry, `${base}?${query.toString()}`, options, (json, response) => {
    const body = json as { items?: unknown[]; nextPageToken?: unknown };
    const objects = (body.items ?? []).map((item) => listedObject(item, response));
    const next = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
    return { objects, ...(next === undefined ? {} : { nextPageToken: next }) };
  });
}

/** One object's metadata (a single-object download). */
export async function statObject(
  transport: Transport,
  endpoint: GcsEndpoint,
  retry: RetryStrategy,
  bucket: string,
  name: string,
  options: RequestOptions = {},
): Promise<ListedObject> {
  const url = `${endpoint.objectMetadataUrl(bucket, name)}?fields=name,size,generation,crc32c`;
  return getJson(transport, retry, url, options, listedObject);
}

/** A JSON API GET under the retry policy; `parse` turns the document into the result. */
async function getJson<T>(
  transport: Transport,
  retry: RetryStrategy,
  url: string,
  options: RequestOptions,
  parse: (json: unknown, response: HttpResponse) => T,
): Promise<T> {
  return sendWithRetry(
    transport,
    retry,
    () => ({ method: 'GET', url, headers: { accept: 'application/json' }, body: null }),
    async (response) => {
      await requireStatus(response, [200], undefined, 'GET');
      const text = await readBodyText(response.body, MAX_PAGE_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new InvalidResponse('The JSON API answer is not JSON', { response: responseContext(response, text), cause });
      }
      return parse(json, response);
    },
    options,
  );
}

function listedObject(item: unknown, response: HttpResponse): ListedObject {
  const { name, size, generation, crc32c } = (item ?? {}) as Record<string, unknown>;
  const bytes = Number(size);
  if (typeof name !== 'string' || name === '' || !Number.isSafeInteger(bytes) || bytes < 0 || typeof generation !== 'string') {
    throw new InvalidResponse(`The listing has a malformed entry: ${JSON.stringify(item).slice(0, 200)}`, { response: responseContext(response) });
  }
  return { name, size: bytes, generation, ...(typeof crc32c === 'string' ? { crc32c } : {}) };
}

/** A batch of a local directory: its regular files (with sizes) and subdirectories, relative to the root. */
export interface DirectoryBatch {
  files: { rel: string; size: number }[];
  dirs: string[];
}

/**
 * Reads the directory `rel` under `root` a batch at a time (memory bounded by `batchSize` entries, whatever
 * the directory holds). Regular files and symbolic links to regular files are listed; links to directories
 * are not followed (no cycles); sockets, FIFOs and devices are skipped.
 */
export async function* readDirectoryBatches(root: string, rel: string, batchSize: number): AsyncGenerator<DirectoryBatch> {
  const dir = await opendir(rel === '' ? root : join(root, rel), { bufferSize: Math.min(batchSize, 1024) });
  let batch: DirectoryBatch = { files: [], dirs: [] };
  for await (const entry of dir) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) batch.dirs.push(child);
    else if (entry.isFile() || entry.isSymbolicLink()) {
      const info = await stat(join(root, child)).catch(() => undefined);
      if (info?.isFile()) batch.files.push({ rel: child, size: info.size });
    }
    if (batch.files.length + batch.dirs.length >= batchSize) {
      yield batch;
      batch = { files: [], dirs: [] };
    }
  }
  if (batch.files.length + batch.dirs.length > 0) yield batch;
}
