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
  | 'bucket-list'
  | 'bucket-get'
  | 'bucket-patch'
  | 'bucket-delete'
  | 'object-list'
  | 'object-get'
  | 'object-patch'
  | 'object-delete'
  | 'object-copy'
  | 'object-rewrite'
  | 'object-compose'
  | 'object-move'
  | 'batch'
  | 'upload-media'
  | 'upload-multipart'
  | 'resumable-initiate'
  | 'resumable-put'
  | 'resumable-cancel'
  | 'xml-bucket-get'
  | 'xml-bucket-head'
  | 'xml-bucket-put'
  | 'xml-bucket-delete'
  | 'xml-list-uploads'
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
  | 'not-implemented';

export interface Route {
  api: Api;
  op: Op;
  action: Action;
  bucket?: string;
  object?: string;
  /** The destination of a copy, rewrite or move. */
  destBucket?: string;
  destObject?: string;
  /** The raw path, before decoding. */
  path: string;
  /** Form-decoded query (`+` is a space there, as GCS reads `name=`). */
  query: URLSearchParams;
  /** What a 501 names: the method and the operation the request asked for. */
  operation?: string;
  /** Set when the request is malformed (bad percent-encoding, invalid names): answer it and nothing else. */
  error?: GcsErrorReply;
}

const JSON_OBJECT = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/s;
const JSON_COPY = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)\/(copyTo|rewriteTo)\/b\/([^/]+)\/o\/(.+)$/s;
const JSON_MOVE = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)\/moveTo\/o\/(.+)$/s;
const JSON_COMPOSE = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)\/compose$/s;
const JSON_DOWNLOAD = /^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/s;
const JSON_OBJECTS = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/;
const JSON_BUCKET = /^\/storage\/v1\/b\/([^/]+)\/?$/;
const JSON_UPLOAD = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/;
const BATCH = /^\/batch\/storage\/v1\/?$/;

/** XML sub-resources (`?acl`, `?cors`, …) the emulator does not implement: answered 501, never as an object read. */
const XML_SUBRESOURCES = ['acl', 'cors', 'lifecycle', 'location', 'logging', 'storageClass', 'versioning', 'website', 'billing', 'encryptionConfig', 'tagging', 'retention', 'legalHold'];

export function routeRequest(method: string, rawUrl: string): Route {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const base = { path, query };
  const json = (op: Op, action: Action, bucket?: string, object?: string): Route =>
    withNames({ ...base, api: 'json', op, action }, bucket, object);
  const unsupported = (what: string): Route => ({ ...base, api: 'json', op: 'not-implemented', action: 'not-implemented', operation: `${method} ${what}` });

  if (path.startsWith('/_emulator/')) return { ...base, api: 'json', op: 'other', action: 'control' };

  let m: RegExpExecArray | null;
  if (BATCH.test(path)) return method === 'POST' ? json('batch', 'batch') : unsupported('batch');
  if (path === '/storage/v1/b' || path === '/storage/v1/b/') {
    if (method === 'POST') return json('bucket-insert', 'bucket-insert');
    if (method === 'GET') return json('bucket-list', 'bucket-list');
    return unsupported('buckets');
  }
  if ((m = JSON_OBJECTS.exec(path))) return method === 'GET' ? json('object-list', 'object-list', m[1]) : unsupported('objects.insert without media');
  if ((m = JSON_BUCKET.exec(path))) {
    if (method === 'GET') return json('bucket-get', 'bucket-get', m[1]);
    if (method === 'PATCH' || method === 'PUT') return json('bucket-patch', 'bucket-patch', m[1]);
    if (method === 'DELETE') return json('bucket-delete', 'bucket-delete', m[1]);
    return unsupported('bucket');
  }
  if ((m = JSON_DOWNLOAD.exec(path))) return method === 'GET' ? json('media', 'object-get', m[1], m[2]) : unsupported('download');
  if (method === 'POST') {
    if ((m = JSON_COPY.exec(path))) {
      const route = m[3] === 'copyTo' ? json('copy', 'object-copy', m[1], m[2]) : json('rewrite', 'object-rewrite', m[1], m[2]);
      return withDestination(route, m[4], m[5]);
    }
    if ((m = JSON_MOVE.exec(path))) return withDestination(json('move', 'object-move', m[1], m[2]), m[1], m[3]);
    if ((m = JSON_COMPOSE.exec(path))) return json('compose', 'object-compose', m[1], m[2]);
  }
  if ((m = JSON_OBJECT.exec(path))) {
    if (method === 'GET') return json(query.get('alt') === 'media' ? 'media' : 'metadata', 'object-get', m[1], m[2]);
    if (method === 'DELETE') return json('object-delete', 'object-delete', m[1], m[2]);
    if (method === 'PATCH' || method === 'PUT') return json('object-patch', 'object-patch', m[1], m[2]);
    return unsupported(`object ${/\/(acl|[a-zA-Z]+To|compose|restore|bulkRestore)(\/|$)/.exec(path)?.[1] ?? ''}`.trim());
  }
  if ((m = JSON_UPLOAD.exec(path))) return uploadRoute(method, query, (op, action) => json(op, action, m?.[1]));
  if (path.startsWith('/storage/') || path.startsWith('/upload/') || path.startsWith('/download/')) return unsupported(path.replace(/\/b\/[^/]+/, '/b/{bucket}').replace(/\/o\/.*$/, '/o/{object}'));
  return xmlRoute(method, path, query);
}

