/**
 * Where request credentials come from. The transport asks an {@link AuthProvider} for headers before each
 * request (providers cache, so this is cheap) and once more, with `forceRefresh`, after a 401.
 */
import type { GoogleAuth } from 'google-auth-library';
import { InvalidArgumentError, NetworkError, NoCredentialsError, TimeoutError } from '../errors.js';
import { redactText, redactUrl } from '../util/redact.js';
import { mapTransportError } from './error-mapping.js';

export interface AuthHeaderOptions {
  /** Discard any cached token and fetch a new one: the server just rejected the cached one (401). */
  forceRefresh?: boolean;
}

export interface AuthProvider {
  /** Headers that authenticate a request to `url` (lower-case names), e.g. `{ authorization: 'Bearer …' }`. */
  getHeaders(url: string, options?: AuthHeaderOptions): Promise<Record<string, string>>;
}

/** Anonymous access: public objects and emulators. Sends no credentials, so plain http is allowed anywhere. */
export class NoAuthProvider implements AuthProvider {
  async getHeaders(): Promise<Record<string, string>> {
    return {};
  }
}

/**
 * A fixed OAuth2 access token (e.g. from `gcloud auth print-access-token`). It cannot be refreshed: when it
 * expires, requests fail with 401 and the caller needs a new token.
 */
export class StaticTokenProvider implements AuthProvider {
  readonly #authorization: string;

  constructor(token: string) {
    if (typeof token !== 'string' || token.trim() === '' || /[\r\n]/.test(token)) {
      // The value itself is a secret: describe it, never echo it.
      const shown = typeof token === 'string' ? `a string of ${token.length} characters` : typeof token;
      throw new InvalidArgumentError(`Expected \`token\` to be a non-empty single-line access token, got ${shown}`);
    }
    this.#authorization = `Bearer ${token.trim()}`;
  }

  async getHeaders(): Promise<Record<string, string>> {
    return { authorization: this.#authorization };
  }

  /** Keeps the token out of `console.log` and JSON output. */
  toJSON(): Record<string, string> {
    return { type: 'StaticTokenProvider' };
  }
}

/** The two devstorage OAuth scopes: least privilege for reads. */
export type AuthScope = 'read-only' | 'read-write';

const SCOPES: Record<AuthScope, string> = {
  'read-only': 'https://www.googleapis.com/auth/devstorage.read_only',
  'read-write': 'https://www.googleapis.com/auth/devstorage.read_write',
};

export interface GoogleAuthProviderOptions {
  /**
   * The OAuth scope requested from Application Default Credentials.
   * @default 'read-write'
   */
  scope?: AuthScope;
  /**
   * A preconfigured `GoogleAuth` (key file, explicit client, …). When given, `scope` is not applied: the
   * instance's own scopes are.
   * @default new GoogleAuth({ scopes: [the scope's URL] }), i.e. Application Default Credentials
   */
  googleAuth?: GoogleAuth;
}

/**
 * Application Default Credentials through google-auth-library: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's user
 * credentials, or the metadata server. The library caches the token and refreshes it before it expires; a 401
 * makes us refresh at once (`forceRefresh`).
 */
export class GoogleAuthProvider implements AuthProvider {
  readonly scope: AuthScope;
  readonly #given: GoogleAuth | undefined;
  /**
   * Made at the first token request: google-auth-library is loaded only then, so the worker threads (which are
   * handed tokens, never ask for them) and anonymous emulator runs do not pay for loading it.
   */
  #auth: Promise<GoogleAuth> | undefined;
  /** The forced refresh in flight: a burst of 401s from parallel parts must cost one token request, not one each. */
  #refreshing: Promise<void> | undefined;

  constructor(options: GoogleAuthProviderOptions = {}) {
    const scope = options.scope ?? 'read-write';
    if (!(scope in SCOPES)) {
      throw new InvalidArgumentError(`Expected \`scope\` to be 'read-only' or 'read-write', got \`${String(scope)}\``);
    }
    this.scope = scope;
    this.#given = options.googleAuth;
  }

  #googleAuth(): Promise<GoogleAuth> {
    this.#auth ??= this.#given
      ? Promise.resolve(this.#given)
      : import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [SCOPES[this.scope]] }));
    return this.#auth;
  }

  async getHeaders(url: string, options: AuthHeaderOptions = {}): Promise<Record<string, string>> {
    try {
      const client = await (await this.#googleAuth()).getClient();
      // OAuth2-based clients (user, service account, metadata server) expose a real refresh; others (external
      // accounts) keep their own cache and refresh when the token expires. (The class is looked up only for a
      // forced refresh: every request asks for headers, and the library is loaded lazily.)
      if (options.forceRefresh && client instanceof (await import('google-auth-library')).OAuth2Client) {
        this.#refreshing ??= client
          .refreshAccessToken()
          .then(() => undefined)
          .finally(() => {
            this.#refreshing = undefined;
          });
        await this.#refreshing;
      }
      const headers = await client.getRequestHeaders(url);
      // google-auth-library 10 returns a fetch `Headers`; iteration yields lower-case names.
      return Object.fromEntries(headers.entries());
    } catch (error) {
      throw authError(error, url);
    }
  }

  toJSON(): Record<string, string> {
    return { type: 'GoogleAuthProvider', scope: this.scope };
  }
}

/**
 * A failure to obtain a token. Network trouble reaching the token endpoint stays retryable; anything else is a
 * configuration problem. The library's error objects can hold request bodies with refresh tokens, so only a
 * redacted message survives, never the original object.
 */
function authError(error: unknown, url: string): Error {
  const message = redactText(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  const cause = Object.assign(new Error(message), typeof code === 'string' ? { code } : {});
  const mapped = mapTransportError(cause, { method: 'POST', url: 'google-auth-library token request' });
  if (mapped instanceof NetworkError) {
    const Kind = mapped instanceof TimeoutError ? TimeoutError : NetworkError;
    return new Kind(`Could not obtain an access token for ${redactUrl(url)}: ${message}`, {
      cause,
      ...(mapped.systemCode ? { systemCode: mapped.systemCode } : {}),
    });
  }
  if (/Could not load the default credentials/i.test(message)) {
    return new NoCredentialsError(
      'No Google credentials found (Application Default Credentials). For GCS, run ' +
        '`gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS to a key file; for an ' +
        "emulator, use its http:// endpoint or `auth: 'none'`.",
    );
  }
  return new InvalidArgumentError(
    `Could not obtain an access token for ${redactUrl(url)} from Application Default Credentials (\`auth: 'adc'\`): ${message}. ` +
      "Set GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`; use `auth: 'none'` for an emulator.",
    { cause },
  );
}

/**
 * Whether credentials may travel to `url`: over TLS, or to this machine (an emulator on loopback). Anywhere else
 * plain http would hand the token to every hop on the path.
 */
export function canSendCredentials(url: string | URL): boolean {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol === 'https:') return true;
  if (parsed.protocol !== 'http:') return false;
  const host = parsed.hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host === 'localhost.' ||
    host === '[::1]' ||
    // The URL parser normalises IPv4 (127.1 → 127.0.0.1) and IPv4-mapped IPv6 (::ffff:127.0.0.1 → ::ffff:7f00:1).
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}
