/**
 * Maps a request line to what it asks for: which API answers it (JSON or path-style XML), the operation it
 * is counted and fault-matched as, and the bucket and object it names. Paths are split and percent-decoded
 * by hand, never through WHATWG URL parsing, which would resolve `..` segments inside object names.
 */
import { badRequest, type Api, GcsErrorReply } from './errors.js';
import type { Op } from './operations.js';

/** Finer than `Op`: the handler that answers. */
export type Action =
  | 'bucket-insert'
  | 'bucket-get'
  | 'object-list'
  | 'object-get'
  | 'object-delete'
  | 'upload-media'
  | 'upload-multipart'
  | 'resumable-initiate'
  | 'resumable-put'
  | 'resumable-cancel'
  | 'xml-get'
  | 'xml-head'
  | 'xml-put'
  | 'xml-delete'
  | 'mpu-initiate'
  | 'mpu-upload-part'
  | 'mpu-list-parts'
  | 'mpu-complete'
  | 'mpu-abort'
  | 'control'
  | 'not-found';

export interface Route {
  api: Api;
  op: Op;
  action: Action;
  bucket?: string;
  object?: string;
  /** The raw path, before decoding. */
  path: string;
  /** Form-decoded query (`+` is a space there, as GCS reads `name=`). */
  query: URLSearchParams;
  /** Set when the request is malformed (bad percent-encoding, invalid names): answer it and nothing else. */
  error?: GcsErrorReply;
}

const JSON_OBJECT = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/s;
const JSON_DOWNLOAD = /^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/s;
const JSON_OBJECTS = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/;
const JSON_BUCKET = /^\/storage\/v1\/b\/([^/]+)\/?$/;
const JSON_UPLOAD = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/;

export function routeRequest(method: string, rawUrl: string): Route {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const base = { path, query };
  const json = (op: Op, action: Action, bucket?: string, object?: string): Route =>
    withNames({ ...base, api: 'json', op, action }, bucket, object);

  if (path.startsWith('/_emulator/')) return { ...base, api: 'json', op: 'other', action: 'control' };

  let m: RegExpExecArray | null;
  if (path === '/storage/v1/b' || path === '/storage/v1/b/') {
    return method === 'POST' ? json('bucket-insert', 'bucket-insert') : json('other', 'not-found');
  }
  if ((m = JSON_OBJECTS.exec(path))) return method === 'GET' ? json('other', 'object-list', m[1]) : json('other', 'not-found');
  if ((m = JSON_BUCKET.exec(path))) return method === 'GET' ? json('other', 'bucket-get', m[1]) : json('other', 'not-found');
  if ((m = JSON_DOWNLOAD.exec(path))) return method === 'GET' ? json('media', 'object-get', m[1], m[2]) : json('other', 'not-found');
  if ((m = JSON_OBJECT.exec(path))) {
    if (method === 'GET') return json(query.get('alt') === 'media' ? 'media' : 'metadata', 'object-get', m[1], m[2]);
    if (method === 'DELETE') return json('other', 'object-delete', m[1], m[2]);
    return json('other', 'not-found');
  }
  if ((m = JSON_UPLOAD.exec(path))) return uploadRoute(method, query, (op, action) => json(op, action, m?.[1]));
  if (path.startsWith('/storage/') || path.startsWith('/upload/') || path.startsWith('/download/')) return json('other', 'not-found');
  return xmlRoute(method, path, query);
}

function uploadRoute(method: string, query: URLSearchParams, make: (op: Op, action: Action) => Route): Route {
  const type = query.get('uploadType');
  if (query.has('upload_id')) {
    if (method === 'PUT' || method === 'POST') return make('resumable-put', 'resumable-put');
    if (method === 'DELETE') return make('resumable-cancel', 'resumable-cancel');
    return make('other', 'not-found');
  }
  if (method !== 'POST') return make('other', 'not-found');
  if (type === 'media') return make('upload-media', 'upload-media');
  if (type === 'multipart') return make('upload-multipart', 'upload-multipart');
  if (type === 'resumable') return make('resumable-initiate', 'resumable-initiate');
  const route = make('other', 'not-found');
  route.error = badRequest(`Invalid upload type "${type ?? ''}"; expected media, multipart or resumable.`, 'InvalidArgument', 'invalidParameter');
  return route;
}

function xmlRoute(method: string, path: string, query: URLSearchParams): Route {
  const slash = path.indexOf('/', 1);
  const base = { path, query, api: 'xml' as const };
  if (slash < 0) {
    const bucket = path.slice(1);
    return withNames({ ...base, op: 'other', action: 'not-found' }, bucket === '' ? undefined : bucket);
  }
  const bucket = path.slice(1, slash);
  const object = path.slice(slash + 1);
  const at = (op: Op, action: Action): Route => withNames({ ...base, op, action }, bucket, object === '' ? undefined : object);
  if (object === '') return at('other', 'not-found');
  switch (method) {
    case 'GET':
      return query.has('uploadId') ? at('mpu-list-parts', 'mpu-list-parts') : at('xml-get', 'xml-get');
    case 'HEAD':
      return at('xml-head', 'xml-head');
    case 'PUT':
      return query.has('uploadId') || query.has('partNumber') ? at('mpu-upload-part', 'mpu-upload-part') : at('other', 'xml-put');
    case 'POST':
      if (query.has('uploads')) return at('mpu-initiate', 'mpu-initiate');
      if (query.has('uploadId')) return at('mpu-complete', 'mpu-complete');
      return at('other', 'not-found');
    case 'DELETE':
      return query.has('uploadId') ? at('mpu-abort', 'mpu-abort') : at('other', 'xml-delete');
    default:
      return at('other', 'not-found');
  }
}

/** Decodes and validates the raw bucket and object segments; a bad one turns the route into an error. */
function withNames(route: Route, rawBucket?: string, rawObject?: string): Route {
  try {
    if (rawBucket !== undefined) route.bucket = validBucket(decodePath(rawBucket));
    if (rawObject !== undefined) route.object = validObjectName(decodePath(rawObject));
  } catch (error) {
    if (!(error instanceof GcsErrorReply)) throw error;
    route.error = error;
  }
  return route;
}

/** Percent-decodes a path segment. `+` stays a plus sign: only query strings are form-encoded. */
function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`The URI path "${raw.slice(0, 200)}" is not valid percent-encoded UTF-8.`, 'InvalidURI');
  }
}

/** GCS's bucket naming rules (lower case letters, digits, `-`, `_`, `.`; 3–222 characters). */
export function validBucket(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name)) {
    throw badRequest(`Invalid bucket name: "${name.slice(0, 250)}".`, 'InvalidBucketName');
  }
  return name;
}

/** GCS's object naming rules: 1–1024 bytes of UTF-8, no CR or LF, not `.` or `..`. */
export function validObjectName(name: string): string {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > 1024 || /[\r\n]/.test(name) || name === '.' || name === '..' || /[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    throw badRequest(`The object name "${name.slice(0, 250)}" is not valid: it must be 1-1024 bytes of UTF-8 without CR or LF, and not "." or "..".`, 'InvalidArgument');
  }
  return name;
}
