import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretHeader, redactHeaders, redactText, redactUrl } from '../../src/util/redact.js';

test('redactUrl removes signed-URL signatures, credentials, tokens, keys and upload ids, keeping the rest', () => {
  const signed =
    'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam%2F20240101&X-Goog-Date=20240101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=deadbeef';
  assert.equal(
    redactUrl(signed),
    'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=REDACTED&X-Goog-Date=20240101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=REDACTED',
  );
  assert.equal(redactUrl('https://h/o?GoogleAccessId=a&Expires=1&Signature=s%2B'), 'https://h/o?GoogleAccessId=REDACTED&Expires=1&Signature=REDACTED');
  assert.equal(redactUrl('https://h/o?access_token=ya29.x&alt=media'), 'https://h/o?access_token=REDACTED&alt=media');
  assert.equal(redactUrl('https://h/o?key=AIza&uploadType=resumable&upload_id=U'), 'https://h/o?key=REDACTED&uploadType=resumable&upload_id=REDACTED');
  assert.equal(redactUrl('https://user:pass@h/o'), 'https://h/o');
  assert.equal(redactUrl('https://h/a%2Fb?alt=media&generation=5'), 'https://h/a%2Fb?alt=media&generation=5');
  assert.equal(redactUrl('https://h/o'), 'https://h/o');
});

test('redactUrl never throws: an unparsable URL loses its query', () => {
  assert.equal(redactUrl('not a url?X-Goog-Signature=abc'), 'not a url?REDACTED');
  assert.equal(redactUrl('/relative/path'), '/relative/path');
});

test('redactHeaders hides secret headers, lower-cases names, redacts location URLs, drops undefined', () => {
  const out = redactHeaders({
    Authorization: 'Bearer ya29.x',
    'Proxy-Authorization': 'Basic y',
    Cookie: 'c=1',
    'set-cookie': ['a=1'],
    'X-Goog-Encryption-Key': 'k',
    Location: 'https://h/o?upload_id=SECRET',
    'content-location': ['https://h/o?Signature=s'],
    'Content-Type': 'text/plain',
    'x-goog-hash': ['crc32c=AAAAAA==', 'md5=x'],
    absent: undefined,
  });
  assert.deepEqual(out, {
    authorization: 'REDACTED',
    'proxy-authorization': 'REDACTED',
    cookie: 'REDACTED',
    'set-cookie': 'REDACTED',
    'x-goog-encryption-key': 'REDACTED',
    location: 'https://h/o?upload_id=REDACTED',
    'content-location': ['https://h/o?Signature=REDACTED'],
    'content-type': 'text/plain',
    'x-goog-hash': ['crc32c=AAAAAA==', 'md5=x'],
  });
  assert.deepEqual(redactHeaders(undefined), {});
  assert.equal(isSecretHeader('AUTHORIZATION'), true);
  assert.equal(isSecretHeader('x-goog-hash'), false);
});

test('redactHeaders scrubs credentials a server echoes back in any other header', () => {
  const out = redactHeaders({
    'x-debug-request': 'GET /b/o authorization: Bearer ya29.leaked-token',
    'x-echo-url': ['https://h/b/o?X-Goog-Signature=deadbeef&alt=media'],
    'x-plain': 'nothing secret here',
  });
  assert.deepEqual(out, {
    'x-debug-request': 'GET /b/o authorization: Bearer REDACTED',
    'x-echo-url': ['https://h/b/o?X-Goog-Signature=REDACTED&alt=media'],
    'x-plain': 'nothing secret here',
  });
});

test('redactText removes bearer tokens, ya29 tokens and signatures from free text', () => {
  assert.equal(redactText('Authorization: Bearer abc.def-ghi'), 'Authorization: Bearer REDACTED');
  assert.equal(redactText('token ya29.a0AfH6SMB leaked'), 'token ya29.REDACTED leaked');
  assert.equal(
    redactText('<Details>GET https://h/o?X-Goog-Signature=0123abcd&x=1</Details>'),
    '<Details>GET https://h/o?X-Goog-Signature=REDACTED&x=1</Details>',
  );
  assert.equal(redactText('see ?upload_id=ABC and &key=AIza'), 'see ?upload_id=REDACTED and &key=REDACTED');
  assert.equal(redactText('nothing secret here'), 'nothing secret here');
});
