import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors as undiciErrors } from 'undici';
import { AbortError, InvalidArgumentError, InvalidResponse, NetworkError, TimeoutError } from '../../src/errors.js';
import { mapTransportError } from '../../src/transport/error-mapping.js';

const request = { method: 'GET', url: 'https://storage.googleapis.com/b/o?upload_id=SECRET' };
const systemError = (code: string) => Object.assign(new Error(`${code} happened`), { code });

test('undici and kernel timeouts → TimeoutError with systemCode and cause', () => {
  const cases: [Error, string][] = [
    [new undiciErrors.HeadersTimeoutError(), 'UND_ERR_HEADERS_TIMEOUT'],
    [new undiciErrors.BodyTimeoutError(), 'UND_ERR_BODY_TIMEOUT'],
    [new undiciErrors.ConnectTimeoutError(), 'UND_ERR_CONNECT_TIMEOUT'],
    [systemError('ETIMEDOUT'), 'ETIMEDOUT'],
  ];
  for (const [cause, code] of cases) {
    const mapped = mapTransportError(cause, request);
    assert.ok(mapped instanceof TimeoutError, code);
    assert.equal(mapped.systemCode, code);
    assert.equal(mapped.cause, cause);
    assert.equal(mapped.retryable, true);
    assert.equal(mapped.request?.method, 'GET');
  }
});

test('connection failures → NetworkError (not TimeoutError), also when the code sits on a cause', () => {
  const codes = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH'];
  for (const code of codes) {
    const mapped = mapTransportError(systemError(code), request);
    assert.ok(mapped instanceof NetworkError && !(mapped instanceof TimeoutError), code);
    assert.equal(mapped.systemCode, code);
  }
  const undiciCases: [Error, string][] = [
    [new undiciErrors.SocketError('other side closed'), 'UND_ERR_SOCKET'],
    [new undiciErrors.ClientClosedError(), 'UND_ERR_CLOSED'],
    [new undiciErrors.ClientDestroyedError(), 'UND_ERR_DESTROYED'],
    [new undiciErrors.ResponseContentLengthMismatchError(), 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'],
    [Object.assign(new Error('Parse Error: Invalid header value char'), { code: 'HPE_INVALID_HEADER_TOKEN' }), 'HPE_INVALID_HEADER_TOKEN'],
  ];
  for (const [error, code] of undiciCases) {
    const mapped = mapTransportError(error, request);
    assert.ok(mapped instanceof NetworkError, code);
    assert.equal(mapped.systemCode, code);
  }
  // fetch-style wrapping: TypeError('fetch failed') with the system error as its cause.
  const wrapped = mapTransportError(new TypeError('fetch failed', { cause: systemError('ECONNRESET') }), request);
  assert.ok(wrapped instanceof NetworkError);
  assert.equal(wrapped.systemCode, 'ECONNRESET');
});

test('aborts → AbortError; an aborted signal wins over whatever the error was, with its reason as cause', () => {
  const reason = new Error('user stop');
  const controller = new AbortController();
  controller.abort(reason);
  const fromReset = mapTransportError(systemError('ECONNRESET'), request, controller.signal);
  assert.ok(fromReset instanceof AbortError);
  assert.equal(fromReset.cause, reason);
  const domAbort = mapTransportError(new DOMException('This operation was aborted', 'AbortError'), request);
  assert.ok(domAbort instanceof AbortError);
  assert.ok(mapTransportError(new undiciErrors.RequestAbortedError(), request) instanceof AbortError);
  const ours = new AbortError();
  assert.equal(mapTransportError(ours, request, controller.signal), ours);
});

test('our own errors pass through; undici argument errors become InvalidArgumentError; others are untouched', () => {
  const invalid = new InvalidResponse('bad');
  assert.equal(mapTransportError(invalid, request), invalid);
  assert.ok(mapTransportError(new undiciErrors.InvalidArgumentError('invalid method'), request) instanceof InvalidArgumentError);
  const bug = new TypeError('x is not a function');
  assert.equal(mapTransportError(bug, request), bug);
  const disk = systemError('ENOSPC');
  assert.equal(mapTransportError(disk, request), disk, 'a failing destination is not a network error');
  const cert = systemError('CERT_HAS_EXPIRED');
  assert.equal(mapTransportError(cert, request), cert, 'certificate errors are not retried');
  assert.equal(mapTransportError('string', request), 'string');
});

test('messages name the method and redacted URL', () => {
  const mapped = mapTransportError(systemError('ECONNRESET'), request) as NetworkError;
  assert.match(mapped.message, /^GET https:\/\/storage\.googleapis\.com\/b\/o\?upload_id=REDACTED failed \(ECONNRESET\)/);
  assert.ok(!mapped.message.includes('SECRET'));
  assert.ok(!mapped.request?.url.includes('SECRET'));
});
