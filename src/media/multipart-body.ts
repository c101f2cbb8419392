/**
 * The `multipart/related` body of a JSON-API multipart upload: one JSON metadata part and one media part,
 * framed byte for byte as google-resumable-media frames it, so its test vectors apply.
 */
import { randomBytes } from 'node:crypto';

/** Python's `"=" * 15`: the boundary prefix of `email.generator`, which google-resumable-media copies. */
const BOUNDARY_PREFIX = '===============';

/** `sys.maxsize` on 64-bit Python: the boundary's random number is drawn from `[0, 2^63 - 1)`. */
const BOUNDARY_RANGE = (1n << 63n) - 1n;

/**
 * A fresh boundary: 15 `=`, a random integer in `[0, 2^63 - 1)` zero-padded to 19 digits, then `==`
 * (e.g. `===============0123456789012345678==`). The random number makes a collision with the payload
 * practically impossible; the server finds parts by the boundary alone.
 *
 * @param random Draws the integer; injectable so tests can pin the boundary.
 */
export function generateBoundary(random: () => bigint = randomBelowRange): string {
  return `${BOUNDARY_PREFIX}${random().toString().padStart(19, '0')}==`;
}

function randomBelowRange(): bigint {
  // 63 random bits land in [0, 2^63); redraw the single value 2^63 - 1 to stay inside Python's half-open range.
  for (;;) {
    const value = randomBytes(8).readBigUInt64BE() >> 1n;
    if (value < BOUNDARY_RANGE) return value;
  }
}

/** The request `content-type` for a body framed with `boundary` (quoted, as Python sends it). */
export function multipartContentType(boundary: string): string {
  return `multipart/related; boundary="${boundary}"`;
}

/**
 * The exact body: both parts framed by `--boundary` lines with CRLF line ends, the media bytes copied as they
 * are, and no CRLF after the closing `--boundary--`.
 */
export function buildMultipartBody(boundary: string, metadataJson: string, data: Uint8Array, contentType: string): Buffer {
  const head =
    `--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${metadataJson}\r\n` +
    `--${boundary}\r\ncontent-type: ${contentType}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), data, Buffer.from(`\r\n--${boundary}--`, 'utf8')]);
}
