/**
 * Objects stored with `Content-Encoding: gzip`. GCS serves them decompressed to a client that does not accept
 * gzip ("decompressive transcoding"), but then it ignores Range and its `x-goog-hash` describes the stored,
 * compressed bytes, so nothing can be verified or parallelised. The engine therefore always fetches the stored
 * bytes (`Accept-Encoding: gzip`), verifies them against the stored CRC32C, and decompresses locally
 * afterwards — what `gcloud storage cp` users expect to find in the file — unless asked to keep them as stored.
 */
import { headerValue } from '../transport/transport.js';

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
