/**
 * The XML API's multipart upload, path style: `POST ?uploads` (initiate), `PUT ?partNumber&uploadId`,
 * `GET ?uploadId` (ListParts), `POST ?uploadId` (complete) and `DELETE ?uploadId` (abort).
 */
import { badRequest, GcsErrorReply } from './errors.js';
import type { Exchange } from './exchange.js';
import { formatGoogHash, parseContentMd5, parseGoogHash } from './hashes.js';
import { SMALL_BODY_LIMIT, target } from './json-api.js';
import { MAX_PART_NUMBER, type RequestedPart } from './multipart-uploads.js';
import { metaFromXmlHeaders } from './object-resource.js';
import { checkWrite, preconditionsFromHeaders } from './preconditions.js';
import type { EmulatorState } from './state.js';
import { childNamed, parseXml, S3_NAMESPACE, XmlSyntaxError, xmlDocument, type XmlNode } from './xml.js';

const XML_TYPE = 'application/xml; charset=UTF-8';

export function sendXml(x: Exchange, status: number, root: string, children: XmlNode[], headers: Record<string, string> = {}): Promise<void> {
  return x.respond(status, { 'content-type': XML_TYPE, ...headers }, xmlDocument(root, children, S3_NAMESPACE));
}

function uploadOf(x: Exchange, state: EmulatorState) {
  const { bucket, object } = target(x);
  return state.multipart.require(x.query.get('uploadId') ?? '', bucket, object);
}

export async function initiateMpu(x: Exchange, { store, multipart }: EmulatorState): Promise<void> {
  const { bucket, object } = target(x);
  store.ensureBucket(bucket);
  checkWrite(store.get(bucket, object), preconditionsFromHeaders(x.req.headers));
  const upload = multipart.create(bucket, object, metaFromXmlHeaders(x.req.headers));
  await sendXml(x, 200, 'InitiateMultipartUploadResult', [
    { name: 'Bucket', text: bucket },
    { name: 'Key', text: object },
    { name: 'UploadId', text: upload.id },
  ]);
}

function partNumberOf(x: Exchange): number {
  const raw = x.query.get('partNumber');
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw badRequest(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive; got "${raw ?? ''}".`, 'InvalidArgument');
  }
  return n;
}

export async function uploadPart(x: Exchange, state: EmulatorState): Promise<void> {
  if (!x.query.has('uploadId')) throw badRequest('A part upload needs an uploadId.', 'InvalidArgument');
  const partNumber = partNumberOf(x);
  const upload = uploadOf(x, state);
  const claimed = parseGoogHash(x.header('x-goog-hash'));
  const contentMd5 = parseContentMd5(x.header('content-md5'));
  if (contentMd5 !== undefined) {
    if (claimed.md5 !== undefined && claimed.md5 !== contentMd5) throw badRequest('Content-MD5 and x-goog-hash md5 disagree.', 'InvalidDigest');
    claimed.md5 = contentMd5;
  }
  const part = await state.multipart.putPart(upload, partNumber, x.body(), claimed);
  await x.respond(200, { etag: part.etag, 'x-goog-hash': formatGoogHash(part.digests), 'content-length': 0 });
}

export async function listParts(x: Exchange, state: EmulatorState): Promise<void> {
  const upload = uploadOf(x, state);
  const max = Number(x.query.get('max-parts') ?? 1000);
  const marker = Number(x.query.get('part-number-marker') ?? 0);
  if (!Number.isSafeInteger(max) || max < 0 || !Number.isSafeInteger(marker) || marker < 0) {
    throw badRequest('max-parts and part-number-marker must be non-negative integers.', 'InvalidArgument');
  }
  const after = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, Math.min(max, 1000));
  const truncated = after.length > page.length;
  const children: XmlNode[] = [
    { name: 'Bucket', text: upload.bucket },
    { name: 'Key', text: upload.name },
    { name: 'UploadId', text: upload.id },
    { name: 'PartNumberMarker', text: String(marker) },
    { name: 'NextPartNumberMarker', text: String(page.at(-1)?.partNumber ?? marker) },
    { name: 'MaxParts', text: String(max) },
    { name: 'IsTruncated', text: String(truncated) },
    ...page.map((p) => ({
      name: 'Part',
      children: [
        { name: 'PartNumber', text: String(p.partNumber) },
        { name: 'LastModified', text: p.lastModified },
        { name: 'ETag', text: p.etag },
        { name: 'Size', text: String(p.size) },
      ],
    })),
  ];
  await sendXml(x, 200, 'ListPartsResult', children);
}

function malformedXml(why: string): GcsErrorReply {
  return new GcsErrorReply(400, 'invalid', 'MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${why}`);
}

/** Reads `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…`. */
export function parseCompleteRequest(text: string): RequestedPart[] {
  let root;
  try {
    root = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw malformedXml(error.message);
    throw error;
  }
  if (root.name !== 'CompleteMultipartUpload') throw malformedXml(`unexpected root element <${root.name}>`);
  return root.children
    .filter((child) => child.name === 'Part')
    .map((part) => {
      const number = childNamed(part, 'PartNumber')?.text.trim() ?? '';
      const etag = childNamed(part, 'ETag')?.text;
      if (!/^\d+$/.test(number) || etag === undefined) throw malformedXml('each Part needs a PartNumber and an ETag');
      return { partNumber: Number(number), etag };
    });
}

export async function completeMpu(x: Exchange, state: EmulatorState): Promise<void> {
  const upload = uploadOf(x, state);
  const requested = parseCompleteRequest((await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8'));
  const object = state.multipart.complete(upload, requested, preconditionsFromHeaders(x.req.headers));
  await sendXml(
    x,
    200,
    'CompleteMultipartUploadResult',
    [
      { name: 'Location', text: `${x.baseUrl}/${object.bucket}/${object.name.split('/').map(encodeURIComponent).join('/')}` },
      { name: 'Bucket', text: object.bucket },
      { name: 'Key', text: object.name },
      { name: 'ETag', text: object.xmlEtag },
    ],
    { 'x-goog-generation': String(object.generation), 'x-goog-hash': formatGoogHash(object) },
  );
}

export async function abortMpu(x: Exchange, state: EmulatorState): Promise<void> {
  state.multipart.abort(uploadOf(x, state));
  await x.respond(204, {});
}
