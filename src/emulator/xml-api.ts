/**
 * The XML API's object endpoints, path style `/{bucket}/{object}`: GET and HEAD (media with Range and
 * `x-goog-if-generation-match`), a simple PUT (or a copy, with `x-goog-copy-source`) and DELETE. Multipart
 * uploads live in mpu-api.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { copyObject } from './copy-api.js';
import { badRequest, GcsErrorReply } from './errors.js';
import type { Exchange } from './exchange.js';
import { formatGoogHash, parseContentMd5, parseGoogHash } from './hashes.js';
import { target } from './json-api.js';
import { selectObject, serveMedia } from './media.js';
import { metaFromXmlHeaders, metaOf } from './object-resource.js';
import { sendXml } from './mpu-api.js';
import { validBucket, validObjectName } from './routes.js';
import { checkWrite, preconditionsFromHeaders } from './preconditions.js';
import type { EmulatorState } from './state.js';

export async function getXmlObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), preconditionsFromHeaders(x.req.headers));
  await serveMedia(x, store, object);
}

export async function putXmlObject(x: Exchange, state: EmulatorState): Promise<void> {
  if (x.header('x-goog-copy-source') !== undefined) return copyXmlObject(x, state);
  const { store } = state;
  const { bucket, object: name } = target(x);
  const preconditions = preconditionsFromHeaders(x.req.headers);
  const claimed = parseGoogHash(x.header('x-goog-hash'));
  const contentMd5 = parseContentMd5(x.header('content-md5'));
  if (contentMd5 !== undefined) claimed.md5 = contentMd5;
  checkWrite(store.get(bucket, name), preconditions);
  const staged = await store.stage(x.body(), { expect: [claimed] });
  const object = store.commit(staged, { bucket, name, meta: metaFromXmlHeaders(x.req.headers), preconditions });
  await x.respond(200, {
    etag: object.xmlEtag,
    'x-goog-generation': String(object.generation),
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-hash': formatGoogHash(object),
    'content-length': 0,
  });
}

/** The `x-goog-copy-source-…` headers, as preconditions on the source. */
function sourcePreconditions(x: Exchange) {
  const headers: IncomingHttpHeaders = {};
  for (const name of ['if-generation-match', 'if-metageneration-match', 'if-match', 'if-none-match']) {
    const value = x.header(`x-goog-copy-source-${name}`);
    if (value !== undefined) headers[name.startsWith('if-match') || name.startsWith('if-none') ? name : `x-goog-${name}`] = value;
  }
  return preconditionsFromHeaders(headers);
}

/**
 * `PUT /{bucket}/{object}` with `x-goog-copy-source: /{bucket}/{object}` (percent-encoded): a server-side copy
 * (hard links, no bytes copied). `x-goog-metadata-directive: REPLACE` takes the metadata from this request's
 * headers instead of the source's; `x-goog-copy-source-generation` picks the source generation.
 */
async function copyXmlObject(x: Exchange, state: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  await x.bodyBuffer(64 * 1024);
  const raw = (x.header('x-goog-copy-source') ?? '').replace(/^\//, '');
  const slash = raw.indexOf('/');
  if (slash <= 0) throw badRequest(`Invalid x-goog-copy-source "${raw.slice(0, 300)}": expected /bucket/object, percent-encoded.`);
  let sourceBucket: string;
  let sourceName: string;
  try {
    sourceBucket = validBucket(decodeURIComponent(raw.slice(0, slash)));
    sourceName = validObjectName(decodeURIComponent(raw.slice(slash + 1)));
  } catch (error) {
    if (error instanceof GcsErrorReply) throw error;
    throw badRequest(`Invalid x-goog-copy-source "${raw.slice(0, 300)}": expected /bucket/object, percent-encoded.`);
  }
  const directive = (x.header('x-goog-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw badRequest(`Invalid x-goog-metadata-directive "${directive}": expected COPY or REPLACE.`);
  const source = selectObject(state.store, sourceBucket, sourceName, x.header('x-goog-copy-source-generation') ?? null, {});
  checkWrite(source, sourcePreconditions(x));
  const meta = directive === 'REPLACE' ? metaFromXmlHeaders(x.req.headers) : metaOf(source);
  const copied = copyObject(state, source, { bucket, object: name }, meta, preconditionsFromHeaders(x.req.headers));
  await sendXml(x, 200, 'CopyObjectResult', [
    { name: 'LastModified', text: copied.updated },
    { name: 'ETag', text: copied.xmlEtag },
  ], {
    'x-goog-generation': String(copied.generation),
    'x-goog-metageneration': String(copied.metageneration),
    'x-goog-hash': formatGoogHash(copied),
  });
}

export async function deleteXmlObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), {});
  checkWrite(object, preconditionsFromHeaders(x.req.headers));
  store.delete(bucket, name);
  await x.respond(204, {});
}
