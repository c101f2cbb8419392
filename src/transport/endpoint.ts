/**
 * URLs of the GCS APIs we speak, built from one base: the JSON API under `/storage/v1`, `/download/storage/v1`
 * and `/upload/storage/v1`, and the path-style XML API at `/{bucket}/{object}`. Object names are
 * percent-encoded everywhere, so names with `/`, `#`, `?`, `%`, `+`, spaces or non-ASCII reach the right object.
 */
import { InvalidArgumentError } from '../errors.js';

/** The production endpoint. */
export const DEFAULT_ENDPOINT = 'https://storage.googleapis.com';

/**
 * Percent-encodes everything except RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`). Stricter than
 * `encodeURIComponent`, which leaves `!'()*` alone. Whole-dot segments are encoded too, because URL parsers
 * (and some proxies) collapse `.` and `..` path segments, which would address a different object.
 */
function encodeSegment(segment: string): string {
  if (segment === '.' || segment === '..') return segment.replace(/\./g, '%2E');
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a non-empty string, got \`${String(value)}\` (${typeof value})`);
  }
  // encodeURIComponent throws a URIError on lone surrogates; say which argument was at fault instead.
  try {
    encodeURIComponent(value);
  } catch {
    throw new InvalidArgumentError(`Expected \`${option}\` to be well-formed Unicode, got a string with a lone surrogate`);
  }
  return value;
}

/** A generation as GCS writes it: a decimal integer (a string, as int64 exceeds 2^53). */
function checkGeneration(option: string, value: string | number | bigint): string {
  const text = String(value);
  if (!/^\d+$/.test(text) || (typeof value === 'number' && !Number.isSafeInteger(value))) {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a non-negative decimal integer, got \`${text}\` (${typeof value})`);
  }
  return text;
}

/**
 * The base URL to use: an explicit `endpoint` wins; otherwise `STORAGE_EMULATOR_HOST` as @google-cloud/storage
 * reads it (a scheme-less value is a plain-http emulator, a trailing `/storage/v1` is part of the JSON path, not
 * of the base); otherwise production.
 */
function resolveBase(endpoint: string | undefined, env: NodeJS.ProcessEnv): { base: string; isEmulator: boolean } {
  const emulator = env['STORAGE_EMULATOR_HOST'];
  const fromEnv = endpoint === undefined && emulator !== undefined && emulator.trim() !== '';
  let raw = (fromEnv ? emulator : endpoint ?? DEFAULT_ENDPOINT).trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) raw = `http://${raw}`;
  const option = fromEnv ? 'STORAGE_EMULATOR_HOST' : 'endpoint';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`Expected \`${option}\` to be an http(s) URL or host:port, got \`${raw}\``);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new InvalidArgumentError(
      `Expected \`${option}\` to be an http(s) URL without query, fragment or credentials, got \`${url.protocol}//${url.host}${url.pathname}\``,
    );
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
  return { base: `${url.protocol}//${url.host}${path}`, isEmulator: fromEnv };
}

/** Builds every URL the media classes need, from one base. */
export class GcsEndpoint {
  /** The base URL, without a trailing slash, e.g. `https://storage.googleapis.com`. */
  readonly url: string;
  /** True when the base came from `STORAGE_EMULATOR_HOST` (then requests are anonymous by default). */
  readonly isEmulator: boolean;

  /**
   * @param endpoint Base of the JSON and XML APIs. A value without a scheme is taken as `http://` (an emulator).
   * @default `STORAGE_EMULATOR_HOST` when set, else `https://storage.googleapis.com`
   */
  constructor(endpoint?: string, env: NodeJS.ProcessEnv = process.env) {
    if (endpoint !== undefined && (typeof endpoint !== 'string' || endpoint.trim() === '')) {
      throw new InvalidArgumentError(`Expected \`endpoint\` to be a non-empty URL string, got \`${String(endpoint)}\` (${typeof endpoint})`);
    }
    const { base, isEmulator } = resolveBase(endpoint, env);
    this.url = base;
    this.isEmulator = isEmulator;
  }

  /** Whether requests to this endpoint travel over TLS. */
  get secure(): boolean {
    return this.url.startsWith('https:');
  }

  #object(bucket: string, name: string): string {
    return `b/${encodeSegment(checkName('bucket', bucket))}/o/${encodeSegment(checkName('name', name))}`;
  }

  /** JSON API metadata of an object: `GET {base}/storage/v1/b/{bucket}/o/{name}`. */
  objectMetadataUrl(bucket: string, name: string): string {
    return `${this.url}/storage/v1/${this.#object(bucket, name)}`;
  }

  /**
   * JSON API media download: `{base}/download/storage/v1/b/{bucket}/o/{name}?alt=media[&generation=G]`. Pinning
   * `generation` makes every range of a parallel download read the same bytes.
   */
  mediaUrl(bucket: string, name: string, options: { generation?: string | number | bigint } = {}): string {
    let url = `${this.url}/download/storage/v1/${this.#object(bucket, name)}?alt=media`;
    if (options.generation !== undefined) url += `&generation=${checkGeneration('generation', options.generation)}`;
    return url;
  }

  /**
   * JSON API upload: `{base}/upload/storage/v1/b/{bucket}/o?uploadType=T[&name=N][&ifGenerationMatch=G]`.
   * `name` may be omitted for multipart uploads, whose metadata part names the object;
   * `ifGenerationMatch: 0` means "only if the object does not exist yet".
   */
  uploadUrl(
    bucket: string,
    uploadType: 'media' | 'multipart' | 'resumable',
    options: { name?: string; ifGenerationMatch?: string | number | bigint } = {},
  ): string {
    if (uploadType !== 'media' && uploadType !== 'multipart' && uploadType !== 'resumable') {
      throw new InvalidArgumentError(
        `Expected \`uploadType\` to be 'media', 'multipart' or 'resumable', got \`${String(uploadType)}\``,
      );
    }
    let url = `${this.url}/upload/storage/v1/b/${encodeSegment(checkName('bucket', bucket))}/o?uploadType=${uploadType}`;
    if (options.name !== undefined) url += `&name=${encodeSegment(checkName('name', options.name))}`;
    if (options.ifGenerationMatch !== undefined) {
      url += `&ifGenerationMatch=${checkGeneration('ifGenerationMatch', options.ifGenerationMatch)}`;
    }
    return url;
  }

  /**
   * Path-style XML API URL of an object, `{base}/{bucket}/{name}`, without a query (the MPU classes add theirs).
   * `/` in the name stays a separator, as GCS expects for XML paths; every other reserved character is encoded.
   */
  xmlObjectUrl(bucket: string, name: string): string {
    const path = checkName('name', name).split('/').map(encodeSegment).join('/');
    return `${this.url}/${encodeSegment(checkName('bucket', bucket))}/${path}`;
  }
}
