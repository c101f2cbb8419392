/**
 * The JSON API's single-request uploads on `POST /upload/storage/v1/b/{bucket}/o`: `uploadType=media` (bytes
 * only, name in the query) and `uploadType=multipart` (a JSON metadata part, then the media part). Both
 * stream the bytes to disk and check any hash the client claimed before the object becomes visible.
 */
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { parseGoogHash } from './hashes.js';
import { sendJson, SMALL_BODY_LIMIT } from './json-api.js';
import { multipartBoundary, parseMultipartRelated, type MultipartEvent } from './multipart-related.js';
import { objectResource, parseObjectResource, type RequestedObject } from './object-resource.js';
import { checkWrite, preconditionsFromQuery } from './preconditions.js';
import { validObjectName } from './routes.js';
import type { EmulatorState } from './state.js';

/** The object name from the query, else from the metadata: GCS accepts either. */
export function uploadName(x: Exchange, requested?: RequestedObject): string {
  const name = x.query.get('name') ?? requested?.name;
  if (name === undefined || name === '') throw badRequest('Required parameter "name" is missing.', 'InvalidArgument', 'required');
  return validObjectName(name);
}


export async function uploadMedia(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = x.route.bucket ?? '';
  const requested: RequestedObject = { meta: { contentType: x.header('content-type') ?? 'application/octet-stream' }, expected: {} };
  const encoding = x.query.get('contentEncoding');
  if (encoding !== null) requested.meta.contentEncoding = encoding;
  const name = uploadName(x);
  const preconditions = preconditionsFromQuery(x.query);
  const claimed = parseGoogHash(x.header('x-goog-hash'));
  // Fail before reading the body when the precondition already fails; it is checked again at commit.
  checkWrite(store.get(bucket, name), preconditions);
  const staged = await store.stage(x.body(), { expect: [requested.expected, claimed] });
  const object = store.commit(staged, { bucket, name, meta: requested.meta, preconditions });
  await sendJson(x, 200, objectResource(object, x.baseUrl));
}

export async function uploadMultipart(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = x.route.bucket ?? '';
  const boundary = multipartBoundary(x.header('content-type'));
  const preconditions = preconditionsFromQuery(x.query);
  const claimed = parseGoogHash(x.header('x-goog-hash'));
  const events = parseMultipartRelated(x.body(), boundary)[Symbol.asyncIterator]();

  const opening = await events.next();
  if (opening.done || opening.value.type !== 'part') throw badRequest('The multipart body has no metadata part.');
  const metadataChunks: Buffer[] = [];
  let metadataBytes = 0;
  let mediaHeaders: Map<string, string> | undefined;
  for (;;) {
    const next: IteratorResult<MultipartEvent> = await events.next();
    if (next.done) throw badRequest('The multipart body has no media part.');
    if (next.value.type === 'part') {
      mediaHeaders = next.value.headers;
      break;
    }
    metadataBytes += next.value.chunk.byteLength;
    if (metadataBytes > SMALL_BODY_LIMIT) throw badRequest('The metadata part is too large.');
    metadataChunks.push(next.value.chunk);
  }
  const requested = parseObjectResource(Buffer.concat(metadataChunks).toString('utf8'), mediaHeaders.get('content-type'));
  const name = uploadName(x, requested);
  checkWrite(store.get(bucket, name), preconditions);

  async function* media(): AsyncGenerator<Buffer> {
    for (;;) {
      const next = await events.next();
      if (next.done) return;
      if (next.value.type === 'part') throw badRequest('The multipart body has more than two parts.');
      yield next.value.chunk;
    }
  }
  const staged = await store.stage(media(), { expect: [requested.expected, claimed] });
  const object = store.commit(staged, { bucket, name, meta: requested.meta, preconditions });
  await sendJson(x, 200, objectResource(object, x.baseUrl));
}

