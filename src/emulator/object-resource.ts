/**
 * The JSON API's object and bucket resources, and the object fields a client may set: from a JSON metadata
 * body (multipart and resumable uploads) or from XML request headers (`Content-Type`, `x-goog-meta-*`, …).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from './errors.js';
import type { Digests } from './hashes.js';
import type { ObjectMeta, StoredBucket, StoredObject } from './store.js';

/**
 * GCS's JSON `etag`: base64 of a protobuf message holding generation (field 1) and metageneration (field 2)
 * as varints, e.g. `CKih16GjycICEAE=`. Clients treat it as opaque, but it changes exactly when GCS's does.
 */
export function jsonEtag(generation: number, metageneration: number): string {
  const bytes: number[] = [];
  const varint = (value: bigint): void => {
    let v = value;
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
  };
  bytes.push(0x08);
  varint(BigInt(generation));
  bytes.push(0x10);
  varint(BigInt(metageneration));
  return Buffer.from(bytes).toString('base64');
}

export function objectResource(object: StoredObject, baseUrl: string): Record<string, unknown> {
  const encoded = encodeURIComponent(object.name);
  const resource: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.size),
    crc32c: object.crc32c,
    etag: jsonEtag(object.generation, object.metageneration),
    timeCreated: object.timeCreated,
    updated: object.updated,
    timeStorageClassUpdated: object.timeCreated,
  };
  if (object.md5 !== undefined) resource.md5Hash = object.md5;
  if (object.componentCount !== undefined) resource.componentCount = object.componentCount;
  for (const key of ['contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl'] as const) {
    if (object[key] !== undefined) resource[key] = object[key];
  }
  if (object.metadata && Object.keys(object.metadata).length > 0) resource.metadata = object.metadata;
  return resource;
}

export function bucketResource(bucket: StoredBucket, baseUrl: string): Record<string, unknown> {
  const metageneration = bucket.metageneration ?? 1;
  const resource: Record<string, unknown> = {
    kind: 'storage#bucket',
    id: bucket.name,
    selfLink: `${baseUrl}/storage/v1/b/${bucket.name}`,
    projectNumber: '0',
    name: bucket.name,
    timeCreated: bucket.timeCreated,
    updated: bucket.updated ?? bucket.timeCreated,
    metageneration: String(metageneration),
    location: 'US',
    locationType: 'multi-region',
    storageClass: 'STANDARD',
    // Opaque to clients; it changes exactly when the bucket's metageneration does.
    etag: jsonEtag(0, metageneration),
  };
  if (bucket.labels && Object.keys(bucket.labels).length > 0) resource.labels = bucket.labels;
  return resource;
}

/** The client-settable fields of a stored object. */
export function metaOf(object: StoredObject): ObjectMeta {
  const meta: ObjectMeta = { contentType: object.contentType };
  for (const key of OPTIONAL_FIELDS) {
    if (object[key] !== undefined) meta[key] = object[key];
  }
  if (object.metadata !== undefined) meta.metadata = { ...object.metadata };
  return meta;
}

const OPTIONAL_FIELDS = ['contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl'] as const;

