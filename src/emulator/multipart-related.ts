/**
 * A streaming parser for `multipart/related` bodies (the JSON API's `uploadType=multipart`). Part headers are
 * small and buffered; part bodies are passed on chunk by chunk as soon as they cannot be the start of the
 * next delimiter, so a multi-GiB media part flows to disk in bounded memory.
 *
 * Line breaks are read leniently, as GCS reads them: CRLF as RFC 2046 says, or bare LF, which gcsfs has sent for
 * years (`--==0==\nContent-Type: …\n\n{…}\n--==0==…`). The opening boundary line decides which one the body
 * uses, and the part headers and delimiters are then read with that line break.
 */
import { badRequest } from './errors.js';

export type MultipartEvent = { type: 'part'; headers: Map<string, string> } | { type: 'data'; chunk: Buffer };

/** A part's header block larger than this is not an upload; refusing it bounds the buffer. */
const HEADER_BLOCK_LIMIT = 16 * 1024;
/** Bytes tolerated before the first boundary (RFC 2046 preamble) or on a boundary line. */
const PREAMBLE_LIMIT = 16 * 1024;

const LF = 0x0a;

/** The `boundary` parameter of a `multipart/related` Content-Type, or a 400. */
export function multipartBoundary(contentType: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (type !== 'multipart/related' || boundary === undefined) {
    throw badRequest(`Expected a multipart/related Content-Type with a boundary, got "${contentType ?? ''}".`);
  }
  return boundary;
}

function malformed(why: string): Error {
  return badRequest(`The multipart body is malformed: ${why}.`);
}

function parseHeaders(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.toString('latin1').split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad part header line "${line.slice(0, 100)}"`);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** True when a delimiter begins inside `tail` and continues into `next` (or is cut off by its end). */
function delimiterStartsIn(tail: Buffer, next: Buffer, delimiter: Buffer): boolean {
  const joint = Buffer.concat([tail, next.subarray(0, delimiter.byteLength - 1)]);
  for (let i = 0; i < tail.byteLength; i += 1) {
    const n = Math.min(delimiter.byteLength, joint.byteLength - i);
    if (joint.subarray(i, i + n).equals(delimiter.subarray(0, n))) return true;
  }
  return false;
}

export async function* parseMultipartRelated(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<MultipartEvent, void, undefined> {
  const first = Buffer.from(`--${boundary}`);
  // Known once the opening boundary line has been read.
  let eol = Buffer.from('\r\n');
  let headerEnd = Buffer.from('\r\n\r\n');
  let delimiter = Buffer.from(`\r\n--${boundary}`);
  let opened = false;
  let state: 'preamble' | 'boundary-line' | 'headers' | 'body' | 'done' = 'preamble';
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    if (state === 'body' && buf.byteLength > 0 && buf.byteLength < delimiter.byteLength && !delimiterStartsIn(buf, chunk, delimiter)) {
      // The held-back tail cannot start a delimiter, so it is data: pass it on and keep the new chunk as it is,
      // instead of copying every chunk of a multi-GiB media part into a new buffer.
      yield { type: 'data', chunk: buf };
      buf = chunk;
    } else {
      buf = buf.byteLength === 0 ? chunk : Buffer.concat([buf, chunk]);
    }
    for (let progressing = true; progressing; ) {
      progressing = false;
      if (state === 'preamble') {
        const at = buf.indexOf(first);
        if (at < 0) {
          if (buf.byteLength > PREAMBLE_LIMIT) throw malformed('no opening boundary');
        } else {
          buf = buf.subarray(at + first.byteLength);
          state = 'boundary-line';
          progressing = true;
        }
      } else if (state === 'boundary-line') {
        if (buf.byteLength >= 2 && buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
        } else {
          const lf = buf.indexOf(LF);
          if (lf < 0) {
            if (buf.byteLength > PREAMBLE_LIMIT) throw malformed('boundary line too long');
          } else {
            const crlf = lf > 0 && buf[lf - 1] === 0x0d;
            if (!/^[ \t]*$/.test(buf.subarray(0, crlf ? lf - 1 : lf).toString('latin1'))) throw malformed('text after a boundary');
            if (!opened) {
              opened = true;
              eol = Buffer.from(crlf ? '\r\n' : '\n');
              headerEnd = Buffer.concat([eol, eol]);
              delimiter = Buffer.concat([eol, Buffer.from(`--${boundary}`)]);
            }
            buf = buf.subarray(lf + 1);
            state = 'headers';
            progressing = true;
          }
        }
      } else if (state === 'headers') {
        // A part with no headers starts with the blank line straight away.
        const bare = buf.byteLength >= eol.byteLength && buf.subarray(0, eol.byteLength).equals(eol);
        const end = bare ? -2 : buf.indexOf(headerEnd);
        if (end === -1) {
          if (buf.byteLength > HEADER_BLOCK_LIMIT) throw malformed('part headers too large');
        } else {
          const headers = end === -2 ? new Map<string, string>() : parseHeaders(buf.subarray(0, end));
          buf = buf.subarray(end === -2 ? eol.byteLength : end + headerEnd.byteLength);
          state = 'body';
          progressing = true;
          yield { type: 'part', headers };
        }
      } else if (state === 'body') {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          if (at > 0) yield { type: 'data', chunk: buf.subarray(0, at) };
          buf = buf.subarray(at + delimiter.byteLength);
          state = 'boundary-line';
          progressing = true;
        } else {
          // Hold back only what could be the start of a delimiter split across chunks.
          const keep = Math.min(buf.byteLength, delimiter.byteLength - 1);
          if (buf.byteLength > keep) yield { type: 'data', chunk: buf.subarray(0, buf.byteLength - keep) };
          buf = buf.subarray(buf.byteLength - keep);
        }
      }
    }
    if (state === 'done') buf = Buffer.alloc(0);
  }
  if (state !== 'done') throw malformed('the body ended before the closing boundary');
}
