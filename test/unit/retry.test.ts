import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, DataCorruption, InvalidArgumentError, InvalidResponse, NetworkError, TimeoutError } from '../../src/errors.js';
import {
  DEFAULT_RETRY,
  RetryStrategy,
  calculateRetryWait,
  parseRetryAfter,
  retryWithStrategy,
  type RetryStrategyOptions,
} from '../../src/transport/retry.js';

/** A `random` that yields the given randint(0, 1000) jitters in order, and counts how many were drawn. */
function jitters(...values: number[]): { random: () => number; drawn: () => number } {
  let i = 0;
  return {
    random: () => {
      const j = values[i++ % values.length] as number;
      return (j + 0.5) / 1001;
    },
    drawn: () => i,
  };
}

/** A strategy with injected jitter and a recording, instant sleep. */
function harness(options: RetryStrategyOptions, ...jitterValues: number[]) {
  const rng = jitters(...jitterValues);
  const sleeps: number[] = [];
  const strategy = new RetryStrategy({
    ...options,
    random: rng.random,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { strategy, sleeps, drawn: rng.drawn };
}

function status(code: number, headers: Record<string, string> = {}): InvalidResponse {
  return new InvalidResponse(`Request failed with status code ${code}`, { response: { status: code, headers } });
}

/** fn that fails with each of `errors` in turn, then resolves 'done'. */
function failing(errors: unknown[]): { fn: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    fn: async (attempt) => {
      attempts.push(attempt);
      const error = errors[attempts.length - 1];
      if (error !== undefined) throw error;
      return 'done';
    },
  };
}

// ---- RetryStrategy (tests/unit/test_common.py) ----

test('constructor defaults: 64 s max sleep, 600 s cumulative, no retry count', () => {
  const strategy = new RetryStrategy();
  assert.equal(strategy.maxSleepMs, 64_000);
  assert.equal(strategy.maxCumulativeRetryMs, 600_000);
  assert.equal(strategy.maxRetries, undefined);
  assert.equal(strategy.initialDelayMs, 1_000);
  assert.equal(strategy.multiplier, 2);
  assert.equal(DEFAULT_RETRY.maxCumulativeRetryMs, 600_000);
});

test('constructor failure: both bounds given', () => {
  assert.throws(() => new RetryStrategy({ maxCumulativeRetryMs: 1000, maxRetries: 3 }), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.equal(error.message, 'At most one of `maxCumulativeRetryMs` and `maxRetries` can be specified.');
    return true;
  });
});

test('constructor with custom delay and multiplier keeps the other defaults', () => {
  const strategy = new RetryStrategy({ initialDelayMs: 3000, multiplier: 4 });
  assert.equal(strategy.initialDelayMs, 3000);
  assert.equal(strategy.multiplier, 4);
  assert.equal(strategy.maxSleepMs, 64_000);
  assert.equal(strategy.maxCumulativeRetryMs, 600_000);
  assert.equal(strategy.maxRetries, undefined);
});

test('constructor with explicit bounds', () => {
  const cumulative = new RetryStrategy({ maxSleepMs: 10_000, maxCumulativeRetryMs: 100_000 });
  assert.equal(cumulative.maxSleepMs, 10_000);
  assert.equal(cumulative.maxCumulativeRetryMs, 100_000);
  assert.equal(cumulative.maxRetries, undefined);
  const counted = new RetryStrategy({ maxRetries: 14 });
  assert.equal(counted.maxRetries, 14);
  assert.equal(counted.maxCumulativeRetryMs, undefined);
});

test('constructor rejects bad numbers, naming the option', () => {
  assert.throws(() => new RetryStrategy({ maxRetries: -1 }), /`maxRetries`.*integer >= 0.*-1/);
  assert.throws(() => new RetryStrategy({ maxRetries: 1.5 }), /`maxRetries`/);
  assert.throws(() => new RetryStrategy({ maxSleepMs: Number.NaN }), /`maxSleepMs`/);
  assert.throws(() => new RetryStrategy({ multiplier: 0.5 }), /`multiplier`.*>= 1/);
  assert.throws(() => new RetryStrategy({ initialDelayMs: '5' as unknown as number }), /`initialDelayMs`.*\(string\)/);
});

