/**
 * The `x-goog-hash` header: `crc32c=<b64>,md5=<b64>`. GCS may send it as two headers, which HTTP stacks join
 * with `", "` (or hand over as an array), so parsing follows google-resumable-media's `_parse_checksum_header`
 * exactly: split on `,`, split each piece on its first `=`, left-trim the name only.
 */
import { InvalidArgumentError, InvalidResponse, type ResponseContext } from '../errors.js';

/**
 * The base64 value of the `type` checksum in an `x-goog-hash` header, or `undefined` when the header is absent
 * or carries no such checksum (composite objects have no md5, for instance).
 *
 * @param value The header as received: a string, the array of repeated headers, or undefined.
 * @param context The response, attached to the InvalidResponse thrown for a malformed or ambiguous header.
 * @throws InvalidResponse when the header names `type` more than once ("X-Goog-Hash header had multiple
 *   ``md5`` values.") or contains a piece without `=`.
 */
export function parseGoogHash(
  value: string | string[] | undefined,
  type: 'crc32c' | 'md5',
  context?: ResponseContext,
): string | undefined {
  if (value === undefined) return undefined;
  const header = Array.isArray(value) ? value.join(', ') : value;
  if (header === '') return undefined;
  const options = context ? { response: context } : {};
  const matches: string[] = [];
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq < 0) {
      throw new InvalidResponse(`X-Goog-Hash header is malformed: piece "${piece}" has no "=". Header: "${header}"`, options);
    }
    // Only the name is trimmed: "md5=" values are base64 and Python compares them untouched.
    if (piece.slice(0, eq).trimStart() === type) matches.push(piece.slice(eq + 1));
  }
  if (matches.length > 1) {
    throw new InvalidResponse(
      `X-Goog-Hash header had multiple \`\`${type}\`\` values. Header: "${header}"; values: ${JSON.stringify(matches)}`,
      options,
    );
  }
  return matches[0];
}

/**
 * The `x-goog-hash` request header for the given base64 checksums, crc32c first, comma-separated as GCS writes
 * it. At least one checksum is required.
 */
export function formatGoogHash(checksums: { crc32c?: string; md5?: string }): string {
  const pieces: string[] = [];
  if (checksums.crc32c !== undefined) pieces.push(`crc32c=${checksums.crc32c}`);
  if (checksums.md5 !== undefined) pieces.push(`md5=${checksums.md5}`);
  if (pieces.length === 0) {
    throw new InvalidArgumentError('Expected `checksums` to contain `crc32c` or `md5`, got neither');
  }
  return pieces.join(',');
}
