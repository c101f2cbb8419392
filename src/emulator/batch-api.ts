/**
 * The JSON API's batch endpoint, `POST /batch/storage/v1`: a `multipart/mixed` body of up to 100 embedded
 * HTTP requests (`Content-Type: application/http`), answered with a `multipart/mixed` body of their responses
 * in the same order, each `Content-ID` echoed as `<response-…>`. python-storage's `client.batch()` and gcsfs's
 * bulk delete use it; gcsfs writes bare `\n` line breaks, python-storage mixes `\n` and CRLF, so line breaks
 * are read leniently, as GCS reads them.
 *
 * Each embedded request is sent to this same server over loopback, so it goes through the ordinary routing,
 * preconditions, metrics and fault rules. Only JSON API metadata requests (`/storage/v1/…`) may be batched.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import type { EmulatorState } from './state.js';

/** GCS's limit on requests per batch. */
export const MAX_BATCH_REQUESTS = 100;
const BATCH_BODY_LIMIT = 10 * 1024 * 1024;

interface SubRequest {
  contentId: string | undefined;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface SubResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function batchBoundary(contentType: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (type !== 'multipart/mixed' || boundary === undefined) {
    throw badRequest(`Expected a multipart/mixed Content-Type with a boundary, got "${contentType ?? ''}".`);
  }
  return boundary;
}

/** Header lines (`Name: value`, CRLF or LF) into a lower-cased record. */
function headerBlock(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw badRequest(`The batch request has a malformed header line "${line.slice(0, 100)}".`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Splits `text` at the first blank line: [head, rest]; no blank line means it is all head. */
function splitAtBlankLine(text: string): [string, string] {
  const blank = /\r?\n\r?\n/.exec(text);
  if (!blank) return [text, ''];
  return [text.slice(0, blank.index), text.slice(blank.index + blank[0].length)];
}

/** The embedded requests of a batch body. Bytes are carried as latin1 strings, so bodies survive unchanged. */
export function parseBatch(body: Buffer, boundary: string): SubRequest[] {
  const text = body.toString('latin1');
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)\\r?\\n?`, 'g');
  const parts: string[] = [];
  let start: number | undefined;
  let closed = false;
  for (let m = delimiter.exec(text); m; m = delimiter.exec(text)) {
    if (start !== undefined) parts.push(text.slice(start, m.index));
    start = m.index + m[0].length;
    if (m[1] === '--') {
      closed = true;
      break;
    }
  }
  if (start === undefined) throw badRequest('The batch body has no part delimited by its boundary.');
  if (!closed) parts.push(text.slice(start));
  const requests = parts.filter((part) => part.trim() !== '');
  if (requests.length === 0) throw badRequest('The batch body holds no requests.');
  if (requests.length > MAX_BATCH_REQUESTS) throw badRequest(`A batch may hold at most ${MAX_BATCH_REQUESTS} requests; this one holds ${requests.length}.`);
  return requests.map((part) => {
    const [partHead, content] = splitAtBlankLine(part);
    const partHeaders = headerBlock(partHead);
    const lineEnd = content.indexOf('\n');
    const requestLine = (lineEnd < 0 ? content : content.slice(0, lineEnd)).trim();
    const [head, requestBody] = splitAtBlankLine(lineEnd < 0 ? '' : content.slice(lineEnd + 1));
    const match = /^([A-Z]+)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?$/.exec(requestLine);
    if (!match) throw badRequest(`The batch part has no valid request line: "${requestLine.slice(0, 200)}".`);
    // python-storage sends absolute URLs, gcsfs paths.
    const target = (match[2] as string).replace(/^https?:\/\/[^/]+/i, '');
    return { contentId: partHeaders['content-id'], method: match[1] as string, path: target, headers: headerBlock(head), body: Buffer.from(requestBody, 'latin1') };
  });
}

function subResponseError(status: number, message: string): SubResponse {
  const body = Buffer.from(JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason: 'invalid' }] } }));
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body };
}

/** Sends one embedded request to this server over loopback. */
function dispatch(x: Exchange, sub: SubRequest): Promise<SubResponse> {
  if (!sub.path.startsWith('/storage/v1/')) {
    return Promise.resolve(subResponseError(400, `Only JSON API requests (/storage/v1/…) can be batched, not "${sub.method} ${sub.path.slice(0, 200)}".`));
  }
  const socket = x.req.socket;
  const headers: Record<string, string> = { ...sub.headers, host: x.req.headers.host ?? `${socket.localAddress}:${socket.localPort}` };
  delete headers['transfer-encoding'];
  headers['content-length'] = String(sub.body.byteLength);
  return new Promise((resolve) => {
    const req = httpRequest({ host: socket.localAddress, port: socket.localPort, method: sub.method, path: sub.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined && name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding') out[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
      });
      res.on('error', (error) => resolve(subResponseError(500, `The batched request failed: ${error.message}`)));
    });
    req.on('error', (error) => resolve(subResponseError(503, `The batched request failed: ${error.message}`)));
    req.end(sub.body);
  });
}

export async function handleBatch(x: Exchange, _state: EmulatorState): Promise<void> {
  const boundary = batchBoundary(x.header('content-type'));
  const requests = parseBatch(await x.bodyBuffer(BATCH_BODY_LIMIT), boundary);
  const responseBoundary = `batch_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
  const pieces: Buffer[] = [];
  // In order, one at a time: the answers must come back in request order, and a batch is small.
  for (const sub of requests) {
    if (x.closed) return;
    const answer = await dispatch(x, sub);
    answer.headers['content-length'] = String(answer.body.byteLength);
    const head = [
      `--${responseBoundary}`,
      'Content-Type: application/http',
      ...(sub.contentId === undefined ? [] : [`Content-ID: <response-${sub.contentId.replace(/^<|>$/g, '')}>`]),
      '',
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`.trimEnd(),
      ...Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    pieces.push(Buffer.from(head, 'latin1'), answer.body, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${responseBoundary}--\r\n`));
  await x.respond(200, { 'content-type': `multipart/mixed; boundary=${responseBoundary}` }, Buffer.concat(pieces));
}
