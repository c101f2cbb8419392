/**
 * Argument checks shared by the media classes. They run before any I/O and throw InvalidArgumentError naming
 * the argument, the value received and the form expected.
 */
import { InvalidArgumentError } from '../errors.js';
import { redactUrl } from '../util/redact.js';

/** A short description of a value's type for error messages (never its contents). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `an instance of ${value.constructor?.name ?? 'Object'}`;
}

/** Throws unless `url` is an absolute http(s) URL; with `allowQuery: false`, also when it has a query. */
export function checkUrl(url: unknown, argument: string, options: { allowQuery?: boolean } = {}): string {
  let parsed: URL | undefined;
  if (typeof url === 'string') {
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
  }
  // Only for the error messages: redacting parses the URL again, and this runs for every request object.
  const shown = (): string => (typeof url === 'string' ? `\`${redactUrl(url)}\`` : describe(url));
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new InvalidArgumentError(`Expected \`${argument}\` to be an absolute http(s) URL, got ${shown()}`);
  }
  if (options.allowQuery === false && (parsed.search !== '' || (url as string).includes('?'))) {
    // Query parameters are appended by concatenation (`?uploads`, `?uploadId=`), as in Python.
    throw new InvalidArgumentError(`Expected \`${argument}\` to be an object URL without a query string, got ${shown()}`);
  }
  return url as string;
}

/** Copies `headers` with lower-case names, checking every value is a string. */
export function checkHeaders(headers: unknown, argument = 'headers'): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new InvalidArgumentError(`Expected \`${argument}\` to be an object of header names to strings, got ${describe(headers)}`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(`Expected \`${argument}.${name}\` to be a string, got ${describe(value)}`);
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** Throws unless `data` is bytes (Python's `TypeError: data must be bytes`). */
export function checkBytes(data: unknown, argument = 'data'): Uint8Array {
  if (data instanceof Uint8Array) return data;
  throw new InvalidArgumentError(`Expected \`${argument}\` to be a Uint8Array or Buffer, got ${describe(data)}`);
}

/** Throws unless `contentType` is a non-empty string without line breaks (it is framed into headers and bodies). */
export function checkContentType(contentType: unknown, argument = 'contentType'): string {
  if (typeof contentType === 'string' && contentType !== '' && !/[\r\n]/.test(contentType)) return contentType;
  const shown = typeof contentType === 'string' ? `\`${JSON.stringify(contentType)}\`` : describe(contentType);
  throw new InvalidArgumentError(`Expected \`${argument}\` to be a non-empty media type without line breaks, got ${shown}`);
}

/** Throws unless `value` is an integer in `[min, max]`. */
export function checkInteger(value: unknown, argument: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  const shown = typeof value === 'number' || typeof value === 'string' ? `\`${String(value)}\` (${typeof value})` : describe(value);
  throw new InvalidArgumentError(`Expected \`${argument}\` to be an integer ${range}, got ${shown}`);
}

/** Throws unless `metadata` is a plain object (an array or a class instance is not object metadata). */
export function checkMetadata<T>(metadata: T, argument = 'metadata'): T {
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) return metadata;
  throw new InvalidArgumentError(`Expected \`${argument}\` to be a plain object, got ${describe(metadata)}`);
}
