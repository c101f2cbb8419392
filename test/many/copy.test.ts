/**
 * Bucket-to-bucket copies speak `objects.rewrite` as GCS documents it: the client loops on `rewriteToken` until
 * `done`, sends no object bytes, and with skipExisting sends `ifGenerationMatch=0` (a 412 means "skipped").
 * Checked against a scripted transport, which makes the wire format explicit (test/many/library.test.ts copies
 * through the emulator).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import type { HttpRequest, HttpResponse, Transport } from '../../src/transport/transport.js';

function scripted(answer: (request: HttpRequest) => { status: number; body: unknown }): { transport: Transport; requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  return {
    requests,
    transport: {
      async request(request) {
        requests.push(request);
        const { status, body } = answer(request);
        const response: HttpResponse = {
          status,
          headers: { 'content-type': 'application/json' },
          body: Readable.from([Buffer.from(JSON.stringify(body))]),
          url: request.url,
        };
        return response;
      },
      async close() {},
    },
  };
}

describe('copy (objects.rewrite)', () => {
  it('loops on rewriteToken until done, naming source and destination in the URL', async () => {
    let calls = 0;
    const { transport, requests } = scripted((request) => {
      calls++;
      const token = new URL(request.url).searchParams.get('rewriteToken');
      if (calls === 1) {
        assert.equal(token, null);
        return { status: 200, body: { kind: 'storage#rewriteResponse', done: false, totalBytesRewritten: '1048576', objectSize: '3145728', rewriteToken: 'tok-1' } };
      }
      if (calls === 2) {
        assert.equal(token, 'tok-1');
        return { status: 200, body: { done: false, totalBytesRewritten: '2097152', objectSize: '3145728', rewriteToken: 'tok-2' } };
      }
      assert.equal(token, 'tok-2');
      return { status: 200, body: { done: true, totalBytesRewritten: '3145728', objectSize: '3145728', resource: { name: 'dst/b c.bin', bucket: 'dst-bucket', size: '3145728', generation: '7', crc32c: 'AAAAAA==' } } };
    });
    await using tm = new TransferManager({ endpoint: 'http://127.0.0.1:1', auth: 'none', transport });
    const result = await tm.copy('gs://src-bucket/a/b.bin', 'gs://dst-bucket/dst/b c.bin');
    assert.deepEqual([result.bytes, result.calls, result.object?.generation], [3145728, 3, '7']);
    assert.equal(requests.length, 3);
    const url = new URL(requests[0]?.url ?? '');
    assert.equal(requests[0]?.method, 'POST');
    assert.equal(url.pathname, '/storage/v1/b/src-bucket/o/a%2Fb.bin/rewriteTo/b/dst-bucket/o/dst%2Fb%20c.bin');
  });

  it('skipExisting sends ifGenerationMatch=0 and reports a 412 as skipped; copyMany lists the source', async () => {
    const { transport, requests } = scripted((request) => {
      const url = new URL(request.url);
      if (request.method === 'GET') {
        return {
          status: 200,
          body: {
            items: [
              { name: 'p/one', bucket: 'src-bucket', size: '10', generation: '1' },
              { name: 'p/sub/two', bucket: 'src-bucket', size: '20', generation: '1' },
            ],
          },
        };
      }
      assert.equal(url.searchParams.get('ifGenerationMatch'), '0');
      if (url.pathname.endsWith('one')) return { status: 412, body: { error: { code: 412, message: 'conditionNotMet' } } };
      return { status: 200, body: { done: true, objectSize: '20', totalBytesRewritten: '20' } };
    });
    await using tm = new TransferManager({ endpoint: 'http://127.0.0.1:1', auth: 'none', transport });
    const summary = await tm.copyMany('gs://src-bucket/p/', 'gs://dst-bucket/q/', { skipExisting: true });
    assert.deepEqual({ objects: summary.objects, skipped: summary.skipped, bytes: summary.bytes }, { objects: 1, skipped: 1, bytes: 20 });
    const posts = requests.filter((r) => r.method === 'POST').map((r) => new URL(r.url).pathname).sort();
    assert.deepEqual(posts, ['/storage/v1/b/src-bucket/o/p%2Fone/rewriteTo/b/dst-bucket/o/q%2Fone', '/storage/v1/b/src-bucket/o/p%2Fsub%2Ftwo/rewriteTo/b/dst-bucket/o/q%2Fsub%2Ftwo']);
  });
});
