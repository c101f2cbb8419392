import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { InvalidArgumentError, NetworkError } from '../../src/errors.js';
import {
  GoogleAuthProvider,
  NoAuthProvider,
  StaticTokenProvider,
  canSendCredentials,
} from '../../src/transport/auth.js';
import { closedPort } from './loopback.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import { readBodyText } from '../../src/transport/transport.js';

// Never let google-auth-library probe the GCE metadata server or look a project up over the network.
process.env['METADATA_SERVER_DETECTION'] = 'none';
process.env['GOOGLE_CLOUD_PROJECT'] = 'test-project';

/** Sets environment variables for one test and restores them afterwards. */
function withEnv(t: TestContext, values: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(values);
  t.after(() => apply(saved));
}

/** A local OAuth token endpoint that issues numbered tokens and records the form bodies it received. */
async function tokenServer(t: TestContext) {
  const requests: URLSearchParams[] = [];
  let issued = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push(new URLSearchParams(body));
      issued++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          access_token: `ya29.issued-${issued}`,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, requests };
}

/** An ADC credentials file (workload identity federation) whose token exchange goes to `tokenUrl`. */
function adcFile(t: TestContext, tokenUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gcs-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'subject.txt'), 'subject-token');
  const file = join(dir, 'credentials.json');
  writeFileSync(
    file,
    JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: tokenUrl,
      credential_source: { file: join(dir, 'subject.txt') },
    }),
  );
  return file;
}

/** An OAuth2 client (the class behind user, service-account and metadata credentials) refreshing at `tokenUrl`. */
function oauthClient(tokenUrl: string): OAuth2Client {
  const client = new OAuth2Client({ clientId: 'id', clientSecret: 'secret', endpoints: { oauth2TokenUrl: tokenUrl } });
  client.setCredentials({ access_token: 'ya29.initial', refresh_token: 'refresh-me', expiry_date: Date.now() + 3_600_000 });
  return client;
}

test('ADC: the devstorage scope is requested (read-only / read-write) and the token is cached', async (t) => {
  const server = await tokenServer(t);
  withEnv(t, { GOOGLE_APPLICATION_CREDENTIALS: adcFile(t, server.url) });
  const readOnly = new GoogleAuthProvider({ scope: 'read-only' });
  assert.deepEqual(await readOnly.getHeaders('https://storage.googleapis.com/b/o'), { authorization: 'Bearer ya29.issued-1' });
  assert.deepEqual(await readOnly.getHeaders('https://storage.googleapis.com/b/o2'), { authorization: 'Bearer ya29.issued-1' });
  assert.equal(server.requests.length, 1, 'second call served from the cache');
  assert.equal(server.requests[0]?.get('scope'), 'https://www.googleapis.com/auth/devstorage.read_only');

  const readWrite = new GoogleAuthProvider();
  assert.equal(readWrite.scope, 'read-write');
  await readWrite.getHeaders('https://storage.googleapis.com/b/o');
  assert.equal(server.requests[1]?.get('scope'), 'https://www.googleapis.com/auth/devstorage.read_write');
  assert.deepEqual(JSON.parse(JSON.stringify(readOnly)), { type: 'GoogleAuthProvider', scope: 'read-only' });
});

test('forceRefresh fetches a new token; concurrent forced refreshes share one token request', async (t) => {
  const server = await tokenServer(t);
  const provider = new GoogleAuthProvider({ googleAuth: new GoogleAuth({ authClient: oauthClient(server.url) }) });
  assert.deepEqual(await provider.getHeaders('https://storage.googleapis.com/x'), { authorization: 'Bearer ya29.initial' });
  assert.equal(server.requests.length, 0);
  const refreshed = await Promise.all([
    provider.getHeaders('https://storage.googleapis.com/x', { forceRefresh: true }),
    provider.getHeaders('https://storage.googleapis.com/y', { forceRefresh: true }),
  ]);
  assert.deepEqual(refreshed, [{ authorization: 'Bearer ya29.issued-1' }, { authorization: 'Bearer ya29.issued-1' }]);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.get('grant_type'), 'refresh_token');
  assert.deepEqual(await provider.getHeaders('https://storage.googleapis.com/x'), { authorization: 'Bearer ya29.issued-1' });
});