function uploadRoute(method: string, query: URLSearchParams, make: (op: Op, action: Action) => Route): Route {
  const type = query.get('uploadType');
  if (query.has('upload_id')) {
    if (method === 'PUT' || method === 'POST') return make('resumable-put', 'resumable-put');
    if (method === 'DELETE') return make('resumable-cancel', 'resumable-cancel');
    return notImplemented(make, `${method} resumable upload session`);
  }
  if (method !== 'POST') return notImplemented(make, `${method} upload`);
  if (type === 'media') return make('upload-media', 'upload-media');
  if (type === 'multipart') return make('upload-multipart', 'upload-multipart');
  if (type === 'resumable') return make('resumable-initiate', 'resumable-initiate');
  const route = make('other', 'not-implemented');
  route.error = badRequest(`Invalid upload type "${type ?? ''}"; expected media, multipart or resumable.`, 'InvalidArgument', 'invalidParameter');
  return route;
}

function notImplemented(make: (op: Op, action: Action) => Route, operation: string): Route {
  const route = make('not-implemented', 'not-implemented');
  route.operation = operation;
  return route;
}

function xmlRoute(method: string, path: string, query: URLSearchParams): Route {
  const slash = path.indexOf('/', 1);
  const base = { path, query, api: 'xml' as const };
  const sub = XML_SUBRESOURCES.find((name) => query.has(name));
  if (path === '/' || path === '') {
    return { ...base, op: 'not-implemented', action: 'not-implemented', operation: `${method} / (list buckets on the XML API)` };
  }
  if (slash < 0 || slash === path.length - 1) {
    const bucket = path.slice(1, slash < 0 ? undefined : slash);
    const at = (op: Op, action: Action, operation?: string): Route =>
      withNames({ ...base, op, action, ...(operation === undefined ? {} : { operation }) }, bucket);
    if (sub !== undefined) return at('not-implemented', 'not-implemented', `${method} /{bucket}?${sub}`);
    switch (method) {
      case 'GET':
        return query.has('uploads') ? at('mpu-list-uploads', 'xml-list-uploads') : at('xml-list', 'xml-bucket-get');
      case 'HEAD':
        return at('other', 'xml-bucket-head');
      case 'PUT':
        return at('bucket-insert', 'xml-bucket-put');
      case 'DELETE':
        return at('bucket-delete', 'xml-bucket-delete');
      default:
        return at('not-implemented', 'not-implemented', `${method} /{bucket}`);
    }
  }
  const bucket = path.slice(1, slash);
  const object = path.slice(slash + 1);
  const at = (op: Op, action: Action, operation?: string): Route =>
    withNames({ ...base, op, action, ...(operation === undefined ? {} : { operation }) }, bucket, object);
  if (sub !== undefined) return at('not-implemented', 'not-implemented', `${method} /{bucket}/{object}?${sub}`);
  switch (method) {
    case 'GET':
      return query.has('uploadId') ? at('mpu-list-parts', 'mpu-list-parts') : at('xml-get', 'xml-get');
    case 'HEAD':
      return at('xml-head', 'xml-head');
    case 'PUT':
      return query.has('uploadId') || query.has('partNumber') ? at('mpu-upload-part', 'mpu-upload-part') : at('xml-put', 'xml-put');
    case 'POST':
      if (query.has('uploads')) return at('mpu-initiate', 'mpu-initiate');
      if (query.has('uploadId')) return at('mpu-complete', 'mpu-complete');
      return at('not-implemented', 'not-implemented', 'POST /{bucket}/{object} (form upload)');
    case 'DELETE':
      return query.has('uploadId') ? at('mpu-abort', 'mpu-abort') : at('xml-delete', 'xml-delete');
    default:
      return at('not-implemented', 'not-implemented', `${method} /{bucket}/{object}`);
  }
}

/** Adds a copy's or move's destination, decoded and validated like the source. */
function withDestination(route: Route, rawBucket: string | undefined, rawObject: string | undefined): Route {
  if (route.error) return route;
  try {
    route.destBucket = validBucket(decodePath(rawBucket ?? ''));
    route.destObject = validObjectName(decodePath(rawObject ?? ''));
  } catch (error) {
    if (!(error instanceof GcsErrorReply)) throw error;
    route.error = error;
  }
  return route;
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
