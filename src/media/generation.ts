/**
 * Generation pinning and transcoding detection for downloads: which generation a media
 * URL names, how to pin a follow-up request to the generation first served, and when GCS decompressed a gzip
 * object on the fly.
 */
import { SourceChangedError } from '../errors.js';
import { headerValue, type HttpResponse } from '../transport/transport.js';
import { redactUrl } from '../util/redact.js';
import { responseContext } from './response-checks.js';

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

/**
 * The generation a download continues with after `response`: the `x-goog-generation` it served when none was
 * known yet, else `known`. A response from another generation means the object was overwritten between two
 * requests (the pin was not honoured, or could not be applied to a signed URL).
 *
 * @throws SourceChangedError when `response` serves a generation other than `known`.
 */
export function servedGeneration(response: HttpResponse, known: string | undefined, mediaUrl: string): string | undefined {
  const served = headerValue(response.headers, 'x-goog-generation');
  if (served === undefined || known === undefined) return known ?? served;
  if (served === known) return known;
  throw new SourceChangedError(
    `The object changed during the download: generation ${served} was served, ${known} expected (${redactUrl(mediaUrl)})`,
    { response: responseContext(response) },
  );
}
