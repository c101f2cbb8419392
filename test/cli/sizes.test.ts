import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/cli/sizes.js';

test('parseSize reads plain bytes and binary suffixes in every spelling', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['1048576', 1_048_576],
    ['100B', 100],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['512KB', 512 * 1024],
    ['512KiB', 512 * 1024],
    ['32M', 32 * 1024 ** 2],
    ['32MiB', 32 * 1024 ** 2],
    ['32mb', 32 * 1024 ** 2],
    ['32 MiB', 32 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text, '--chunk-size'), bytes, text);
});

test('parseSize rejects malformed sizes, naming the flag, the value and the accepted forms', () => {
  for (const bad of ['', 'abc', '-1', '1X', '1 M B', '32MiBs', '0x10', '1e6']) {
    assert.throws(
      () => parseSize(bad, '--chunk-size'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_GCS_INVALID_ARG');
        assert.match(error.message, /--chunk-size/);
        assert.ok(error.message.includes(`'${bad}'`), error.message);
        assert.match(error.message, /32MiB/);
        return true;
      },
    );
  }
});

test('parseSize rejects fractions that are not whole bytes', () => {
  assert.throws(() => parseSize('0.3k', '--chunk-size'), /whole number of bytes/);
  assert.equal(parseSize('0.5k', '--chunk-size'), 512);
});

test('formatSize uses binary units with one decimal below 100', () => {
  assert.equal(formatSize(0), '0 B');
  assert.equal(formatSize(1023), '1023 B');
  assert.equal(formatSize(1536), '1.5 KiB');
  assert.equal(formatSize(32 * 1024 ** 2), '32.0 MiB');
  assert.equal(formatSize(500 * 1024 ** 2), '500 MiB');
  assert.equal(formatSize(3 * 1024 ** 3), '3.0 GiB');
});

test('formatDuration renders mm:ss, h:mm:ss, and --:-- when unknown', () => {
  assert.equal(formatDuration(0), '00:00');
  assert.equal(formatDuration(61_400), '01:01');
  assert.equal(formatDuration(3_600_000 + 62_000), '1:01:02');
  assert.equal(formatDuration(undefined), '--:--');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '--:--');
});

test('parseDuration reads ms, s, m, h and bare milliseconds; rejects anything else naming the flag', () => {
  assert.equal(parseDuration('250', '--read-timeout'), 250);
  assert.equal(parseDuration('500ms', '--read-timeout'), 500);
  assert.equal(parseDuration('1.5s', '--read-timeout'), 1500);
  assert.equal(parseDuration('2m', '--read-timeout'), 120_000);
  assert.equal(parseDuration('1h', '--read-timeout'), 3_600_000);
  for (const bad of ['', 'soon', '-1s', '1d', '1 sec']) {
    assert.throws(() => parseDuration(bad, '--read-timeout'), /--read-timeout: expected a duration such as 500ms/);
  }
});
