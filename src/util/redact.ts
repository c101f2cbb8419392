/**
 * Redaction of credentials before anything reaches an error message, a log line, `--json` output or a
 * progress line. Everything that renders a URL or headers for humans goes through here.
 */

/** Header names whose values are secrets (compared lower-case). */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-goog-iam-authorization-token',
  'x-goog-encryption-key',
  'x-goog-copy-source-encryption-key',
  'x-goog-user-project-key',
]);

/**
 * Query parameters that carry credentials: V4/V2 signed-URL signatures and credentials, OAuth tokens passed
 * as parameters, and API keys. Compared lower-case because signed URLs use both `X-Goog-Signature` and
 * `x-goog-signature`.
 */
const SECRET_QUERY_PARAMS = new Set([
  'x-goog-signature',
  'x-goog-credential',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'signature',
  'googleaccessid',
  'access_token',
  'key',
  'upload_id',
]);

const REDACTED = 'REDACTED';

/**
 * Returns `url` with every credential-bearing query value replaced by `REDACTED` and any userinfo removed.
 * Resumable `upload_id`s are redacted too: holding one is enough to write to the object.
 * Never throws: an unparsable URL is reduced to what precedes its query string.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const q = url.indexOf('?');
    return q < 0 ? url : `${url.slice(0, q)}?${REDACTED}`;
  }
  parsed.username = '';
  parsed.password = '';
  if (parsed.search === '') return parsed.toString();
  // Rebuild by hand: URLSearchParams would re-encode the other values and make the URL harder to recognise.
  const parts = parsed.search
    .slice(1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // Keep the raw name: a malformed escape is not a secret in itself.
      }
      return SECRET_QUERY_PARAMS.has(name.toLowerCase()) ? `${rawName}=${REDACTED}` : pair;
    });
  parsed.search = '';
  return `${parsed.toString()}?${parts.join('&')}`;
}

/** True when a header's value must never be shown. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/**
 * Copies `headers` with secret values replaced, names lower-cased, and `location` URLs redacted (a redirect
 * can point at a signed URL).
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined> | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!headers) return out;
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (SECRET_HEADERS.has(name)) out[name] = REDACTED;
    else if (name === 'location' || name === 'content-location') {
      out[name] = Array.isArray(value) ? value.map(redactUrl) : redactUrl(value);
    } else {
      // Any other header may echo a credential back (a debugging proxy, a hostile server): scrub its text too.
      out[name] = Array.isArray(value) ? value.map(redactText) : redactText(value);
    }
  }
  return out;
}

/**
 * Removes anything that looks like a bearer token or a signed-URL signature from free text (a server's error
 * body can echo the request). Used on text we did not build ourselves.
 */
export function redactText(text: string): string {
  return text
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`)
    .replace(/(ya29\.)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`)
    .replace(
      /([?&](?:x-goog-signature|x-goog-credential|x-amz-signature|signature|access_token|key|upload_id)=)[^&\s"'<]+/gi,
      `$1${REDACTED}`,
    );
}
