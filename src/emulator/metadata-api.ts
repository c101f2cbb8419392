/**
 * `PATCH` and `PUT` on `/storage/v1/b/{bucket}/o/{object}`: objects.patch and objects.update change an
 * object's metadata in place (same bytes and generation, metageneration + 1), under the usual generation,
 * metageneration and ETag preconditions.
 */
import type { Exchange } from './exchange.js';
import { sendJson, SMALL_BODY_LIMIT, target } from './json-api.js';
import { selectObject } from './media.js';
import { applyMetaPatch, metaOf, objectResource, parseJsonBody } from './object-resource.js';
import { preconditionsFromQuery } from './preconditions.js';
import type { EmulatorState } from './state.js';

export async function patchObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const body = parseJsonBody((await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8'));
  const object = selectObject(store, bucket, name, x.query.get('generation'), {});
  const meta = applyMetaPatch(metaOf(object), body, x.req.method === 'PUT');
  const updated = store.updateMeta(object, meta, preconditionsFromQuery(x.query, x.req.headers));
  await sendJson(x, 200, objectResource(updated, x.baseUrl));
}
