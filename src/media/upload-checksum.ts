/**
 * Checks of an upload's checksum against what the server reports, with google-resumable-media's messages
 *, and recognition of the server's own refusal of a checksum we sent.
 */
import { DataCorruption, InvalidResponse, type ResponseContext } from '../errors.js';

/**
 * Compares the `local` digest of the bytes sent with the `remote` one the server reports (from the object
 * resource or `x-goog-hash`).
 *
 * @param key Where the remote value was looked for (`md5Hash`/`crc32c` metadata key, or `x-goog-hash`), for
 *   the message when it is missing.
 * @throws InvalidResponse when the server reported no checksum of that type: nothing would validate the upload.
 * @throws DataCorruption when the two differ. The object (or part) stays on the server.
 */
export function validateUploadChecksum(
  type: 'crc32c' | 'md5',
  local: string,
  remote: string | undefined,
  response: ResponseContext,
  key: string,
): void {
  if (remote === undefined) {
    throw new InvalidResponse(`Response metadata had no \`\`${key}\`\` value; checksum could not be validated.`, { response });
  }
  if (remote !== local) {
    const label = type === 'md5' ? 'MD5' : 'CRC32C';
    throw new DataCorruption(
      `The computed \`\`${label}\`\` checksum, \`\`${local}\`\`, and the checksum reported by the remote host, \`\`${remote}\`\`, did not match.`,
      { algorithm: type, expected: local, actual: remote, response },
    );
  }
}

/** XML error codes with which GCS refuses a body whose bytes do not match the checksum sent with it. */
const DIGEST_REFUSALS = new Set(['BadDigest', 'InvalidDigest', 'CrcMismatch']);

/**
 * The server's refusal of our checksum as a DataCorruption (python-storage's rule for XML part uploads):
 * the bytes it received are not the bytes we hashed. Any other error is returned unchanged.
 */
export function digestRefusal(error: unknown, type: 'crc32c' | 'md5', local: string): unknown {
  if (!(error instanceof InvalidResponse) || error.gcsCode === undefined || !DIGEST_REFUSALS.has(error.gcsCode)) {
    return error;
  }
  return new DataCorruption(
    `Checksum mismatch: the server refused the ${type === 'md5' ? 'MD5' : 'CRC32C'} checksum ${local} calculated by the client ` +
      `(error code ${error.gcsCode}): the bytes it received differ from the bytes that were hashed. ${error.message}`,
    {
      algorithm: type,
      expected: local,
      actual: `refused by the server (${error.gcsCode})`,
      cause: error,
      ...(error.response ? { response: error.response } : {}),
    },
  );
}
