/**
 * The bench's many-objects suite: its seeded file sets. Its end-to-end smoke test is `npm run bench -- --quick
 * --suite many` (ten case processes: too heavy to run beside the other bench test inside `npm test` on two
 * shared cores).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setSizes } from '../../bench/suites/many.js';

test('mixed sets are seeded, log-uniform between 1 KiB and the maximum', () => {
  const sizes = setSizes({ name: 'mixed', files: 300, size: 64 * 1024 * 1024 }, 'seed');
  assert.deepEqual(sizes, setSizes({ name: 'mixed', files: 300, size: 64 * 1024 * 1024 }, 'seed'));
  assert.ok(sizes.every((s) => s >= 1024 && s <= 64 * 1024 * 1024));
  // Log-uniform: about as many below 256 KiB (the geometric middle) as above.
  const below = sizes.filter((s) => s < 256 * 1024).length;
  assert.ok(below > 100 && below < 200, `${below} of 300 below the middle`);
});
