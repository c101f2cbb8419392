/**
 * The XML API's object endpoints, path style `/{bucket}/{object}`: GET and HEAD (media with Range and
 * `x-goog-if-generation-match`), a simple PUT and DELETE. Multipart uploads live in mpu-api.ts.
 */
import type { Exchange } from './exchange.js';
import { formatGoogHash, parseContentMd5, parseGoogHash } from './hashes.js';
import { target } from './json-api.js';
import { selectObject, serveMedia } from './media.js';
import { metaFromXmlHeaders } from './object-resource.js';
import { checkWrite, preconditionsFromHeaders } from './preconditions.js';
import type { EmulatorState } from './state.js';

export async function getXmlObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const object = selectObject(store, bucket, name, x.query.get('generation'), preconditionsFromHeaders(x.req.headers));
  await serveMedia(x, store, object);
}

export async function putXmlObject(x: Exchange, { store }: EmulatorState): Promise<void> {
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

export async function deleteXmlObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  selectObject(store, bucket, name, x.query.get('generation'), preconditionsFromHeaders(x.req.headers));
  store.delete(bucket, name);
  await x.respond(204, {});
}
