/**
 * The JSON API's bucket and object endpoints (everything under `/storage/v1` and the `/download` media URL).
 * Uploads live in upload-api.ts and resumable-api.ts.
 */
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { selectObject, serveMedia } from './media.js';
import { bucketResource, objectResource } from './object-resource.js';
import { checkRead, preconditionsFromQuery } from './preconditions.js';
import { validBucket } from './routes.js';
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

export async function insertBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  const text = (await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8');
  let name: unknown;
  try {
    name = (JSON.parse(text) as { name?: unknown }).name;
  } catch {
    throw badRequest('The bucket resource is not valid JSON.', 'InvalidArgument', 'parseError');
  }
  if (typeof name !== 'string') throw badRequest('Required field "name" is missing.', 'InvalidArgument', 'required');
  await sendJson(x, 200, bucketResource(store.createBucket(validBucket(name)), x.baseUrl));
}

export async function getBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = store.ensureBucket(x.route.bucket ?? '');
  await sendJson(x, 200, bucketResource(bucket, x.baseUrl));
}

/** Object listing with `prefix`, `delimiter`, `maxResults` and `pageToken`, as the JSON API pages it. */
export async function listObjects(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = x.route.bucket ?? '';
  store.ensureBucket(bucket);
  const prefix = x.query.get('prefix') ?? '';
  const delimiter = x.query.get('delimiter') ?? '';
  const max = Number(x.query.get('maxResults') ?? 1000);
  if (!Number.isSafeInteger(max) || max < 1) throw badRequest(`Invalid value for maxResults: "${x.query.get('maxResults')}".`);
  const token = x.query.get('pageToken');
  const after = token === null ? undefined : Buffer.from(token, 'base64url').toString('utf8');
  const items: Record<string, unknown>[] = [];
  const prefixes = new Set<string>();
  let last: string | undefined;
  let more = false;
  for (const object of store.list(bucket, prefix)) {
    if (after !== undefined && object.name <= after) continue;
    const cut = delimiter === '' ? -1 : object.name.indexOf(delimiter, prefix.length);
    const rolledUp = cut >= 0 ? object.name.slice(0, cut + delimiter.length) : undefined;
    if (rolledUp !== undefined && prefixes.has(rolledUp)) continue;
    if (items.length + prefixes.size >= max) {
      more = true;
      break;
    }
    if (rolledUp !== undefined) prefixes.add(rolledUp);
    else items.push(objectResource(object, x.baseUrl));
    last = object.name;
  }
  const body: Record<string, unknown> = { kind: 'storage#objects', items };
  if (prefixes.size > 0) body.prefixes = [...prefixes];
  if (more && last !== undefined) body.nextPageToken = Buffer.from(last, 'utf8').toString('base64url');
  await sendJson(x, 200, body);
}

/** `GET …/o/{object}`: the resource, or the bytes with `alt=media` (and always on the download URL). */
export async function getObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), preconditionsFromQuery(x.query));
  if (x.op === 'media') return serveMedia(x, store, object);
  await sendJson(x, 200, objectResource(object, x.baseUrl));
}

export async function deleteObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), {});
  checkRead(object, preconditionsFromQuery(x.query));
  store.delete(bucket, name);
  await x.respond(204, {});
}