test('retryAllowed with a cumulative bound is inclusive', () => {
  const strategy = new RetryStrategy({ maxCumulativeRetryMs: 100_000 });
  assert.equal(strategy.retryAllowed(50_000, 10), true);
  assert.equal(strategy.retryAllowed(99_000, 7), true);
  assert.equal(strategy.retryAllowed(100_000, 4), true);
  assert.equal(strategy.retryAllowed(101_000, 11), false);
  assert.equal(strategy.retryAllowed(200_000, 6), false);
});

test('retryAllowed with a retry count is inclusive and ignores time', () => {
  const strategy = new RetryStrategy({ maxRetries: 6 });
  assert.equal(strategy.retryAllowed(1_000_000, 5), true);
  assert.equal(strategy.retryAllowed(99_000, 6), true);
  assert.equal(strategy.retryAllowed(625_500, 7), false);
});

// ---- calculate_retry_wait (tests/unit/test__helpers.py) ----

test('calculateRetryWait vectors: past limit, at limit, under limit, custom multiplier', () => {
  assert.deepEqual(calculateRetryWait(70_000, 64_000, 2, jitters(125).random), { baseWaitMs: 64_000, waitMs: 64_125 });
  assert.deepEqual(calculateRetryWait(50_000, 50_000, 2, jitters(250).random), { baseWaitMs: 50_000, waitMs: 50_250 });
  assert.deepEqual(calculateRetryWait(16_000, 33_000, 2, jitters(875).random), { baseWaitMs: 32_000, waitMs: 32_875 });
  assert.deepEqual(calculateRetryWait(16_000, 64_000, 3, jitters(875).random), { baseWaitMs: 48_000, waitMs: 48_875 });
});

test('jitter spans 0..1000 ms inclusive', () => {
  assert.equal(calculateRetryWait(1000, 64_000, 2, () => 0).waitMs, 2000);
  assert.equal(calculateRetryWait(1000, 64_000, 2, () => 0.999999999).waitMs, 3000);
  assert.equal(calculateRetryWait(1000, 64_000, 2, () => 1).waitMs, 3000);
});

// ---- wait_and_retry (tests/unit/requests/test__helpers.py) ----

test('success without retry: called once, no jitter, no sleep', async () => {
  const { strategy, sleeps, drawn } = harness({});
  const { fn, attempts } = failing([]);
  assert.equal(await retryWithStrategy(fn, strategy), 'done');
  assert.deepEqual(attempts, [0]);
  assert.equal(drawn(), 0);
  assert.deepEqual(sleeps, []);
});

test('500, 502, 503 are retried (1.125, 2.625, 4.375 s), then a 404 is raised as is', async () => {
  const { strategy, sleeps, drawn } = harness({}, 125, 625, 375);
  const notFound = status(404);
  const { fn, attempts } = failing([status(500), status(502), status(503), notFound]);
  await assert.rejects(retryWithStrategy(fn, strategy), (error) => error === notFound);
  assert.deepEqual(attempts, [0, 1, 2, 3]);
  assert.equal(drawn(), 3);
  assert.deepEqual(sleeps, [1125, 2625, 4375]);
});

test('custom delay and multiplier (3 s, ×4): sleeps 3.125, 12.625, 48.375 s', async () => {
  const { strategy, sleeps } = harness({ initialDelayMs: 3000, multiplier: 4 }, 125, 625, 375);
  const { fn } = failing([status(500), status(502), status(503), status(404)]);
  await assert.rejects(retryWithStrategy(fn, strategy), { status: 404 });
  assert.deepEqual(sleeps, [3125, 12_625, 48_375]);
});

