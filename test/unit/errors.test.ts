import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  AbortError,
  DataCorruption,
  GcsTransferError,
  InvalidArgumentError,
  InvalidResponse,
  MultipartUploadError,
  NetworkError,
  NotFound,
  PreconditionFailed,
  TimeoutError,
  deserializeError,
  isRetryable,
  serializeError,
  statusError,
} from '../../src/errors.js';

const response = (status: number, headers: Record<string, string | string[]> = {}) => ({ response: { status, headers } });

test('InvalidResponse keeps the status and headers of its response', () => {
  const error = new InvalidResponse('Request failed with status code 503', {
    ...response(503, { 'Content-Type': 'text/plain' }),
    expected: [200, 206],
  });
  assert.equal(error.status, 503);
  assert.deepEqual(error.headers, { 'content-type': 'text/plain' });
  assert.deepEqual(error.expected, [200, 206]);
  assert.equal(error.code, 'ERR_GCS_INVALID_RESPONSE');
  assert.equal(error.name, 'InvalidResponse');
});

test('retryability: transient statuses and every network error; nothing else', () => {
  for (const status of [408, 429, 500, 502, 503, 504]) assert.equal(isRetryable(new InvalidResponse('x', response(status))), true, String(status));
  for (const status of [200, 206, 308, 400, 401, 403, 404, 409, 412, 416, 501]) {
    assert.equal(isRetryable(statusError('x', response(status))), false, String(status));
  }
  assert.equal(isRetryable(new InvalidResponse('missing header')), false);
  assert.equal(isRetryable(new NetworkError('reset', { systemCode: 'ECONNRESET' })), true);
  assert.equal(isRetryable(new TimeoutError('slow')), true);
  assert.equal(isRetryable(new DataCorruption('bad', { algorithm: 'md5', expected: 'a', actual: 'b' })), false);
  assert.equal(isRetryable(new AbortError()), false);
  assert.equal(isRetryable(new InvalidArgumentError('x')), false);
  assert.equal(isRetryable(new Error('ECONNRESET')), false);
  assert.equal(isRetryable(undefined), false);
});

test('statusError picks the subclass: 412 PreconditionFailed, 404 NotFound, else InvalidResponse', () => {
  const p = statusError('x', response(412));
  assert.ok(p instanceof PreconditionFailed && p instanceof InvalidResponse);
  assert.equal(p.code, 'ERR_GCS_PRECONDITION_FAILED');
  const n = statusError('x', response(404));
  assert.ok(n instanceof NotFound);
  assert.equal(n.code, 'ERR_GCS_NOT_FOUND');
  const other = statusError('x', response(500));
  assert.ok(!(other instanceof NotFound) && other instanceof InvalidResponse);
});

test('DataCorruption is not an InvalidResponse (as in Python); TimeoutError is a NetworkError', () => {
  const corruption = new DataCorruption('bad', { algorithm: 'crc32c', expected: 'AAAAAA==', actual: 'ihY6wA==' });
  assert.ok(!(corruption instanceof InvalidResponse));
  assert.ok(corruption instanceof GcsTransferError);
  assert.ok(new TimeoutError('t') instanceof NetworkError);
  assert.ok(!(new NetworkError('n') instanceof TimeoutError));
});

test('AbortError looks like Node/DOM aborts: name AbortError, code ABORT_ERR', () => {
  const reason = new Error('why');
  const error = new AbortError(undefined, { cause: reason });
  assert.equal(error.name, 'AbortError');
  assert.equal(error.code, 'ABORT_ERR');
  assert.equal(error.cause, reason);
  assert.equal(error.message, 'The operation was aborted');
});

test('instanceof works across a second copy of the module (brand), and still narrows by class', async () => {
  // A different specifier makes the loader evaluate the module again, like a duplicate install would.
  const specifier: string = '../../src/errors.js?second-copy';
  const copy = (await import(specifier)) as typeof import('../../src/errors.js');
  assert.notEqual(copy.InvalidResponse, InvalidResponse);
  assert.ok(new copy.InvalidResponse('x') instanceof InvalidResponse);
  assert.ok(new copy.NotFound('x') instanceof InvalidResponse);
  assert.ok(new copy.NetworkError('x') instanceof GcsTransferError);
  assert.ok(!(new copy.NetworkError('x') instanceof InvalidResponse));
  assert.ok(!({ code: 'ERR_GCS_NETWORK' } instanceof NetworkError));
});

