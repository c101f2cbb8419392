/**
 * Fault matrix, downloads: every fault kind × {discovery GET, ranged GET}, once (a glitch) and persistently (an
 * outage). A transfer ends in the exact bytes or a typed error; a failed one leaves neither the destination
 * nor a partial file; nothing hangs (a stalled connection is cut by the read timeout and retried).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import { FAST_RETRY, FAULT_KINDS, SHORT_RETRY, READ_TIMEOUT, assertTypedError, cellName, runCells, type Cell } from './fault-matrix.js';

const KiB = 1024;
/** Discovery plus three ranges. */
const CHUNK = 256 * KiB;
const SIZE = 3 * CHUNK + 1000;

/** Where each operation's requests are in a download: the first media request, or a later one. */
const OPS = { discovery: { skip: 0 }, ranged: { skip: 1 } } as const;

/**
 * The faults a download cannot absorb, and the typed error each must become. Every other fault, applied once,
 * must be absorbed: a retry, a fresh attempt for a protocol violation, or resuming a cut body — and the
 * download succeeds with the exact bytes (without the object's hash, unvalidated: checked below).
 */
const EXPECTED_ERRORS: Record<string, string> = {
  // The bytes are wrong and ranges carry no hash of their own: the whole-object check catches it.
  'flip-byte:10': 'ERR_GCS_DATA_CORRUPTION',
  // Ranges are pinned to the discovered generation; a new one means the object was overwritten mid-way.
  'bump-generation': 'ERR_GCS_SOURCE_CHANGED',
  // Not retryable: the request itself is refused.
  'status:403': 'ERR_GCS_INVALID_RESPONSE',
};

let emulator: Emulator;
let tm: TransferManager;
/** For outages: fewer retries, so that giving up is quick. */
let persistentTm: TransferManager;
let dir: string;
const content = randomBytes(SIZE);

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'fault-matrix-download-'));
  tm = new TransferManager({ endpoint: emulator.url, chunkSize: CHUNK, concurrency: 2, retry: FAST_RETRY, timeout: READ_TIMEOUT });
  persistentTm = new TransferManager({ endpoint: emulator.url, chunkSize: CHUNK, concurrency: 2, retry: SHORT_RETRY, timeout: READ_TIMEOUT });
});

after(async () => {
  await tm.close();
  await persistentTm.close();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function assertNothingLeft(dest: string): Promise<void> {
  await assert.rejects(stat(dest), { code: 'ENOENT' }, 'no destination after a failure');
  await assert.rejects(stat(`${dest}.gcs-transfer.partial`), { code: 'ENOENT' }, 'no partial file after a failure');
}

function cell(op: keyof typeof OPS, spec: string, times: number, expect: (error: unknown, dest: string) => Promise<void>): Cell {
  const name = cellName(times === 1 ? 'once' : 'always', op, spec);
  return {
    name: `${name} ×${times}`,
    run: async () => {
      await emulator.putObject('bkt', name, content);
      emulator.faults.add({ match: { op: 'media', object: name }, fault: spec, times, skip: OPS[op].skip });
      const dest = join(dir, name.replace(/\//g, '_'));
      let error: unknown;
      try {
        const result = await (times === 1 ? tm : persistentTm).downloadFile(`gs://bkt/${name}`, dest);
        assert.ok((await readFile(dest)).equals(content), 'exact bytes');
        assert.equal(result.bytes, SIZE);
        assert.equal(result.validated, spec !== 'omit-header:x-goog-hash' || op !== 'discovery', 'validated unless the hash was missing');
        await assert.rejects(stat(`${dest}.gcs-transfer.partial`), { code: 'ENOENT' });
      } catch (caught) {
        if (caught instanceof assert.AssertionError) throw caught;
        error = caught;
      }
      await expect(error, dest);
    },
  };
}

test('each fault once, at discovery or on a ranged GET: the exact bytes, or the typed error it must cause', async () => {
  const cells: Cell[] = [];
  for (const op of Object.keys(OPS) as (keyof typeof OPS)[]) {
    for (const { spec, transient } of FAULT_KINDS) {
      const expected = EXPECTED_ERRORS[spec];
      assert.ok(!(transient && expected), `${spec} cannot be both transient and fatal`);
      cells.push(
        cell(op, spec, 1, async (error, dest) => {
          if (expected === undefined) {
            assert.equal(error, undefined, `${spec} once should be absorbed, got ${String(error)}`);
            return;
          }
          assert.ok(error !== undefined, `${spec} should have failed with ${expected}`);
          assertTypedError(error, [expected]);
          await assertNothingLeft(dest);
        }),
      );
    }
  }
  await runCells(cells);
});

test('each transient fault persistently: a typed error after the retries, nothing left, no hang', async () => {
  const cells: Cell[] = [];
  for (const op of Object.keys(OPS) as (keyof typeof OPS)[]) {
    for (const { spec } of FAULT_KINDS.filter((kind) => kind.transient && !['omit-header:location', 'reset-request-after:100'].includes(kind.spec))) {
      cells.push(
        cell(op, spec, 1000, async (error, dest) => {
          assert.ok(error !== undefined, `${spec} on every request cannot succeed`);
          assertTypedError(error, ['ERR_GCS_INVALID_RESPONSE', 'ERR_GCS_NETWORK', 'ERR_GCS_TIMEOUT']);
          await assertNothingLeft(dest);
        }),
      );
    }
  }
  await runCells(cells);
});