test('connection errors (reset, timeout, closed) are retried until success', async () => {
  const { strategy, sleeps, drawn } = harness({}, 125, 625, 500, 875);
  const { fn, attempts } = failing([
    new NetworkError('socket hang up', { systemCode: 'ECONNRESET' }),
    new TimeoutError('read timeout', { systemCode: 'UND_ERR_BODY_TIMEOUT' }),
    new NetworkError('refused', { systemCode: 'ECONNREFUSED' }),
    new NetworkError('closed', { systemCode: 'UND_ERR_SOCKET' }),
  ]);
  assert.equal(await retryWithStrategy(fn, strategy), 'done');
  assert.deepEqual(attempts, [0, 1, 2, 3, 4]);
  assert.equal(drawn(), 4);
  assert.deepEqual(sleeps, [1125, 2625, 4500, 8875]);
});

test('408, 429, 504 are retryable too', async () => {
  const { strategy, sleeps } = harness({}, 0);
  const { fn } = failing([status(408), status(429), status(504)]);
  assert.equal(await retryWithStrategy(fn, strategy), 'done');
  assert.deepEqual(sleeps, [1000, 2000, 4000]);
});

// Python's test_retry_exceeds_max_cumulative and test_retry_exceeds_max_retries: both bounds stop at the same point.
for (const [label, bound] of [
  ['max cumulative (100 s)', { maxCumulativeRetryMs: 100_000 }],
  ['max retries (6)', { maxRetries: 6 }],
] as const) {
  test(`exceeding ${label}: 7 calls, 6 sleeps, 7 jitters, the last 429 rethrown`, async () => {
    const { strategy, sleeps, drawn } = harness(bound, 875, 0, 375, 500, 500, 250, 778);
    const errors = Array.from({ length: 8 }, () => status(429));
    const { fn, attempts } = failing(errors);
    await assert.rejects(retryWithStrategy(fn, strategy), (error) => error === errors[6]);
    assert.equal(attempts.length, 7);
    assert.equal(drawn(), 7);
    assert.deepEqual(sleeps, [1875, 2000, 4375, 8500, 16_500, 32_250]);
  });
}

test('maxRetries 0: one call, one jitter drawn, no sleep, the first error rethrown', async () => {
  const { strategy, sleeps, drawn } = harness({ maxRetries: 0 }, 875);
  const first = status(429);
  const { fn, attempts } = failing([first, status(429)]);
  await assert.rejects(retryWithStrategy(fn, strategy), (error) => error === first);
  assert.deepEqual(attempts, [0]);
  assert.equal(drawn(), 1);
  assert.deepEqual(sleeps, []);
});

test('an exhausted budget rethrows the original connection error itself', async () => {
  const { strategy } = harness({ maxRetries: 6 }, 875, 0, 375, 500, 500, 250, 778);
  const errors = Array.from({ length: 8 }, (_, i) => new NetworkError(`reset ${i}`, { systemCode: 'ECONNRESET' }));
  const { fn, attempts } = failing(errors);
  await assert.rejects(retryWithStrategy(fn, strategy), (error) => error === errors[6] && error instanceof NetworkError);
  assert.equal(attempts.length, 7);
});

test('the default budget stops when the prospective total would pass 600 s, and never sleeps that wait', async () => {
  const { strategy, sleeps } = harness({}, 1000);
  const { fn, attempts } = failing(Array.from({ length: 100 }, () => status(503)));
  await assert.rejects(retryWithStrategy(fn, strategy), { status: 503 });
  // 2+3+5+9+17+33 = 69, then 65 each: 69 + 8×65 = 589 ≤ 600; one more would make 654.
  assert.deepEqual(sleeps, [2000, 3000, 5000, 9000, 17_000, 33_000, ...Array(8).fill(65_000)]);
  assert.ok(sleeps.reduce((a, b) => a + b) <= 600_000);
  assert.equal(attempts.length, 15);
});

