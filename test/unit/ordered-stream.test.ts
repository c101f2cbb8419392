import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { OrderedStream } from '../../src/transfer/download/ordered-stream.js';

async function readAll(stream: OrderedStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('slots completed in shuffled order come out in order', async () => {
  const stream = new OrderedStream({ window: 8 });
  const order = [5, 2, 7, 0, 3, 1, 6, 4];
  for (let i = 0; i < 8; i++) await stream.reserve(i);
  stream.setTotal(8);
  const reading = readAll(stream);
  for (const slot of order) {
    await delay(1);
    stream.append(slot, Buffer.from(`<${slot}a>`));
    stream.append(slot, Buffer.from(`<${slot}b>`));
    stream.complete(slot);
  }
  assert.equal((await reading).toString(), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<${i}a><${i}b>`).join(''));
});

test('the window holds: a slot beyond head + window waits until the head is delivered', async () => {
  const stream = new OrderedStream({ window: 2, highWaterMark: 4 });
  await stream.reserve(0);
  await stream.reserve(1);
  let thirdAdmitted = false;
  const third = stream.reserve(2).then(() => {
    thirdAdmitted = true;
  });
  stream.append(1, Buffer.from('bbbb'));
  stream.complete(1);
  await delay(10);
  assert.equal(thirdAdmitted, false, 'slot 2 must wait for slot 0');
  assert.equal(stream.openSlots, 2);
  stream.append(0, Buffer.from('aaaa'));
  stream.complete(0);
  // Nobody reads yet, so slot 0 is still held even though it is complete.
  await delay(10);
  stream.setTotal(3);
  const reading = readAll(stream);
  await third;
  assert.equal(thirdAdmitted, true);
  stream.append(2, Buffer.from('cc'));
  stream.complete(2);
  assert.equal((await reading).toString(), 'aaaabbbbcc');
});

test('a slow consumer is not flooded: the head slot keeps its bytes until read', async () => {
  const stream = new OrderedStream({ window: 1, highWaterMark: 10 });
  await stream.reserve(0);
  for (let i = 0; i < 100; i++) stream.append(0, Buffer.alloc(10, i));
  stream.complete(0);
  stream.setTotal(1);
  await delay(5);
  // The readable buffered at most about one highWaterMark; the rest waits in the slot.
  assert.ok(stream.readableLength <= 20, `readable buffered ${stream.readableLength}`);
  assert.equal((await readAll(stream)).length, 1000);
});

test('destroy rejects the reservations waiting for room', async () => {
  const stream = new OrderedStream({ window: 1 });
  await stream.reserve(0);
  const waiting = stream.reserve(1);
  stream.on('error', () => undefined);
  stream.destroy(new Error('failed'));
  await assert.rejects(waiting, /failed/);
  await assert.rejects(stream.reserve(2), /failed/);
});

test('an aborted reservation rejects with AbortError', async () => {
  const stream = new OrderedStream({ window: 1 });
  await stream.reserve(0);
  const controller = new AbortController();
  const waiting = stream.reserve(1, { signal: controller.signal });
  controller.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  stream.destroy();
});

test('an empty stream ends at once', async () => {
  const stream = new OrderedStream({ window: 4 });
  stream.setTotal(0);
  assert.equal((await readAll(stream)).length, 0);
});
