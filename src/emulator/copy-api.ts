/**
 * Object-to-object operations of the JSON API that copy no bytes: objects.copy (`copyTo`), objects.rewrite
 * (`rewriteTo`, in several calls for large objects, with `rewriteToken` and `maxBytesRewrittenPerCall`) and
 * objects.move (`moveTo`, within a bucket). The destination's data files are hard links to the source's.
 *
 * Preconditions: `ifGenerationMatch`, `ifGenerationNotMatch`, `ifMetagenerationMatch`,
 * `ifMetagenerationNotMatch` apply to the destination, `ifSource…` to the source (412 when they fail);
 * `sourceGeneration` selects the source generation (404 when it is not the live one).
 */
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { sendJson, SMALL_BODY_LIMIT, target } from './json-api.js';
import { selectObject } from './media.js';
import { applyMetaPatch, metaOf, objectResource, parseJsonBody } from './object-resource.js';
import { checkWrite, preconditionsFromQuery, type Preconditions } from './preconditions.js';
import type { EmulatorState } from './state.js';
import type { ObjectMeta, StoredObject } from './store.js';

const MiB = 1024 * 1024;

function destination(x: Exchange): { bucket: string; object: string } {
  const { destBucket, destObject } = x.route;
  if (destBucket === undefined || destObject === undefined) throw badRequest('The request does not name a destination object.');
  return { bucket: destBucket, object: destObject };
}

/** The `ifSource…` query parameters, as ordinary preconditions on the source. */
function sourcePreconditions(query: URLSearchParams): Preconditions {
  const renamed = new URLSearchParams();
  for (const name of ['GenerationMatch', 'GenerationNotMatch', 'MetagenerationMatch', 'MetagenerationNotMatch']) {
    const value = query.get(`ifSource${name}`);
    if (value !== null) renamed.set(`if${name}`, value);
  }
  return preconditionsFromQuery(renamed);
}

/** The live source object, checked against `sourceGeneration` and the `ifSource…` preconditions. */
function selectSource(x: Exchange, state: EmulatorState): StoredObject {
  const { bucket, object } = target(x);
  const source = selectObject(state.store, bucket, object, x.query.get('sourceGeneration'), {});
  checkWrite(source, sourcePreconditions(x.query));
  return source;
}

/** The destination's metadata: the source's, with whatever the request body's object resource sets. */
async function destinationMeta(x: Exchange): Promise<(source: StoredObject) => ObjectMeta> {
  const body = parseJsonBody((await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8'));
  return (source) => applyMetaPatch(metaOf(source), body);
}

export function copyObject(state: EmulatorState, source: StoredObject, dest: { bucket: string; object: string }, meta: ObjectMeta, preconditions: Preconditions): StoredObject {
  return state.store.assemble(
    { files: state.store.dataFiles(source), digests: source.md5 === undefined ? { crc32c: source.crc32c } : { crc32c: source.crc32c, md5: source.md5 }, how: 'link' },
    {
      bucket: dest.bucket,
      name: dest.object,
      meta,
      preconditions,
      ...(source.md5 === undefined ? { xmlEtag: source.xmlEtag } : {}),
      ...(source.componentCount === undefined ? {} : { componentCount: source.componentCount }),
    },
  );
}

export async function copyTo(x: Exchange, state: EmulatorState): Promise<void> {
  const metaFor = await destinationMeta(x);
  const source = selectSource(x, state);
  const copied = copyObject(state, source, destination(x), metaFor(source), preconditionsFromQuery(x.query));
  await sendJson(x, 200, objectResource(copied, x.baseUrl));
}

export async function moveTo(x: Exchange, state: EmulatorState): Promise<void> {
  await x.bodyBuffer(SMALL_BODY_LIMIT);
  const dest = destination(x);
  if (dest.object === x.route.object) throw badRequest('The source and destination object names must differ.');
  const source = selectSource(x, state);
  const moved = copyObject(state, source, dest, metaOf(source), preconditionsFromQuery(x.query));
  state.store.delete(source.bucket, source.name);
  await sendJson(x, 200, objectResource(moved, x.baseUrl));
}

function maxBytesPerCall(query: URLSearchParams, fallback: number): number {
  const raw = query.get('maxBytesRewrittenPerCall');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n === 0 || n % MiB !== 0) {
    throw badRequest(`Invalid value for maxBytesRewrittenPerCall: "${raw}"; it must be a positive multiple of 1048576.`, 'InvalidArgument', 'invalid');
  }
  return n;
}

export async function rewriteTo(x: Exchange, state: EmulatorState): Promise<void> {
  const metaFor = await destinationMeta(x);
  const perCall = maxBytesPerCall(x.query, state.rewrites.bytesPerCall);
  const dest = destination(x);
  const destPreconditions = preconditionsFromQuery(x.query);
  const route = `${x.route.bucket ?? ''}/${x.route.object ?? ''} → ${dest.bucket}/${dest.object}`;
  const token = x.query.get('rewriteToken');
  let job;
  if (token !== null && token !== '') {
    job = state.rewrites.get(token);
    if (!job || job.route !== route) throw badRequest('The rewrite token is invalid, expired, or belongs to another rewrite.', 'InvalidArgument', 'invalid');
  } else {
    const source = selectSource(x, state);
    // Fail early, as GCS does; the preconditions are checked again when the destination is committed.
    checkWrite(state.store.get(dest.bucket, dest.object), destPreconditions);
    job = state.rewrites.create({
      route,
      files: state.store.linkToTemp(source),
      size: source.size,
      digests: source.md5 === undefined ? { crc32c: source.crc32c } : { crc32c: source.crc32c, md5: source.md5 },
      xmlEtag: source.xmlEtag,
      componentCount: source.componentCount,
      meta: metaFor(source),
    });
  }
  job.rewritten = Math.min(job.size, job.rewritten + perCall);
  const progress = { kind: 'storage#rewriteResponse', totalBytesRewritten: String(job.rewritten), objectSize: String(job.size) };
  if (job.rewritten < job.size) {
    await sendJson(x, 200, { ...progress, done: false, rewriteToken: job.token });
    return;
  }
  let written: StoredObject;
  try {
    written = state.store.assemble(
      { files: job.files, digests: job.digests, how: 'move' },
      {
        bucket: dest.bucket,
        name: dest.object,
        meta: job.meta,
        preconditions: destPreconditions,
        ...(job.digests.md5 === undefined ? { xmlEtag: job.xmlEtag } : {}),
        ...(job.componentCount === undefined ? {} : { componentCount: job.componentCount }),
      },
    );
  } catch (error) {
    state.rewrites.finish(job);
    throw error;
  }
  state.rewrites.finish(job, true);
  await sendJson(x, 200, { ...progress, done: true, resource: objectResource(written, x.baseUrl) });
}
