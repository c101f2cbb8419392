import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_PARTS,
  MIN_PART_SIZE,
  PART_ALIGNMENT,
  missingRanges,
  partRange,
  planUpload,
  splitRanges,
  uploadPartSize,
} from '../../src/transfer/part-plan.js';

const MiB = 1024 * 1024;

test('planUpload: 0 bytes, 1 byte, an exact multiple and one byte more', () => {
  assert.deepEqual(planUpload(0, 8 * MiB), { size: 0, partSize: 8 * MiB, partCount: 1 });
  assert.deepEqual(planUpload(1, 8 * MiB), { size: 1, partSize: 8 * MiB, partCount: 1 });
  assert.deepEqual(planUpload(16 * MiB, 8 * MiB), { size: 16 * MiB, partSize: 8 * MiB, partCount: 2 });
  assert.deepEqual(planUpload(16 * MiB + 1, 8 * MiB), { size: 16 * MiB + 1, partSize: 8 * MiB, partCount: 3 });
});

test('part sizes are raised to 5 MiB and rounded up to 256 KiB', () => {
  assert.equal(uploadPartSize(1), MIN_PART_SIZE);
  assert.equal(uploadPartSize(MIN_PART_SIZE + 1), MIN_PART_SIZE + PART_ALIGNMENT);
  assert.equal(uploadPartSize(8 * MiB), 8 * MiB);
});

test('a size that would need more than 10,000 parts raises the part size (aligned) to fit', () => {
  const size = 10_001 * 8 * MiB;
  const plan = planUpload(size, 8 * MiB);
  assert.ok(plan.partCount <= MAX_PARTS, `${plan.partCount} parts`);
  assert.equal(plan.partSize % PART_ALIGNMENT, 0);
  assert.ok(plan.partSize > 8 * MiB);
  // Exactly 10,000 parts of the requested size still fits unchanged.
  assert.equal(planUpload(MAX_PARTS * 8 * MiB, 8 * MiB).partSize, 8 * MiB);
});

test('partRange covers the object exactly with half-open ranges, last part smaller', () => {
  const plan = planUpload(20 * MiB + 5, 8 * MiB);
  const ranges = Array.from({ length: plan.partCount }, (_, i) => partRange(plan, i + 1));
  assert.deepEqual(ranges, [
    { start: 0, end: 8 * MiB },
    { start: 8 * MiB, end: 16 * MiB },
    { start: 16 * MiB, end: 20 * MiB + 5 },
  ]);
  assert.throws(() => partRange(plan, 0), { code: 'ERR_GCS_INVALID_ARG' });
  assert.throws(() => partRange(plan, 4), { code: 'ERR_GCS_INVALID_ARG' });
});

test('bad sizes are InvalidArgumentErrors naming the option', () => {
  assert.throws(() => planUpload(-1, MiB), { code: 'ERR_GCS_INVALID_ARG', message: /`size`/ });
  assert.throws(() => uploadPartSize(0), { code: 'ERR_GCS_INVALID_ARG', message: /`chunkSize`.*`0`/ });
  assert.throws(() => uploadPartSize(Number.NaN), { code: 'ERR_GCS_INVALID_ARG' });
  assert.throws(() => planUpload(6 * 1024 ** 4 * 10, MiB), { code: 'ERR_GCS_INVALID_ARG', message: /part limit/ });
});

test('missingRanges finds the gaps around completed ranges, in any order', () => {
  assert.deepEqual(missingRanges(100, []), [{ start: 0, end: 100 }]);
  assert.deepEqual(missingRanges(0, []), []);
  assert.deepEqual(
    missingRanges(100, [
      { start: 50, end: 60 },
      { start: 0, end: 10 },
      { start: 90, end: 100 },
    ]),
    [
      { start: 10, end: 50 },
      { start: 60, end: 90 },
    ],
  );
  assert.throws(() => missingRanges(100, [{ start: 0, end: 101 }]), /beyond/);
  assert.throws(
    () =>
      missingRanges(100, [
        { start: 0, end: 10 },
        { start: 5, end: 20 },
      ]),
    /overlaps/,
  );
  assert.throws(() => missingRanges(100, [{ start: 5, end: 5 }]), { code: 'ERR_GCS_INVALID_ARG' });
});

test('splitRanges cuts each gap into chunk-size pieces without crossing gaps', () => {
  const pieces = [
    ...splitRanges(
      [
        { start: 0, end: 25 },
        { start: 30, end: 31 },
      ],
      10,
    ),
  ];
  assert.deepEqual(pieces, [
    { start: 0, end: 10 },
    { start: 10, end: 20 },
    { start: 20, end: 25 },
    { start: 30, end: 31 },
  ]);
  assert.throws(() => [...splitRanges([{ start: 0, end: 1 }], 0)], { code: 'ERR_GCS_INVALID_ARG' });
});
