/**
 * The XML API's bucket endpoints, path style `/{bucket}`: object listing (`GET`, V1 with `marker` and V2
 * with `list-type=2` and `continuation-token`; `prefix`, `delimiter`, `max-keys` ≤ 1000), ListMultipartUploads
 * (`GET ?uploads`, with `prefix`, `delimiter`, `key-marker`, `upload-id-marker`, `max-uploads`), and HEAD, PUT
 * (create) and DELETE (409 while not empty) of the bucket itself.
 */
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { listPage } from './listing.js';
import { sendXml } from './mpu-api.js';
import type { EmulatorState } from './state.js';
import type { XmlNode } from './xml.js';

const MAX_KEYS = 1000;

function bucketOf(x: Exchange): string {
  const bucket = x.route.bucket;
  if (bucket === undefined) throw badRequest('The request does not name a bucket.');
  return bucket;
}

function count(x: Exchange, name: string): number {
  const raw = x.query.get(name);
  if (raw === null || raw === '') return MAX_KEYS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw badRequest(`Invalid ${name} "${raw}": expected a non-negative integer.`, 'InvalidArgument');
  return Math.min(n, MAX_KEYS);
}

const text = (name: string, value: string): XmlNode => ({ name, text: value });

export async function listXmlObjects(x: Exchange, { store }: EmulatorState): Promise<void> {
  const bucket = bucketOf(x);
  store.requireBucket(bucket);
  const q = x.query;
  const v2 = q.get('list-type') === '2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const max = count(x, 'max-keys');
  const token = q.get('continuation-token');
  const after = v2 ? (token ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? undefined)) : (q.get('marker') ?? undefined);
  // max-keys=0 is legal: an empty, untruncated-looking page that only echoes the parameters.
  const page =
    max === 0 ? { items: [], prefixes: [] } : listPage(store.list(bucket, prefix, after ?? ''), { prefix, delimiter, max, ...(after ? { after } : {}) });
  const children: XmlNode[] = [text('Name', bucket), text('Prefix', prefix)];
  if (v2) {
    if (token) children.push(text('ContinuationToken', token));
    if (q.has('start-after')) children.push(text('StartAfter', q.get('start-after') ?? ''));
    children.push(text('KeyCount', String(page.items.length + page.prefixes.length)));
  } else children.push(text('Marker', q.get('marker') ?? ''));
  children.push(text('MaxKeys', String(max)));
  if (delimiter !== '') children.push(text('Delimiter', delimiter));
  children.push(text('IsTruncated', String(page.next !== undefined)));
  if (page.next !== undefined) {
    children.push(v2 ? text('NextContinuationToken', Buffer.from(page.next, 'utf8').toString('base64url')) : text('NextMarker', page.next));
  }
  for (const object of page.items) {
    children.push({
      name: 'Contents',
      children: [
        text('Key', object.name),
        text('Generation', String(object.generation)),
        text('MetaGeneration', String(object.metageneration)),
        text('LastModified', object.updated),
        text('ETag', object.xmlEtag),
        text('Size', String(object.size)),
        text('StorageClass', 'STANDARD'),
      ],
    });
  }
  for (const p of page.prefixes) children.push({ name: 'CommonPrefixes', children: [text('Prefix', p)] });
  await sendXml(x, 200, 'ListBucketResult', children);
}

export async function listXmlUploads(x: Exchange, { store, multipart }: EmulatorState): Promise<void> {
  const bucket = bucketOf(x);
  store.requireBucket(bucket);
  const q = x.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const idMarker = q.get('upload-id-marker') ?? '';
  const max = count(x, 'max-uploads');
  const all = multipart.list(bucket).filter((u) => u.name.startsWith(prefix));
  let start = 0;
  if (keyMarker !== '') {
    const marked = idMarker === '' ? -1 : all.findIndex((u) => u.name === keyMarker && u.id === idMarker);
    start = marked >= 0 ? marked + 1 : all.findIndex((u) => u.name > keyMarker);
    if (start < 0) start = all.length;
  }
  const uploads: XmlNode[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let lastKey = '';
  let lastId = '';
  for (const upload of all.slice(start)) {
    const cut = delimiter === '' ? -1 : upload.name.indexOf(delimiter, prefix.length);
    const rolledUp = cut >= 0 ? upload.name.slice(0, cut + delimiter.length) : undefined;
    if (rolledUp !== undefined && prefixes.includes(rolledUp)) continue;
    if (uploads.length + prefixes.length >= max) {
      truncated = true;
      break;
    }
    lastKey = upload.name;
    lastId = upload.id;
    if (rolledUp !== undefined) prefixes.push(rolledUp);
    else {
      uploads.push({
        name: 'Upload',
        children: [text('Key', upload.name), text('UploadId', upload.id), text('StorageClass', 'STANDARD'), text('Initiated', upload.initiated)],
      });
    }
  }
  const children: XmlNode[] = [
    text('Bucket', bucket),
    text('KeyMarker', keyMarker),
    text('UploadIdMarker', idMarker),
    text('NextKeyMarker', truncated ? lastKey : ''),
    text('NextUploadIdMarker', truncated ? lastId : ''),
    text('Prefix', prefix),
    ...(delimiter === '' ? [] : [text('Delimiter', delimiter)]),
    text('MaxUploads', String(max)),
    text('IsTruncated', String(truncated)),
    ...uploads,
    ...prefixes.map((p) => ({ name: 'CommonPrefixes', children: [text('Prefix', p)] })),
  ];
  await sendXml(x, 200, 'ListMultipartUploadsResult', children);
}

export async function headXmlBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  store.requireBucket(bucketOf(x));
  await x.respond(200, { 'content-length': 0 });
}

export async function putXmlBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  await x.bodyBuffer(64 * 1024);
  store.createBucket(bucketOf(x));
  await x.respond(200, { 'content-length': 0 });
}

export async function deleteXmlBucket(x: Exchange, { store }: EmulatorState): Promise<void> {
  store.deleteBucket(bucketOf(x));
  await x.respond(204, {});
}