test('request and response context is redacted and non-enumerable (logs stay small)', () => {
  const error = new InvalidResponse('failed: Bearer ya29.secret-token', {
    request: { method: 'PUT', url: 'https://h/upload?upload_id=SESSION&uploadType=resumable' },
    response: {
      status: 500,
      headers: { Authorization: 'Bearer ya29.secret-token', location: 'https://h/o?X-Goog-Signature=abc' },
      body: 'echo access_token=ya29.other',
    },
  });
  assert.equal(Object.keys(error).includes('request'), false);
  assert.equal(Object.keys(error).includes('response'), false);
  assert.equal(error.request?.url, 'https://h/upload?upload_id=REDACTED&uploadType=resumable');
  assert.equal(error.headers?.['authorization'], 'REDACTED');
  assert.equal(error.headers?.['location'], 'https://h/o?X-Goog-Signature=REDACTED');
  assert.equal(error.response?.body, 'echo access_token=ya29.REDACTED');
  assert.equal(error.message, 'failed: Bearer REDACTED');
  const everything = `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
  for (const secret of ['secret-token', 'SESSION', 'abc', 'ya29.other']) assert.ok(!everything.includes(secret), secret);
});

test('serialize/deserialize round-trips class, code, fields, context and cause (worker boundary)', () => {
  const cause = new NetworkError('reset', { systemCode: 'ECONNRESET' });
  const original = new MultipartUploadError('upload failed', {
    cause,
    uploadId: 'UP1',
    completedParts: [{ partNumber: 1, etag: '"e1"', crc32c: 'AAAAAA==', size: 5 }],
    cleanup: 'left-for-resume',
    request: { method: 'POST', url: 'https://h/b/o?uploadId=UP1' },
  });
  const data = JSON.parse(JSON.stringify(serializeError(original)));
  const back = deserializeError(data);
  assert.ok(back instanceof MultipartUploadError);
  assert.equal(back.uploadId, 'UP1');
  assert.equal(back.cleanup, 'left-for-resume');
  assert.deepEqual(back.completedParts, original.completedParts);
  assert.equal(back.request?.url, 'https://h/b/o?uploadId=UP1');
  assert.ok(back.cause instanceof NetworkError);
  assert.equal((back.cause as NetworkError).systemCode, 'ECONNRESET');
  assert.equal(isRetryable(back.cause), true);

  const corruption = deserializeError(
    serializeError(new DataCorruption('bad', { algorithm: 'md5', expected: 'a', actual: 'b', range: { start: 0, end: 9 } })),
  );
  assert.ok(corruption instanceof DataCorruption);
  assert.deepEqual(corruption.range, { start: 0, end: 9 });
  const status = deserializeError(serializeError(statusError('gone', { ...response(404), gcsCode: 'NoSuchKey' })));
  assert.ok(status instanceof NotFound);
  assert.equal(status.gcsCode, 'NoSuchKey');
  assert.equal(status.status, 404);
});

test('foreign errors serialize with their code and a redacted message; cycles are bounded', () => {
  const foreign = Object.assign(new Error('token ya29.abc leaked'), { code: 'EPIPE' });
  const data = serializeError(foreign);
  assert.equal(data.code, 'EPIPE');
  assert.equal(data.message, 'token ya29.REDACTED leaked');
  const back = deserializeError(data);
  assert.equal((back as { code?: string }).code, 'EPIPE');
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  let depth = 0;
  for (let s: ReturnType<typeof serializeError> | undefined = serializeError(a); s; s = s.cause) depth++;
  assert.ok(depth <= 5);
  assert.deepEqual(serializeError('plain'), { name: 'Error', message: 'plain' });
});
