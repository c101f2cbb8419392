import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressRenderer } from '../../src/cli/progress.js';

const MiB = 1024 * 1024;

function fakeStream(isTTY: boolean, columns = 100): { write(text: string): void; isTTY: boolean; columns: number; text: string } {
  return {
    isTTY,
    columns,
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

test('on a TTY it redraws one line in place with bar, percent, bytes, rate and ETA', () => {
  const stream = fakeStream(true);
  let now = 0;
  const renderer = new ProgressRenderer({ stream, now: () => now });
  renderer.update({ bytesDone: 0, bytesTotal: 100 * MiB, partsDone: 0, elapsedMs: 0 });
  now = 1000;
  renderer.update({ bytesDone: 10 * MiB, bytesTotal: 100 * MiB, partsDone: 1, elapsedMs: 1000 });
  const frames = stream.text.split('\r').filter(Boolean);
  assert.equal(frames.length, 2);
  const last = frames[1] ?? '';
  assert.match(last, /^\[####-+\]  10%  10\.0 MiB \/ 100 MiB  10\.0 MiB\/s  ETA 00:09\x1b\[K$/);
  assert.ok(!stream.text.includes('\n'), 'no newline while the bar is live');
  renderer.note('resuming: 1 of 10 parts already done');
  assert.match(stream.text, /\x1b\[K\nresuming: 1 of 10 parts already done\n$/);
  now = 2000;
  renderer.update({ bytesDone: 100 * MiB, bytesTotal: 100 * MiB, partsDone: 10, elapsedMs: 2000 });
  renderer.finish();
  assert.match(stream.text, /100%  100 MiB \/ 100 MiB  50\.0 MiB\/s avg  in 00:02\x1b\[K\n$/);
});

test('the bar redraws at most every 100 ms and fits the terminal width', () => {
  const stream = fakeStream(true, 50);
  let now = 0;
  const renderer = new ProgressRenderer({ stream, now: () => now });
  for (let i = 0; i < 50; i += 1) {
    now = i * 10;
    renderer.update({ bytesDone: i * MiB, bytesTotal: 100 * MiB, partsDone: i, elapsedMs: now });
  }
  const frames = stream.text.split('\r').filter(Boolean);
  assert.equal(frames.length, 5);
  for (const frame of frames) assert.ok(frame.replace('\x1b[K', '').length < 50, frame);
});

test('without a TTY it prints plain lines no more often than the interval, and a final summary', () => {
  const stream = fakeStream(false);
  let now = 0;
  const renderer = new ProgressRenderer({ stream, now: () => now, lineIntervalMs: 1000 });
  for (let i = 0; i <= 30; i += 1) {
    now = i * 100;
    renderer.update({ bytesDone: i * MiB, bytesTotal: 30 * MiB, partsDone: i, elapsedMs: now });
  }
  renderer.finish();
  const lines = stream.text.trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => line.split(':')[0]),
    ['progress', 'progress', 'progress', 'progress', 'done'],
  );
  assert.ok(!stream.text.includes('\r') && !stream.text.includes('\x1b'), 'no terminal control codes in logs');
  assert.match(lines[1] ?? '', /^progress:  33%  10\.0 MiB \/ 30\.0 MiB  10\.0 MiB\/s  ETA 00:02$/);
  assert.match(lines[4] ?? '', /^done: 100%  30\.0 MiB \/ 30\.0 MiB  10\.0 MiB\/s avg  in 00:03$/);
});

test('unknown totals show bytes only and no ETA; mode none prints nothing', () => {
  const stream = fakeStream(false);
  const renderer = new ProgressRenderer({ stream, now: () => 0 });
  renderer.update({ bytesDone: 5 * MiB, partsDone: 1, elapsedMs: 0 });
  assert.equal(stream.text, 'progress: 5.0 MiB  -- /s  ETA --:--\n');
  const silent = fakeStream(true);
  const quiet = new ProgressRenderer({ stream: silent, mode: 'none' });
  quiet.update({ bytesDone: 1, bytesTotal: 2, partsDone: 0, elapsedMs: 0 });
  quiet.note('hello');
  quiet.finish();
  assert.equal(silent.text, '');
});

test('the rate follows the last five seconds, not the whole transfer', () => {
  const stream = fakeStream(false);
  let now = 0;
  const renderer = new ProgressRenderer({ stream, now: () => now, lineIntervalMs: 60_000 });
  // 10 s at 1 MiB/s, then 10 s at 10 MiB/s: the displayed rate must be the recent one.
  let bytes = 0;
  for (let second = 1; second <= 20; second += 1) {
    now = second * 1000;
    bytes += (second <= 10 ? 1 : 10) * MiB;
    renderer.update({ bytesDone: bytes, partsDone: 0, elapsedMs: now });
  }
  assert.ok(Math.abs((renderer.rate ?? 0) - 10 * MiB) < 0.01 * MiB, String(renderer.rate));
});
