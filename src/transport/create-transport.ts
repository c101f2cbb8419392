/**
 * The transport factory: turns the user-facing `auth`/`endpoint` options into an {@link UndiciTransport} with
 * the right {@link AuthProvider}, refusing combinations that would leak credentials before any request is made.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  GoogleAuthProvider,
  NoAuthProvider,
  StaticTokenProvider,
  canSendCredentials,
  type AuthProvider,
  type AuthScope,
} from './auth.js';
import { GcsEndpoint } from './endpoint.js';
import type { TimeoutOptions, Transport } from './transport.js';
import { UndiciTransport } from './undici-transport.js';

/** How requests authenticate: ADC, anonymous, a fixed access token, or a provider of your own. */
export type AuthOption = 'adc' | 'none' | { token: string } | AuthProvider;

export interface CreateTransportOptions {
  /**
   * Base URL of the APIs; only used here to choose the default `auth` and to refuse credentials over plain http.
   * Build request URLs with a {@link GcsEndpoint} of the same value.
   * @default `STORAGE_EMULATOR_HOST` when set, else 'https://storage.googleapis.com'
   */
  endpoint?: string;
  /**
   * `'adc'`: Application Default Credentials (google-auth-library). `'none'`: anonymous. `{ token }`: a fixed
   * OAuth2 access token. Or any {@link AuthProvider}.
   * @default 'none' for `STORAGE_EMULATOR_HOST` and plain-http endpoints (emulators), else 'adc'
   */
  auth?: AuthOption;
  /**
   * OAuth scope requested with `auth: 'adc'`.
   * @default 'read-write'
   */
  scope?: AuthScope;
  /**
   * Default timeouts of every request.
   * @default { connectMs: 61_000, readMs: 60_000 }
   */
  timeout?: TimeoutOptions;
  /**
   * The `user-agent` header.
   * @default 'gcs-transfer'
   */
  userAgent?: string;
  /**
   * Maximum simultaneous connections per origin.
   * @default 64
   */
  connections?: number;
}

function isAuthProvider(value: unknown): value is AuthProvider {
  return typeof value === 'object' && value !== null && typeof (value as AuthProvider).getHeaders === 'function';
}

export function authProviderFor(auth: AuthOption, scope: AuthScope | undefined): AuthProvider {
  if (auth === 'adc') return new GoogleAuthProvider(scope === undefined ? {} : { scope });
  if (auth === 'none') return new NoAuthProvider();
  if (isAuthProvider(auth)) return auth;
  if (typeof auth === 'object' && auth !== null && 'token' in auth) return new StaticTokenProvider(auth.token);
  throw new InvalidArgumentError(
    `Expected \`auth\` to be 'adc', 'none', { token } or an AuthProvider, got \`${typeof auth === 'string' ? auth : typeof auth}\``,
  );
}

/**
 * Creates the default transport.
 *
 * @example
 * const transport = createTransport({ auth: 'adc', scope: 'read-only' });
 * try { ... } finally { await transport.close(); }
 */
export function createTransport(options: CreateTransportOptions = {}): Transport {
  const endpoint = new GcsEndpoint(options.endpoint);
  const auth = options.auth ?? (endpoint.isEmulator || !endpoint.secure ? 'none' : 'adc');
  const provider = authProviderFor(auth, options.scope);
  if (!(provider instanceof NoAuthProvider) && !canSendCredentials(endpoint.url)) {
    throw new InvalidArgumentError(
      `Refusing to use credentials (\`auth\`) with the plain-http endpoint ${endpoint.url}: use https, a loopback ` +
        "emulator, or `auth: 'none'`.",
    );
  }
  return new UndiciTransport({
    auth: provider,
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
  });
}