/** A JSON request body that must be an object (`{}` when empty); a 400 otherwise. */
export function parseJsonBody(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.', 'InvalidArgument', 'parseError');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('The request body must be a JSON object.', 'InvalidArgument', 'parseError');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Applies an object resource from a request body to `base`, as GCS's objects.patch does: fields present
 * replace, `null` clears; custom `metadata` merges key by key (`null` removes a key; `metadata: null` removes
 * all). With `replace` (objects.update, a PUT), fields absent from the body are cleared instead.
 */
export function applyMetaPatch(base: ObjectMeta, body: Record<string, unknown>, replace = false): ObjectMeta {
  const meta: ObjectMeta = replace ? { contentType: DEFAULT_CONTENT_TYPE } : { ...base, ...(base.metadata ? { metadata: { ...base.metadata } } : {}) };
  const text = (key: string): string | null | undefined => {
    const value = body[key];
    if (value === undefined || value === null) return value;
    if (typeof value !== 'string') throw badRequest(`Invalid value for "${key}": expected a string.`);
    return value;
  };
  const contentType = text('contentType');
  if (contentType !== undefined) meta.contentType = contentType ?? DEFAULT_CONTENT_TYPE;
  for (const key of OPTIONAL_FIELDS) {
    const value = text(key);
    if (value === null) delete meta[key];
    else if (value !== undefined) meta[key] = value;
  }
  if (body.metadata === null) delete meta.metadata;
  else if (body.metadata !== undefined) {
    if (typeof body.metadata !== 'object' || Array.isArray(body.metadata)) throw badRequest('Invalid value for "metadata": expected an object.');
    const merged: Record<string, string> = replace ? {} : { ...(meta.metadata ?? {}) };
    for (const [key, value] of Object.entries(body.metadata as Record<string, unknown>)) {
      if (value === null) delete merged[key];
      else if (typeof value === 'object') throw badRequest(`Invalid value for metadata "${key}": expected a string.`);
      else merged[key] = String(value);
    }
    if (Object.keys(merged).length > 0) meta.metadata = merged;
    else delete meta.metadata;
  }
  return meta;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** What a JSON metadata body says about the object to create. */
export interface RequestedObject {
  name?: string;
  meta: ObjectMeta;
  /** `md5Hash`/`crc32c` the client claims for the bytes: checked when the upload completes. */
  expected: Partial<Digests>;
}

/** Reads a JSON object resource from an upload's metadata part or initiate body. A 400 when malformed. */
export function parseObjectResource(text: string, fallbackContentType?: string): RequestedObject {
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw badRequest('The object metadata is not valid JSON.', 'InvalidArgument', 'parseError');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('The object metadata must be a JSON object.', 'InvalidArgument', 'parseError');
  }
  const body = parsed as Record<string, unknown>;
  const text_ = (key: string): string | undefined => {
    const value = body[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw badRequest(`Invalid value for "${key}": expected a string.`);
    return value;
  };
  const meta: ObjectMeta = { contentType: text_('contentType') ?? fallbackContentType ?? DEFAULT_CONTENT_TYPE };
  for (const key of ['contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl'] as const) {
    const value = text_(key);
    if (value !== undefined) meta[key] = value;
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    if (typeof body.metadata !== 'object' || Array.isArray(body.metadata)) throw badRequest('Invalid value for "metadata": expected an object.');
    meta.metadata = {};
    for (const [key, value] of Object.entries(body.metadata as Record<string, unknown>)) {
      if (value === null) continue;
      if (typeof value === 'object') throw badRequest(`Invalid value for metadata "${key}": expected a string.`);
      meta.metadata[key] = String(value);
    }
  }
  const expected: Partial<Digests> = {};
  const md5 = text_('md5Hash');
  const crc32c = text_('crc32c');
  if (md5 !== undefined) expected.md5 = md5;
  if (crc32c !== undefined) expected.crc32c = crc32c;
  const name = text_('name');
  return name === undefined ? { meta, expected } : { name, meta, expected };
}

const XML_META_PREFIX = 'x-goog-meta-';

/** Object fields from XML request headers (initiate of a multipart upload, simple PUT). */
export function metaFromXmlHeaders(headers: IncomingHttpHeaders): ObjectMeta {
  const first = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const meta: ObjectMeta = { contentType: first('content-type') ?? DEFAULT_CONTENT_TYPE };
  const optional: [keyof ObjectMeta, string][] = [
    ['contentEncoding', 'content-encoding'],
    ['contentDisposition', 'content-disposition'],
    ['contentLanguage', 'content-language'],
    ['cacheControl', 'cache-control'],
  ];
  for (const [key, header] of optional) {
    const value = first(header);
    if (value !== undefined && key !== 'metadata') meta[key] = value;
  }
  const custom: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(XML_META_PREFIX) && value !== undefined) custom[name.slice(XML_META_PREFIX.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  if (Object.keys(custom).length > 0) meta.metadata = custom;
  return meta;
}

/** Response headers that describe an object on the XML API (`x-goog-meta-*` and friends). */
export function xmlObjectHeaders(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(object.metadata ?? {})) {
    // Header values must be Latin-1 and single-line; anything else would make Node throw mid-response.
    if (/^[\x20-\x7e]*$/.test(value) && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) headers[`${XML_META_PREFIX}${key}`] = value;
  }
  if (object.contentDisposition !== undefined) headers['content-disposition'] = object.contentDisposition;
  if (object.contentLanguage !== undefined) headers['content-language'] = object.contentLanguage;
  if (object.cacheControl !== undefined) headers['cache-control'] = object.cacheControl;
  return headers;
}
