/**
 * The JSON API's object calls other than moving bytes, one exchange each under the retry policy: a listing
 * page (`objects.list`), an object's metadata (`objects.get`, or "absent"), a delete (`objects.delete`) and a
 * server-side copy step (`objects.rewrite`, which moves no bytes through the client and is looped on
 * `rewriteToken`). The many-object layer builds on all of them; an upload's generation precondition on the
 * metadata call.
 */
import { InvalidResponse, NotFound } from '../errors.js';
import { readObjectResource, type ObjectResource } from '../media/object-resource.js';
import { requireStatus, responseContext } from '../media/response-checks.js';
import { sendWithRetry } from '../media/send-with-retry.js';
import type { RetryStrategy } from '../transport/retry.js';
import { readBodyText, type HttpResponse, type TimeoutOptions } from '../transport/transport.js';
import type { GcsEndpoint } from '../transport/endpoint.js';
import type { Transport } from '../transport/transport.js';
import type { ObjectRef } from './object-ref.js';

/** What the calls need: a transport, the endpoint, and the retry policy and timeouts a call does not set. */
export interface ObjectApiContext {
  transport: Transport;
  endpoint: GcsEndpoint;
  defaults: { retry: RetryStrategy; timeout: TimeoutOptions | undefined };
}

/** One object as a listing or `stat` describes it. */
export interface ObjectInfo {
  bucket: string;
  name: string;
  /** Bytes. */
  size: number;
  generation?: string;
  metageneration?: string;
  /** Base64 big-endian CRC32C, as GCS reports it. */
  crc32c?: string;
  md5Hash?: string;
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** RFC 3339 time of the last change. */
  updated?: string;
  storageClass?: string;
  metadata?: Record<string, string>;
}

