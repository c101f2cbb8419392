import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32c } from '../../src/checksum/crc32c.js';
import { combineCrc32c, crc32cCombine } from '../../src/checksum/combine.js';

/** Seeded generator (mulberry32) so a failing split is reproducible from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('crc32cCombine(crc(A), crc(B), len(B)) equals crc(A‖B) on every split of a buffer', () => {
  const data = randomBytes(300);
  const whole = crc32c(data);
  for (let split = 0; split <= data.length; split++) {
    const a = data.subarray(0, split);
    const b = data.subarray(split);
    assert.equal(crc32cCombine(crc32c(a), crc32c(b), b.length), whole, `split at ${split}`);
  }
});

test('combineCrc32c over many random multi-part splits, zero-length parts included', () => {
  const seed = 0x5eed;
  const random = prng(seed);
  const data = randomBytes(1 << 20);
  const whole = crc32c(data);
  for (let round = 0; round < 200; round++) {
    const count = 1 + Math.floor(random() * 12);
    const cuts = Array.from({ length: count - 1 }, () => Math.floor(random() * (data.length + 1)));
    // Repeat some cut points so that zero-length parts occur in most rounds.
    if (cuts.length > 0 && random() < 0.5) cuts.push(cuts[0] as number);
    cuts.sort((x, y) => x - y);
    const bounds = [0, ...cuts, data.length];
    const parts = bounds.slice(1).map((end, i) => {
      const piece = data.subarray(bounds[i] as number, end);
      return { crc32c: crc32c(piece), length: piece.length };
    });
    assert.equal(combineCrc32c(parts), whole, `seed ${seed} round ${round} bounds ${bounds.join(',')}`);
  }
});

test('edge cases: no parts is the empty CRC, zero-length B is the identity, empty A gives crc(B)', () => {
  assert.equal(combineCrc32c([]), 0);
  assert.equal(crc32cCombine(0xdeadbeef, 0, 0), 0xdeadbeef);
  const b = Buffer.from('Hi');
  assert.equal(crc32cCombine(0, crc32c(b), b.length), crc32c(b));
  assert.equal(combineCrc32c([{ crc32c: 0, length: 0 }, { crc32c: crc32c(b), length: 2 }, { crc32c: 0, length: 0 }]), crc32c(b));
});

test('lengths beyond 2^32: combine is associative and consistent with doubling (combine of combines)', () => {
  // crc of 2^k zero bytes, built by doubling from 1 MiB computed directly.
  const zeros = new Uint8Array(1 << 20);
  const zeroCrc = new Map<number, number>([[20, crc32c(zeros)]]);
  for (let k = 21; k <= 50; k++) {
    const half = zeroCrc.get(k - 1) as number;
    zeroCrc.set(k, crc32cCombine(half, half, 2 ** (k - 1)));
  }
  // The doubling agrees with direct hashing where direct hashing is affordable (2 MiB, 4 MiB).
  assert.equal(zeroCrc.get(21), crc32c(new Uint8Array(1 << 21)));
  assert.equal(zeroCrc.get(22), crc32c(new Uint8Array(1 << 22)));
  // 2^40 + 2^36 zero bytes two ways: (2^40 ‖ 2^36) and (2^39 ‖ (2^39 ‖ 2^36)).
  const z = (k: number) => zeroCrc.get(k) as number;
  const direct = crc32cCombine(z(40), z(36), 2 ** 36);
  const nested = crc32cCombine(z(39), crc32cCombine(z(39), z(36), 2 ** 36), 2 ** 39 + 2 ** 36);
  assert.equal(direct, nested);
  // Associativity with real data around a huge middle part.
  const a = randomBytes(33);
  const c = randomBytes(77);
  const big = 2 ** 50 + 12345;
  const bigCrc = crc32cCombine(z(50), crc32c(new Uint8Array(12345)), 12345);
  const left = crc32cCombine(crc32cCombine(crc32c(a), bigCrc, big), crc32c(c), c.length);
  const right = crc32cCombine(crc32c(a), crc32cCombine(bigCrc, crc32c(c), c.length), big + c.length);
  assert.equal(left, right);
  // And the near-maximum length is accepted.
  assert.equal(typeof crc32cCombine(1, 2, Number.MAX_SAFE_INTEGER), 'number');
});

test('a length that is not a non-negative safe integer is an InvalidArgumentError naming it', () => {
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
    assert.throws(() => crc32cCombine(0, 0, bad), { code: 'ERR_GCS_INVALID_ARG', message: /`lengthB`/ });
  }
  assert.throws(() => combineCrc32c([{ crc32c: 0, length: -3 }]), { message: /`parts\[0\]\.length`.*-3/ });
});