test('non-retryable errors propagate at once: DataCorruption, 400/404/412 responses, plain errors', async () => {
  const corruption = new DataCorruption('mismatch', { algorithm: 'crc32c', expected: 'a', actual: 'b' });
  for (const error of [corruption, status(400), status(404), status(412), new TypeError('bug'), status(200)]) {
    const { strategy, sleeps } = harness({}, 0);
    const { fn, attempts } = failing([error]);
    await assert.rejects(retryWithStrategy(fn, strategy), (thrown) => thrown === error);
    assert.equal(attempts.length, 1);
    assert.deepEqual(sleeps, []);
  }
});

test('onRetry hears each failed attempt and the wait that follows', async () => {
  const { strategy } = harness({}, 125, 625);
  const events: { attempt: number; delayMs: number; status: number | undefined }[] = [];
  const { fn } = failing([status(500), status(502)]);
  await retryWithStrategy(fn, strategy, {
    onRetry: ({ error, attempt, delayMs }) => events.push({ attempt, delayMs, status: (error as InvalidResponse).status }),
  });
  assert.deepEqual(events, [
    { attempt: 0, delayMs: 1125, status: 500 },
    { attempt: 1, delayMs: 2625, status: 502 },
  ]);
});

// ---- Retry-After ----

test('parseRetryAfter: delay-seconds, HTTP-date relative to now, garbage', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
});

test('Retry-After lengthens the wait, is capped at maxSleepMs, and never shortens back-off', async () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  const { strategy, sleeps } = harness({ maxSleepMs: 20_000 }, 0);
  const clocked = new RetryStrategy({ ...strategy, now: () => now });
  const { fn } = failing([
    status(429, { 'retry-after': '7' }),
    status(503, { 'retry-after': 'Wed, 21 Oct 2015 07:28:09 GMT' }),
    status(503, { 'retry-after': '3600' }),
    status(503, { 'retry-after': '1' }),
  ]);
  assert.equal(await retryWithStrategy(fn, clocked), 'done');
  // back-off alone would be 1, 2, 4, 8 s.
  assert.deepEqual(sleeps, [7000, 9000, 20_000, 8000]);
});

test('Retry-After waits count against the cumulative budget', async () => {
  const { strategy, sleeps } = harness({ maxCumulativeRetryMs: 30_000 }, 0);
  const { fn, attempts } = failing(Array.from({ length: 5 }, () => status(429, { 'retry-after': '20' })));
  await assert.rejects(retryWithStrategy(fn, strategy), { status: 429 });
  assert.deepEqual(sleeps, [20_000]);
  assert.equal(attempts.length, 2);
});

// ---- abort ----

test('an abort during a back-off sleep rejects at once with AbortError carrying the reason', async () => {
  const strategy = new RetryStrategy({ initialDelayMs: 60_000, random: () => 0 });
  const controller = new AbortController();
  const reason = new Error('user cancelled');
  let calls = 0;
  const started = Date.now();
  const promise = retryWithStrategy(
    async () => {
      calls++;
      setTimeout(() => controller.abort(reason), 20);
      throw status(503);
    },
    strategy,
    { signal: controller.signal },
  );
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AbortError);
    assert.equal(error.name, 'AbortError');
    assert.equal(error.cause, reason);
    return true;
  });
  assert.equal(calls, 1);
  assert.ok(Date.now() - started < 5_000, 'did not wait for the 60 s back-off');
});

test('an already-aborted signal makes no call; a failure after abort reports the abort', async () => {
  const controller = new AbortController();
  controller.abort();
  let calls = 0;
  await assert.rejects(
    retryWithStrategy(async () => ++calls, DEFAULT_RETRY, { signal: controller.signal }),
    { name: 'AbortError' },
  );
  assert.equal(calls, 0);

  const second = new AbortController();
  await assert.rejects(
    retryWithStrategy(
      async () => {
        second.abort();
        throw new NetworkError('reset because we aborted', { systemCode: 'ECONNRESET' });
      },
      DEFAULT_RETRY,
      { signal: second.signal },
    ),
    { name: 'AbortError', code: 'ABORT_ERR' },
  );
});
