/**
 * The JSON API's bucket and object endpoints (everything under `/storage/v1` and the `/download` media URL).
 * Uploads live in upload-api.ts and resumable-api.ts.
 */
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { selectObject, serveMedia } from './media.js';
import { listPage, type ListOptions } from './listing.js';
import { objectResource } from './object-resource.js';
import { checkWrite, preconditionsFromQuery } from './preconditions.js';
import type { EmulatorState } from './state.js';

const JSON_TYPE = 'application/json; charset=UTF-8';

export function sendJson(x: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  return x.respond(status, { 'content-type': JSON_TYPE, ...headers }, JSON.stringify(body));
}

/** The route's bucket and object; the router guarantees both for object routes. */
export function target(x: Exchange): { bucket: string; object: string } {
  const { bucket, object } = x.route;
  if (bucket === undefined || object === undefined) throw badRequest('The request does not name an object.');
  return { bucket, object };
}

/** Largest metadata body accepted (JSON resources, XML documents): far above any real one. */
export const SMALL_BODY_LIMIT = 2 * 1024 * 1024;

/** The JSON API pages at most this many entries, whatever `maxResults` asks. */
export const MAX_LIST_RESULTS = 1000;

/**
 * objects.list: `prefix`, `delimiter`, `includeTrailingDelimiter`, `startOffset`, `endOffset`, `matchGlob`,
 * `maxResults` (≤ 1000) and `pageToken`. Buckets are not versioned here, so `versions=true` lists the live
 * objects, as GCS does for a bucket without versioning.
 */
export async function listObjects(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = x.route.bucket ?? '';
  store.ensureBucket(bucket);
  const q = x.query;
  const rawMax = q.get('maxResults');
  const max = rawMax === null || rawMax === '' ? MAX_LIST_RESULTS : Number(rawMax);
  if (!Number.isSafeInteger(max) || max < 1) throw badRequest(`Invalid value for maxResults: "${rawMax}".`);
  const token = q.get('pageToken');
  const options: ListOptions = { max: Math.min(max, MAX_LIST_RESULTS), includeTrailingDelimiter: q.get('includeTrailingDelimiter') === 'true' };
  for (const [param, key] of [['prefix', 'prefix'], ['delimiter', 'delimiter'], ['startOffset', 'startOffset'], ['endOffset', 'endOffset'], ['matchGlob', 'matchGlob']] as const) {
    const value = q.get(param);
    if (value !== null) options[key] = value;
  }
  if (token !== null && token !== '') options.after = decodePageToken(token);
  const from = [options.after, options.startOffset].reduce<string>((a, b) => (b !== undefined && b > a ? b : a), '');
  const page = listPage(store.list(bucket, options.prefix ?? '', from), options);
  const body: Record<string, unknown> = { kind: 'storage#objects', items: page.items.map((object) => objectResource(object, x.baseUrl)) };
  if (page.prefixes.length > 0) body.prefixes = page.prefixes;
  if (page.next !== undefined) body.nextPageToken = Buffer.from(page.next, 'utf8').toString('base64url');
  await sendJson(x, 200, body);
}

function decodePageToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw badRequest(`Invalid page token "${token.slice(0, 100)}".`, 'InvalidArgument', 'invalid');
  return Buffer.from(token, 'base64url').toString('utf8');
}

/** `GET …/o/{object}`: the resource, or the bytes with `alt=media` (and always on the download URL). */
export async function getObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), preconditionsFromQuery(x.query, x.req.headers));
  if (x.op === 'media') return serveMedia(x, store, object);
  await sendJson(x, 200, objectResource(object, x.baseUrl));
}

export async function deleteObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), {});
  checkWrite(object, preconditionsFromQuery(x.query, x.req.headers));
  store.delete(bucket, name);
  await x.respond(204, {});
}