test('UndiciTransport + GoogleAuthProvider: a 401 refreshes the token once and the resend succeeds', async (t) => {
  const server = await tokenServer(t);
  const provider = new GoogleAuthProvider({ googleAuth: new GoogleAuth({ authClient: oauthClient(server.url) }) });
  const seen: (string | undefined)[] = [];
  const api = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.statusCode = req.headers.authorization === 'Bearer ya29.initial' ? 401 : 200;
    res.end(String(res.statusCode));
  });
  api.listen(0, '127.0.0.1');
  await once(api, 'listening');
  const transport = new UndiciTransport({ auth: provider });
  t.after(async () => {
    await transport.close();
    api.close();
  });
  const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/b/o`;
  const response = await transport.request({ method: 'GET', url, headers: {} });
  assert.equal(response.status, 200);
  assert.equal(await readBodyText(response.body), '200');
  assert.deepEqual(seen, ['Bearer ya29.initial', 'Bearer ya29.issued-1']);
});

test('no usable credentials → InvalidArgumentError with guidance and no secrets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gcs-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  withEnv(t, { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'missing.json') });
  await assert.rejects(new GoogleAuthProvider().getHeaders('https://storage.googleapis.com/b/o'), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.match(error.message, /auth: 'adc'/);
    assert.match(error.message, /GOOGLE_APPLICATION_CREDENTIALS/);
    return true;
  });
});

test('an unreachable token endpoint is a retryable NetworkError', async (t) => {
  const port = await closedPort();
  withEnv(t, { GOOGLE_APPLICATION_CREDENTIALS: adcFile(t, `http://127.0.0.1:${port}/token`) });
  await assert.rejects(new GoogleAuthProvider().getHeaders('https://storage.googleapis.com/b/o'), (error: unknown) => {
    assert.ok(error instanceof NetworkError);
    assert.equal(error.systemCode, 'ECONNREFUSED');
    assert.equal(error.retryable, true);
    return true;
  });
});

test('a bad scope is rejected, naming the option', () => {
  assert.throws(() => new GoogleAuthProvider({ scope: 'full-control' as 'read-only' }), {
    code: 'ERR_GCS_INVALID_ARG',
    message: /`scope`.*'read-only' or 'read-write'.*full-control/,
  });
});

test('StaticTokenProvider and NoAuthProvider', async () => {
  assert.deepEqual(await new StaticTokenProvider('ya29.abc').getHeaders(), { authorization: 'Bearer ya29.abc' });
  assert.deepEqual(await new NoAuthProvider().getHeaders(), {});
  for (const bad of ['', '   ', 'a\r\nx-evil: 1', undefined]) {
    assert.throws(() => new StaticTokenProvider(bad as string), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.match(error.message, /`token`/);
      assert.doesNotMatch(error.message, /x-evil/);
      return true;
    });
  }
});

test('canSendCredentials: https anywhere, plain http only to loopback', () => {
  for (const url of [
    'https://storage.googleapis.com/b/o',
    'https://10.0.0.1/',
    'http://127.0.0.1:4443/',
    'http://127.8.9.10/',
    'http://localhost:9000/',
    'http://LOCALHOST/',
    'http://[::1]:80/',
    'http://[::ffff:127.0.0.1]/',
  ]) {
    assert.equal(canSendCredentials(url), true, url);
  }
  for (const url of [
    'http://storage.googleapis.com/',
    'http://10.0.0.1/',
    'http://128.0.0.1/',
    'http://localhost.example.com/',
    'http://127.0.0.1.nip.io/',
    'http://[::2]/',
    'ftp://127.0.0.1/',
  ]) {
    assert.equal(canSendCredentials(url), false, url);
  }
});
