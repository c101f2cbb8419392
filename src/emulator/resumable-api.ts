/**
 * The JSON API's resumable uploads: initiate (`uploadType=resumable`), chunk PUTs with `Content-Range`, status
 * queries (`bytes *\/*`, `bytes *\/N`) and cancel (DELETE → 499), with GCS's answers: 308 with
 * `Range: bytes=0-N` (no Range when nothing is persisted), 200 with the object on the last byte.
 */
import { badRequest, GcsErrorReply } from './errors.js';
import type { Exchange } from './exchange.js';
import { checkDigests, parseGoogHash } from './hashes.js';
import { sendJson, SMALL_BODY_LIMIT } from './json-api.js';
import { objectResource, parseObjectResource } from './object-resource.js';
import { checkWrite, preconditionsFromQuery } from './preconditions.js';
import { RESUMABLE_GRANULARITY, type ResumableSession } from './resumable-sessions.js';
import type { EmulatorState } from './state.js';
import { uploadName } from './upload-api.js';

/** What a chunk request's Content-Range says. `end` is inclusive; undefined for GCS's open-ended `a-*`. */
type ChunkRange = { kind: 'query'; total: number | undefined } | { kind: 'data'; start: number; end: number | undefined; total: number | undefined };

const CONTENT_RANGE = /^bytes\s+(?:\*|(\d+)-(\d+|\*))\/(\d+|\*)$/i;

function parseContentRange(header: string | undefined, contentLength: string | undefined): ChunkRange {
  if (header === undefined) {
    // No Content-Range: the body is the whole upload.
    const total = contentLength === undefined ? undefined : Number(contentLength);
    return { kind: 'data', start: 0, end: total === undefined || total === 0 ? undefined : total - 1, total };
  }
  const match = CONTENT_RANGE.exec(header.trim());
  if (!match) throw badRequest(`Failed to parse Content-Range header "${header}".`);
  const [, first, last, size] = match;
  const total = size === '*' ? undefined : Number(size);
  if (first === undefined) return { kind: 'query', total };
  const start = Number(first);
  const end = last === '*' ? undefined : Number(last);
  if (end !== undefined && (end < start || (total !== undefined && end >= total))) {
    throw badRequest(`Invalid Content-Range header "${header}".`);
  }
  return { kind: 'data', start, end, total };
}

