/**
 * Objects stored with `Content-Encoding: gzip`. GCS serves them decompressed to a client that does not accept
 * gzip ("decompressive transcoding"), but then it ignores Range and its `x-goog-hash` describes the stored,
 * compressed bytes, so nothing can be verified or parallelised. The engine therefore always fetches the stored
 * bytes (`Accept-Encoding: gzip`), verifies them against the stored CRC32C, and decompresses locally
 * afterwards — what `gcloud storage cp` users expect to find in the file — unless asked to keep them as stored.
 */
import { InvalidResponse } from '../../errors.js';
import { headerValue } from '../../transport/transport.js';

/** The object's stored content encoding from a media response's headers; undefined for identity. */
export function storedContentEncoding(headers: Record<string, string | string[]>): string | undefined {
  const stored = headerValue(headers, 'x-goog-stored-content-encoding') ?? headerValue(headers, 'content-encoding');
  const value = stored?.trim().toLowerCase();
  return value === undefined || value === '' || value === 'identity' ? undefined : value;
}

/** Whether an object stored with `encoding` is decompressed on download (gzip is the one GCS transcodes). */
export function decompressesOnDownload(encoding: string | undefined): boolean {
  return encoding === 'gzip' || encoding === 'x-gzip';
}

/** The zlib code (`Z_DATA_ERROR`, `Z_BUF_ERROR`, ...) of a decode failure, possibly wrapped; else undefined. */
export function zlibErrorCode(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_') ? code : undefined;
}

/**
 * The error for an object stored with Content-Encoding: gzip whose bytes do not decode. `verified`: the stored
 * bytes matched the stored CRC32C, so the object itself is at fault (retrying will not help); otherwise the
 * bytes could not be checked and the transfer may be.
 */
export function notGzipError(label: string, zlib: string | undefined, cause: unknown, options: { verified: boolean }): InvalidResponse {
  const what = options.verified ? 'its (verified) bytes' : 'its bytes (not verified: no CRC32C was checked)';
  return new InvalidResponse(
    `${label} is stored with Content-Encoding: gzip but ${what} are not valid gzip (${zlib ?? 'decode error'}); ` +
      'download it with `decompress: false` to get them as stored',
    { cause },
  );
}
