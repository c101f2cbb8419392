/**
 * The JSON API's bucket endpoints: buckets.insert, get, list (`GET /storage/v1/b?project=`, with `prefix`,
 * `maxResults` and `pageToken`), patch/update (labels; other settings are accepted and not stored) and delete
 * (409 while the bucket holds objects). Buckets are also created on first use by any upload or object listing,
 * so tests need no set-up call; a bucket GET does not create one (python-storage's `bucket.exists()` relies on
 * its 404).
 */
import { badRequest, preconditionFailed } from './errors.js';
import type { Exchange } from './exchange.js';
import { sendJson, SMALL_BODY_LIMIT } from './json-api.js';
import { bucketResource, parseJsonBody } from './object-resource.js';
import { validBucket } from './routes.js';
import type { EmulatorState } from './state.js';

export async function insertBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  const body = parseJsonBody((await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8'));
  if (typeof body.name !== 'string') throw badRequest('Required field "name" is missing.', 'InvalidArgument', 'required');
  const name = validBucket(body.name);
  store.createBucket(name);
  const bucket = body.labels === undefined ? store.requireBucket(name) : store.updateBucket(name, (b) => ({ ...b, labels: labels(body.labels, {}) }));
  await sendJson(x, 200, bucketResource(bucket, x.baseUrl));
}

/** buckets.get: 404 for a bucket that was never created (by an insert, an upload or a listing) or was deleted. */
export async function getBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = store.requireBucket(x.route.bucket ?? '');
  await sendJson(x, 200, bucketResource(bucket, x.baseUrl));
}

export async function listBuckets(x: Exchange, { store }: EmulatorState): Promise<void> {
  const prefix = x.query.get('prefix') ?? '';
  const rawMax = x.query.get('maxResults');
  const max = rawMax === null ? 1000 : Number(rawMax);
  if (!Number.isSafeInteger(max) || max < 1) throw badRequest(`Invalid value for maxResults: "${rawMax}".`);
  const token = x.query.get('pageToken');
  const after = token === null || token === '' ? undefined : Buffer.from(token, 'base64url').toString('utf8');
  const matching = store.listBuckets().filter((b) => b.name.startsWith(prefix) && (after === undefined || b.name > after));
  const page = matching.slice(0, Math.min(max, 1000));
  const body: Record<string, unknown> = { kind: 'storage#buckets', items: page.map((b) => bucketResource(b, x.baseUrl)) };
  const last = page.at(-1);
  if (matching.length > page.length && last) body.nextPageToken = Buffer.from(last.name, 'utf8').toString('base64url');
  await sendJson(x, 200, body);
}

/** Labels from a request body merged into `base` (`null` removes a label), as buckets.patch merges them. */
function labels(value: unknown, base: Record<string, string>): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('Invalid value for "labels": expected an object.');
  const out = { ...base };
  for (const [key, label] of Object.entries(value as Record<string, unknown>)) {
    if (label === null) delete out[key];
    else out[key] = String(label);
  }
  return out;
}

export async function patchBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  const body = parseJsonBody((await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8'));
  const name = x.route.bucket ?? '';
  const current = store.requireBucket(name);
  const metageneration = x.query.get('ifMetagenerationMatch');
  if (metageneration !== null && metageneration !== String(current.metageneration ?? 1)) {
    throw preconditionFailed();
  }
  const replace = x.req.method === 'PUT';
  const updated = store.updateBucket(name, (bucket) => {
    if (body.labels === undefined) return replace ? { ...bucket, labels: {} } : bucket;
    return { ...bucket, labels: labels(body.labels, replace ? {} : (bucket.labels ?? {})) };
  });
  await sendJson(x, 200, bucketResource(updated, x.baseUrl));
}

export async function deleteBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  store.deleteBucket(x.route.bucket ?? '');
  await x.respond(204, {});
}
