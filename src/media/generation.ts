/**
 * Generation pinning and transcoding detection for downloads (protocol-spec §3, §7): which generation a media
 * URL names, how to pin a follow-up request to the generation first served, and when GCS decompressed a gzip
 * object on the fly.
 */
import { headerValue } from '../transport/transport.js';

/** Query parameters that make a URL a signed URL: appending anything would void its signature. */
const SIGNATURE_PARAMS = ['x-goog-signature', 'signature'];

/** The URL's first `generation` query value (Python's `_get_generation_from_url`), as a decimal string. */
export function generationOf(url: string): string | undefined {
  const value = new URL(url).searchParams.get('generation');
  return value === null || value === '' ? undefined : value;
}

/**
 * `url` pinned to `generation` (Python's `add_query_parameters(url, {generation})`), for requests that
 * continue a download, so an overwrite between two requests cannot mix generations. Unchanged when the URL
 * already names a generation, or is signed: the signature covers the query string, and the caller then relies
 * on the `x-goog-generation` check of each response instead.
 *
 * Unlike Python the existing query is kept byte for byte (Python re-encodes it and drops blank parameters).
 */
export function pinGeneration(url: string, generation: string): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('generation')) return url;
  for (const name of parsed.searchParams.keys()) {
    if (SIGNATURE_PARAMS.includes(name.toLowerCase())) return url;
  }
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}generation=${encodeURIComponent(generation)}${fragment}`;
}

/**
 * Python's `_is_decompressive_transcoding`: the object is stored gzip-compressed but served decompressed
 * (exact, case-sensitive header values, as in Python). GCS then ignores `Range` and sends the whole object,
 * and `x-goog-hash` describes the stored (compressed) bytes, not the ones received.
 */
export function isDecompressiveTranscoding(headers: Record<string, string | string[]>): boolean {
  return headerValue(headers, 'x-goog-stored-content-encoding') === 'gzip' && headerValue(headers, 'content-encoding') !== 'gzip';
}
