/**
 * The scheduler's parts in isolation: the AIMD request limit, the byte budget, larger-first ordering in a
 * bounded lookahead, the per-transfer retry budget, the error classifier, and the scheduled transport's slot
 * lifetime (held until the response body is done).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { InvalidResponse, NetworkError, AbortError, DataCorruption, NotFound } from '../../src/errors.js';
import { AdaptiveLimit } from '../../src/scheduler/adaptive-limit.js';
import { ByteBudget } from '../../src/scheduler/byte-budget.js';
import { classifyError } from '../../src/scheduler/error-class.js';
import { transferRetry } from '../../src/scheduler/retry-budget.js';
import { ScheduledTransport } from '../../src/scheduler/scheduled-transport.js';
import { largestFirst } from '../../src/scheduler/size-first.js';
import { RetryStrategy, retryWithStrategy } from '../../src/transport/retry.js';
import type { HttpResponse, Transport } from '../../src/transport/transport.js';

describe('scheduler', () => {
  it('AdaptiveLimit halves once per round of throttled answers and grows back by one per round of successes', async () => {
    const limit = new AdaptiveLimit(8);
    const slots = await Promise.all(Array.from({ length: 8 }, () => limit.acquire()));
    // A ninth waits.
    let ninth = false;
    const waiting = limit.acquire().then((slot) => {
      ninth = true;
      return slot;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ninth, false);
    // All eight answer 429: one congestion signal, one cut (8 → 4).
    for (const slot of slots) slot.release(429);
    assert.deepEqual([limit.stats.limit, limit.stats.decreases, limit.stats.throttled], [4, 1, 8]);
    const granted = await waiting;
    assert.equal(limit.stats.active, 1);
    // A throttle from a request started after the cut cuts again (4 → 2).
    granted.release(503);
    assert.equal(limit.stats.limit, 2);
    // Successes: +1/limit each, so a round of `limit` successes adds one slot.
    for (let i = 0; i < 2; i++) (await limit.acquire()).release(200);
    assert.equal(limit.stats.limit, 3);
    for (let i = 0; i < 30; i++) (await limit.acquire()).release(200);
    assert.equal(limit.stats.limit, 8, 'never above the maximum');
    assert.equal(limit.stats.lowest, 2);
  });

  it('AdaptiveLimit: a waiter whose signal fires leaves the queue; a slot cannot be released twice', async () => {
    const limit = new AdaptiveLimit(1);
    const held = await limit.acquire();
    const controller = new AbortController();
    const waiter = limit.acquire(controller.signal);
    controller.abort();
    await assert.rejects(waiter, { name: 'AbortError' });
    assert.equal(limit.stats.waiting, 0);
    held.release();
    assert.throws(() => held.release(), /twice/);
    assert.throws(() => new AdaptiveLimit(0), /maxConnections/);
  });

  it('ByteBudget: reservations wait for room in order; one larger than the budget runs alone', async () => {
    const budget = new ByteBudget(100);
    const a = await budget.reserve(60);
    let second = false;
    const b = budget.reserve(60).then((release) => {
      second = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second, false);
    a();
    const releaseB = await b;
    assert.equal(budget.used, 60);
    releaseB();
    const huge = await budget.reserve(10_000);
    assert.equal(budget.used, 100);
    huge();
    assert.equal(budget.used, 0);
  });

  it('largestFirst hands out the largest of a bounded lookahead, and every item exactly once', async () => {
    const sizes = [5, 1, 9, 3, 7, 2, 8, 6, 4, 0];
    let pulled = 0;
    async function* source(): AsyncGenerator<number> {
      for (const size of sizes) {
        pulled++;
        yield size;
      }
    }
    const out: number[] = [];
    const iterator = largestFirst(source(), (n) => n, 4);
    const first = await iterator.next();
    assert.equal(pulled, 4, 'only the lookahead is pulled before the first item');
    out.push(first.value as number);
    for await (const n of iterator) out.push(n);
    assert.deepEqual([...out].sort(), [...sizes].sort());
    assert.equal(out[0], 9);
    const all: number[] = [];
    for await (const n of largestFirst(sizes, (n) => n, 100)) all.push(n);
    assert.deepEqual(all, [...sizes].sort((x, y) => y - x));
  });

  it('a transfer-wide retry budget stops new retries once its requests have waited it out together', async () => {
    let now = 0;
    const base = new RetryStrategy({
      initialDelayMs: 100,
      maxSleepMs: 100,
      maxCumulativeRetryMs: 250,
      random: () => 0,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const shared = transferRetry(base);
    const transient = (): never => {
      throw new NetworkError('reset');
    };
    // The first request spends 200 ms of the 250 ms budget, then gives up on its own bound.
    await assert.rejects(retryWithStrategy(transient, shared), { code: 'ERR_GCS_NETWORK' });
    // A second request of the same transfer gets what is left, not a fresh 250 ms.
    let attempts = 0;
    await assert.rejects(
      retryWithStrategy(() => {
        attempts++;
        return transient();
      }, shared),
    );
    assert.ok(attempts <= 2, `second request made ${attempts} attempts`);
    // A fresh transfer has a fresh budget.
    let fresh = 0;
    await assert.rejects(
      retryWithStrategy(() => {
        fresh++;
        return transient();
      }, transferRetry(base)),
    );
    assert.equal(fresh, 3);
  });

  it('classifies errors into one set of classes', () => {
    const status = (code: number) => new InvalidResponse(`status ${code}`, { response: { status: code, headers: {} } });
    assert.equal(classifyError(status(429)), 'throttled');
    assert.equal(classifyError(status(503)), 'throttled');
    assert.equal(classifyError(status(500)), 'transient');
    assert.equal(classifyError(status(401)), 'auth');
    assert.equal(classifyError(new NotFound('nope', { response: { status: 404, headers: {} } })), 'fatal');
    assert.equal(classifyError(new NetworkError('reset')), 'transient');
    assert.equal(classifyError(new DataCorruption('bad', { algorithm: 'crc32c', expected: 'a', actual: 'b' })), 'protocol');
    assert.equal(classifyError(new AbortError('stop')), 'aborted');
    assert.equal(classifyError(new Error('x')), 'fatal');
  });

  it('ScheduledTransport holds a slot until the response body ends, and passes the status to the budget', async () => {
    const limit = new AdaptiveLimit(1);
    const bodies: PassThrough[] = [];
    const inner: Transport = {
      async request(request): Promise<HttpResponse> {
        const body = new PassThrough();
        bodies.push(body);
        return { status: 429, headers: {}, body, url: request.url };
      },
      async close() {},
    };
    const transport = new ScheduledTransport(inner, limit);
    const first = await transport.request({ method: 'GET', url: 'http://127.0.0.1/x', headers: {} });
    assert.equal(limit.stats.active, 1);
    let second = false;
    const pending = transport.request({ method: 'GET', url: 'http://127.0.0.1/y', headers: {} }).then((r) => {
      second = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second, false, 'the second request waits while the first body is open');
    first.body.resume();
    bodies[0]?.end();
    const response = await pending;
    assert.equal(limit.stats.throttled, 1);
    response.body.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limit.stats.active, 0);
  });
});
