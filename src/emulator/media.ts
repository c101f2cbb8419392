/**
 * Serving an object's bytes: JSON `alt=media` (both URL forms) and XML GET/HEAD share this. It applies the
 * Range header, the generation selectors, GCS's decompressive transcoding of gzip-stored objects, and sends
 * the headers GCS sends (`x-goog-hash` of the whole object, stored length and encoding, generations, ETag).
 */
import { createReadStream } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { noSuchObject, rangeNotSatisfiable } from './errors.js';
import type { Exchange } from './exchange.js';
import { formatGoogHash } from './hashes.js';
import { jsonEtag, xmlObjectHeaders } from './object-resource.js';
import { checkRead, type Preconditions } from './preconditions.js';
import { contentRange, resolveRange } from './range.js';
import type { ObjectStore, StoredObject } from './store.js';

/** Large reads keep the per-chunk cost (syscalls, event-loop turns) negligible next to copying bytes. */
const READ_HIGH_WATER_MARK = 4 * 1024 * 1024;

/**
 * The live object named by the route, checked against a requested `generation` (404 when it is not the live
 * one: buckets here are not versioned) and the preconditions (412).
 */
export function selectObject(store: ObjectStore, bucket: string, name: string, generation: string | null, p: Preconditions): StoredObject {
  const object = store.require(bucket, name);
  if (generation !== null && generation !== String(object.generation)) throw noSuchObject(bucket, name);
  checkRead(object, p);
  return object;
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((item) => {
    const [coding = '', ...params] = item.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export async function serveMedia(x: Exchange, store: ObjectStore, object: StoredObject): Promise<void> {
  const headers: OutgoingHttpHeaders = {
    'content-type': object.contentType,
    'x-goog-hash': formatGoogHash(object),
    'x-goog-generation': String(object.generation),
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-stored-content-length': String(object.size),
    'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
    'x-goog-storage-class': 'STANDARD',
    etag: x.api === 'xml' ? object.xmlEtag : jsonEtag(object.generation, object.metageneration),
    'last-modified': new Date(object.updated).toUTCString(),
    'accept-ranges': 'bytes',
    ...(x.api === 'xml' ? xmlObjectHeaders(object) : {}),
  };
  const head = x.req.method === 'HEAD';

  if (object.contentEncoding === 'gzip' && !acceptsGzip(x.header('accept-encoding'))) {
    // Decompressive transcoding: GCS serves the inflated bytes, ignores Range and cannot know the length.
    headers.warning = '214 UploadServer gzip transformation';
    if (head) return x.respond(200, headers);
    const inflated = pipeline(openRange(store, object), createGunzip(), () => undefined);
    return x.respond(200, headers, inflated);
  }
  if (object.contentEncoding !== undefined) headers['content-encoding'] = object.contentEncoding;

  const decision = x.plan.ignoreRange ? ({ kind: 'full' } as const) : resolveRange(x.header('range'), object.size);
  if (decision.kind === 'unsatisfiable') throw rangeNotSatisfiable(object.size);
  if (decision.kind === 'partial') {
    const { start, end } = decision.range;
    headers['content-range'] = contentRange(decision.range, object.size);
    headers['content-length'] = end - start + 1;
    return x.respond(206, headers, head ? undefined : openRange(store, object, start, end));
  }
  headers['content-length'] = object.size;
  return x.respond(200, headers, head || object.size === 0 ? undefined : openRange(store, object));
}

/** A stream over `[start, end]` (inclusive) of the object's data, on a descriptor opened right now. */
function openRange(store: ObjectStore, object: StoredObject, start = 0, end?: number): Readable {
  const fd = store.openData(object);
  return createReadStream('', { fd, start, ...(end === undefined ? {} : { end }), highWaterMark: READ_HIGH_WATER_MARK });
}