export async function initiateResumable(x: Exchange, { store, resumable }: EmulatorState): Promise<void> {
  const bucket = x.route.bucket ?? '';
  const text = (await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8');
  const requested = parseObjectResource(text, x.header('x-upload-content-type'));
  const name = uploadName(x, requested);
  const preconditions = preconditionsFromQuery(x.query);
  checkWrite(store.get(bucket, name), preconditions);
  const declared = x.header('x-upload-content-length');
  if (declared !== undefined && !/^\d+$/.test(declared)) throw badRequest(`Invalid X-Upload-Content-Length "${declared}".`);
  const encoding = x.query.get('contentEncoding');
  if (encoding !== null && requested.meta.contentEncoding === undefined) requested.meta.contentEncoding = encoding;
  store.ensureBucket(bucket);
  const session = resumable.create({
    bucket,
    name,
    meta: requested.meta,
    expected: requested.expected,
    preconditions,
    total: declared === undefined ? undefined : Number(declared),
  });
  const location =
    `${x.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable` +
    `&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
  await x.respond(200, { location, 'x-guploader-uploadid': session.id, 'content-length': 0 });
}

function requireSession(x: Exchange, { resumable }: EmulatorState): ResumableSession {
  const id = x.query.get('upload_id') ?? '';
  const session = resumable.get(id);
  if (!session) {
    throw new GcsErrorReply(404, 'notFound', 'NoSuchUpload', `No such resumable upload session: ${id}`);
  }
  if (session.state === 'cancelled') throw cancelledReply();
  return session;
}

function cancelledReply(): GcsErrorReply {
  return new GcsErrorReply(499, 'clientClosedRequest', 'ClientClosedRequest', 'The upload was cancelled.');
}

export async function cancelResumable(x: Exchange, state: EmulatorState): Promise<void> {
  const session = requireSession(x, state);
  await state.resumable.exclusive(session, async () => {
    if (session.state === 'finalized') throw badRequest('The upload has already completed.');
    state.resumable.cancel(session);
  });
  x.res.statusMessage = 'Client Closed Request';
  await x.respond(499, { 'content-length': 0 });
}

export async function putResumable(x: Exchange, state: EmulatorState): Promise<void> {
  const session = requireSession(x, state);
  const range = parseContentRange(x.header('content-range'), x.header('content-length'));
  const claimed = parseGoogHash(x.header('x-goog-hash'));
  await state.resumable.exclusive(session, async () => {
    if (session.state === 'cancelled') throw cancelledReply();
    if (session.state === 'finalized' && session.result) {
      return sendJson(x, 200, objectResource(session.result, x.baseUrl));
    }
    if (range.total !== undefined) {
      if (session.total !== undefined && session.total !== range.total) {
        throw badRequest(`The total size ${range.total} does not match the size ${session.total} given earlier.`);
      }
      if (range.total < session.persisted) {
        throw badRequest(`The total size ${range.total} is smaller than the ${session.persisted} bytes already uploaded.`);
      }
      session.total = range.total;
    }
    if (range.kind === 'data') {
      if (range.start > session.persisted) {
        // GCS answers a gap with a retryable 503; a client recovers with a status query.
        throw new GcsErrorReply(
          503,
          'backendError',
          'ServiceUnavailable',
          `Invalid request. According to the Content-Range header, the upload offset is ${range.start} byte(s), which exceeds already uploaded size of ${session.persisted} byte(s).`,
        );
      }
      const length = range.end === undefined ? undefined : range.end - range.start + 1;
      const final = range.end === undefined || (range.total !== undefined && range.end + 1 === range.total);
      if (!final && length !== undefined && length < RESUMABLE_GRANULARITY) {
        throw badRequest(
          `Invalid request.  The number of bytes uploaded is required to be equal or greater than ${RESUMABLE_GRANULARITY}, except for the final request (it's recommended to be the exact multiple of ${RESUMABLE_GRANULARITY}).  The received request contained ${length} bytes, which does not meet this requirement.`,
        );
      }
      const received = await state.resumable.append(session, x.body(), range.start, length, final);
      if (length !== undefined && received !== length) {
        throw badRequest(`The request body has ${received} bytes but its Content-Range "${x.header('content-range') ?? ''}" announces ${length}.`);
      }
      // An open-ended chunk with an unknown total ends the upload with the request (GCS's single-shot form).
      if (range.end === undefined && session.total === undefined) session.total = session.persisted;
    }
    if (session.total !== undefined && session.persisted === session.total) return finalize(x, state, session, claimed);
    const headers: Record<string, string | number> = { 'x-guploader-uploadid': session.id, 'content-length': 0 };
    if (session.persisted > 0) headers.range = `bytes=0-${session.persisted - 1}`;
    x.res.statusMessage = 'Resume Incomplete';
    return x.respond(308, headers);
  });
}

async function finalize(x: Exchange, { store, resumable }: EmulatorState, session: ResumableSession, claimed: ReturnType<typeof parseGoogHash>): Promise<void> {
  try {
    const digests = await resumable.digest(session);
    checkDigests(session.expected, digests);
    checkDigests(claimed, digests);
    const object = store.commit(
      { path: session.path, size: session.persisted, digests },
      { bucket: session.bucket, name: session.name, meta: session.meta, preconditions: session.preconditions },
    );
    session.state = 'finalized';
    session.result = object;
    await sendJson(x, 200, objectResource(object, x.baseUrl));
  } catch (error) {
    // The hashes are spent and the bytes judged: like GCS, the session cannot be resumed after this.
    if (session.state !== 'finalized') resumable.cancel(session);
    throw error;
  }
}
