/**
 * Object metadata serialized exactly as Python's `json.dumps` does with its defaults, which is what
 * google-resumable-media sends in multipart bodies and resumable initiate requests: `", "` and `": "` separators,
 * keys in insertion order, and every character outside printable ASCII escaped as `\uXXXX` (`ensure_ascii`).
 * Byte-identical bodies let the Python test vectors apply unchanged and keep request signatures comparable.
 */
import { InvalidArgumentError } from '../errors.js';

/** A JSON value as object metadata can hold it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/** GCS object metadata for an upload (`name`, `contentType`, `metadata`, `crc32c`, ...). */
export type ObjectMetadata = { [key: string]: JsonValue | undefined };

/** Nesting deeper than this is certainly a mistake (or a cycle we missed); it would only fail on the server. */
const MAX_DEPTH = 64;

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/**
 * Python's `ESCAPE_ASCII`: anything that is not a printable ASCII character, plus `"` and `\`. Code units are
 * escaped one by one, so characters outside the BMP become a surrogate pair (`\ud83d\ude00`), as in Python.
 */
function quote(text: string): string {
  const escaped = text.replace(/["\\]|[^\x20-\x7e]/g, (c) => {
    return SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

/**
 * JavaScript cannot tell `1` from `1.0`, so integral values print as Python ints (all digits, even past 1e21).
 * Other values print as Python's float repr: the same shortest digits as JavaScript, but in exponent form below
 * 1e-4 with a signed, two-digit exponent (`1e-05` where JavaScript writes `0.00001`).
 */
function formatNumber(value: number, path: string): string {
  if (!Number.isFinite(value)) {
    // Python would write NaN/Infinity, which is not JSON and which GCS rejects: fail before sending.
    throw new InvalidArgumentError(`Expected \`metadata${path}\` to be a finite number, got \`${value}\``);
  }
  if (Number.isInteger(value)) return Object.is(value, -0) ? '0' : BigInt(value).toString();
  const text = Math.abs(value) < 1e-4 ? value.toExponential() : String(value);
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function serialize(value: unknown, path: string, depth: number, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return formatNumber(value, path);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      throw new InvalidArgumentError(
        `Expected \`metadata${path}\` to be a JSON value (string, number, boolean, null, array or plain object), got \`${typeof value}\``,
      );
  }
  if (depth >= MAX_DEPTH) {
    throw new InvalidArgumentError(`Expected \`metadata\` to nest at most ${MAX_DEPTH} levels, got deeper at \`metadata${path}\``);
  }
  if (seen.has(value)) throw new InvalidArgumentError(`Expected \`metadata\` to be acyclic, got a cycle at \`metadata${path}\``);
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      // JSON.stringify turns holes and undefined into null; Python has neither, so follow JavaScript here.
      const items = Array.from(value, (item, i) => (item === undefined ? 'null' : serialize(item, `${path}[${i}]`, depth + 1, seen)));
      return `[${items.join(', ')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidArgumentError(
        `Expected \`metadata${path}\` to be a plain object, got an instance of ${(value as object).constructor?.name ?? 'an unknown class'}`,
      );
    }
    // Undefined properties are left out, as JSON.stringify does: TypeScript callers use them for "not set".
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `${quote(key)}: ${serialize(member, `${path}.${key}`, depth + 1, seen)}`);
    return `{${members.join(', ')}}`;
  } finally {
    seen.delete(value);
  }
}

/**
 * `metadata` as Python's `json.dumps(metadata)` would write it. JavaScript orders integer-like keys (`"1"`,
 * `"42"`) before the others whatever the insertion order; every other key keeps its insertion order.
 *
 * @throws InvalidArgumentError for values JSON cannot carry (functions, symbols, class instances such as `Date`,
 *   non-finite numbers, cycles), naming the offending path.
 */
export function toPythonJson(metadata: ObjectMetadata): string {
  return serialize(metadata, '', 0, new Set());
}