/** One page of a listing. */
export interface ListPage {
  objects: ObjectInfo[];
  /** With a delimiter: the "directories" (common prefixes) on this page, each ending in the delimiter. */
  prefixes: string[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

export interface ListPageQuery {
  prefix?: string;
  delimiter?: string;
  pageToken?: string;
  /** Server-side filter in GCS's `matchGlob` syntax (`*`, `**`, `?`, `[…]`, `{a,b}`). */
  matchGlob?: string;
  /** Objects per page (GCS caps it at 1000). */
  maxResults?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  retry?: RetryStrategy;
  timeout?: TimeoutOptions;
}

/** A listing page is at most 1,000 resources of a few KiB; anything far beyond that is a broken server. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;

/** One JSON API exchange under the call's (or the manager's) retry policy and timeouts. */
function call<T>(
  context: ObjectApiContext,
  request: { method: 'GET' | 'POST' | 'DELETE'; url: string; headers?: Record<string, string>; body?: string },
  accepted: readonly number[],
  process: (response: HttpResponse) => Promise<T>,
  options: CallOptions,
): Promise<T> {
  const timeout = options.timeout ?? context.defaults.timeout;
  return sendWithRetry(
    context.transport,
    options.retry ?? context.defaults.retry,
    () => ({ method: request.method, url: request.url, headers: request.headers ?? {}, ...(request.body === undefined ? {} : { body: request.body }) }),
    async (response) => {
      await requireStatus(response, accepted, undefined, request.method);
      return process(response);
    },
    { ...(options.signal ? { signal: options.signal } : {}), ...(timeout ? { timeout } : {}) },
  );
}

function bucketUrl(context: ObjectApiContext, bucket: string): string {
  return `${context.endpoint.url}/storage/v1/b/${encodeURIComponent(bucket)}/o`;
}

/** `objects.list`: one page. */
export async function listPage(context: ObjectApiContext, bucket: string, query: ListPageQuery, options: CallOptions = {}): Promise<ListPage> {
  const params = new URLSearchParams();
  if (query.prefix) params.set('prefix', query.prefix);
  if (query.delimiter) params.set('delimiter', query.delimiter);
  if (query.pageToken) params.set('pageToken', query.pageToken);
  if (query.matchGlob) params.set('matchGlob', query.matchGlob);
  if (query.maxResults !== undefined) params.set('maxResults', String(query.maxResults));
  const url = `${bucketUrl(context, bucket)}?${params.toString()}`;
  return call(
    context,
    { method: 'GET', url },
    [200],
    async (response) => {
      const body = await readJson(response, MAX_PAGE_BYTES);
      const items = Array.isArray(body.items) ? body.items : [];
      const prefixes = Array.isArray(body.prefixes) ? body.prefixes.filter((p): p is string => typeof p === 'string') : [];
      const page: ListPage = { objects: items.map((item) => objectInfo(item as ObjectResource, bucket, response)), prefixes };
      if (typeof body.nextPageToken === 'string' && body.nextPageToken !== '') page.nextPageToken = body.nextPageToken;
      return page;
    },
    options,
  );
}

/** `objects.get` (metadata). @throws NotFound when there is no such object. */
export async function getObjectInfo(context: ObjectApiContext, ref: ObjectRef, options: CallOptions = {}): Promise<ObjectInfo> {
  let url = context.endpoint.objectMetadataUrl(ref.bucket, ref.name);
  if (ref.generation !== undefined) url += `?generation=${ref.generation}`;
  return call(context, { method: 'GET', url }, [200], async (response) => objectInfo(await readObjectResource(response), ref.bucket, response), options);
}

/** `objects.get`, or undefined when there is no such object. */
export async function statIfExists(context: ObjectApiContext, ref: ObjectRef, options: CallOptions = {}): Promise<ObjectInfo | undefined> {
  try {
    return await getObjectInfo(context, ref, options);
  } catch (error) {
    if (error instanceof NotFound) return undefined;
    throw error;
  }
}

/**
 * `objects.delete`. With `ifGenerationMatch`, only that generation is deleted (412 otherwise), so a retried
 * delete never removes an object written in between.
 * @throws NotFound when there is no such object.
 */
export async function deleteObjectCall(
  context: ObjectApiContext,
  ref: ObjectRef,
  options: CallOptions & { ifGenerationMatch?: string } = {},
): Promise<void> {
  const params = new URLSearchParams();
  if (ref.generation !== undefined) params.set('generation', ref.generation);
  if (options.ifGenerationMatch !== undefined) params.set('ifGenerationMatch', options.ifGenerationMatch);
  const query = params.toString();
  const url = `${context.endpoint.objectMetadataUrl(ref.bucket, ref.name)}${query === '' ? '' : `?${query}`}`;
  await call(context, { method: 'DELETE', url }, [200, 204], async () => undefined, options);
}

/** What one `objects.rewrite` call answered. */
export interface RewriteStep {
  done: boolean;
  totalBytesRewritten: number;
  objectSize: number;
  rewriteToken?: string;
  resource?: ObjectInfo;
}

/**
 * One `objects.rewrite` call (`POST …/o/SRC/rewriteTo/b/DST/o/DST`). GCS copies the bytes itself; a large
 * copy across locations or storage classes may take several calls, each continuing from `rewriteToken`.
 */
export async function rewriteStep(
  context: ObjectApiContext,
  source: ObjectRef,
  destination: ObjectRef,
  query: { rewriteToken?: string; ifGenerationMatch?: string; sourceGeneration?: string; maxBytesRewrittenPerCall?: number },
  options: CallOptions = {},
): Promise<RewriteStep> {
  const params = new URLSearchParams();
  if (query.rewriteToken !== undefined) params.set('rewriteToken', query.rewriteToken);
  if (query.ifGenerationMatch !== undefined) params.set('ifGenerationMatch', query.ifGenerationMatch);
  if (query.sourceGeneration !== undefined) params.set('sourceGeneration', query.sourceGeneration);
  if (query.maxBytesRewrittenPerCall !== undefined) params.set('maxBytesRewrittenPerCall', String(query.maxBytesRewrittenPerCall));
  const destinationPath = context.endpoint.objectMetadataUrl(destination.bucket, destination.name).replace(/^.*\/storage\/v1\//, '');
  const search = params.toString();
  const url = `${context.endpoint.objectMetadataUrl(source.bucket, source.name)}/rewriteTo/${destinationPath}${search === '' ? '' : `?${search}`}`;
  return call(
    context,
    { method: 'POST', url, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: '{}' },
    [200],
    async (response) => {
      const body = await readJson(response, 1024 * 1024);
      const step: RewriteStep = {
        done: body.done === true,
        totalBytesRewritten: Number(body.totalBytesRewritten ?? 0),
        objectSize: Number(body.objectSize ?? 0),
      };
      if (typeof body.rewriteToken === 'string' && body.rewriteToken !== '') step.rewriteToken = body.rewriteToken;
      if (typeof body.resource === 'object' && body.resource !== null) {
        step.resource = objectInfo(body.resource as ObjectResource, destination.bucket, response);
      }
      if (!step.done && step.rewriteToken === undefined) {
        throw new InvalidResponse('The rewrite is not done but the answer carries no rewriteToken to continue with', {
          response: responseContext(response),
        });
      }
      return step;
    },
    options,
  );
}

async function readJson(response: HttpResponse, limit: number): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readBodyText(response.body, limit);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InvalidResponse(`The response is larger than ${limit} bytes`, { response: responseContext(response), cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Reported below with the start of the body.
  }
  throw new InvalidResponse('The response body is not a JSON object', { response: responseContext(response, text.slice(0, 512)) });
}

/** An object resource as ObjectInfo; a resource without a name or a valid size is a broken answer. */
function objectInfo(resource: ObjectResource, bucket: string, response: HttpResponse): ObjectInfo {
  const size = Number(resource.size);
  if (typeof resource.name !== 'string' || resource.name === '' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidResponse(`An object resource lacks a name or a valid size: ${JSON.stringify(resource).slice(0, 200)}`, {
      response: responseContext(response),
    });
  }
  const info: ObjectInfo = { bucket: typeof resource.bucket === 'string' ? resource.bucket : bucket, name: resource.name, size };
  for (const key of ['generation', 'metageneration', 'crc32c', 'md5Hash', 'contentType', 'contentEncoding', 'cacheControl', 'contentDisposition', 'updated', 'storageClass'] as const) {
    const value = resource[key];
    if (typeof value === 'string') info[key] = value;
  }
  const metadata = resource.metadata;
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) {
    info.metadata = Object.fromEntries(Object.entries(metadata).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  return info;
}
