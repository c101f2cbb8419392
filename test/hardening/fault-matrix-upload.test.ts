/**
 * Fault matrix, multipart uploads: every fault kind × {initiate, part PUT, ListParts, complete, cancel}, once
 * and persistently. An upload ends with the exact object or a typed error; a failed one leaves no open upload
 * (it is cancelled) and no object; nothing hangs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator, type Op } from '../../src/emulator/index.js';
import { AbortError, MultipartUploadError, type CompletedPart } from '../../src/errors.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import { FAST_RETRY, FAULT_KINDS, READ_TIMEOUT, SHORT_RETRY, assertTypedError, cellName, runCells, type Cell } from './fault-matrix.js';

const MiB = 1024 * 1024;
/** Two parts: the 5 MiB minimum and a short last one. */
const PART = 5 * MiB;
const content = randomBytes(PART + 1000);

type UploadOp = 'initiate' | 'part' | 'list-parts' | 'complete' | 'cancel';
const EMULATOR_OP: Record<UploadOp, Op> = {
  initiate: 'mpu-initiate',
  part: 'mpu-upload-part',
  'list-parts': 'mpu-list-parts',
  complete: 'mpu-complete',
  cancel: 'mpu-abort',
};

let emulator: Emulator;
let tm: TransferManager;
let persistentTm: TransferManager;
let dir: string;
let source: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'fault-matrix-upload-'));
  source = join(dir, 'source.bin');
  await writeFile(source, content);
  const common = { endpoint: emulator.url, chunkSize: PART, concurrency: 2, timeout: READ_TIMEOUT, workers: 2 };
  tm = new TransferManager({ ...common, retry: FAST_RETRY });
  persistentTm = new TransferManager({ ...common, retry: SHORT_RETRY });
});

after(async () => {
  await tm.close();
  await persistentTm.close();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function objectStatus(name: string): Promise<number> {
  const response = await fetch(`${emulator.url}/bkt/${name}`, { method: 'HEAD' });
  return response.status;
}

async function objectBytes(name: string): Promise<Buffer> {
  const response = await fetch(`${emulator.url}/bkt/${name}`);
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Whether the server still holds upload `uploadId` rather than answering 404 NoSuchUpload. Asked with
 * ListParts, or — when the cell's faults target ListParts — with an empty part PUT (harmless: the upload is
 * expected to be gone, and if it is not the test fails anyway).
 */
async function uploadOpen(name: string, uploadId: string, faulted?: UploadOp): Promise<boolean> {
  const query = `uploadId=${encodeURIComponent(uploadId)}`;
  const response =
    faulted === 'list-parts'
      ? await fetch(`${emulator.url}/bkt/${name}?partNumber=10000&${query}`, { method: 'PUT', body: '' })
      : await fetch(`${emulator.url}/bkt/${name}?${query}`);
  await response.arrayBuffer();
  return response.status === 200;
}

/**
 * Leaves an upload open with every part sent, as a process killed just before the complete request would:
 * the resume (and so ListParts) has all it needs.
 */
async function openUploadWithAllParts(name: string): Promise<{ uploadId: string; parts: CompletedPart[] }> {
  const controller = new AbortController();
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  await assert.rejects(
    tm.uploadFile(source, `gs://bkt/${name}`, {
      keepOnFailure: true,
      signal: controller.signal,
      onCheckpoint: (event) => {
        if (event.type === 'initiated') uploadId = event.uploadId;
        else parts.push({ partNumber: event.partNumber, etag: event.etag, crc32c: event.crc32c, size: event.size });
        if (parts.length === 2) controller.abort();
      },
    }),
    AbortError,
  );
  assert.ok(uploadId !== undefined && (await uploadOpen(name, uploadId)));
  return { uploadId, parts };
}

interface Outcome {
  op: UploadOp;
  error?: unknown;
  /** Every upload id the client learned of. */
  uploadIds: string[];
}

async function attempt(op: UploadOp, name: string, spec: string, times: number): Promise<Outcome> {
  const manager = times === 1 ? tm : persistentTm;
  const uploadIds: string[] = [];
  const options: Parameters<TransferManager['uploadFile']>[2] = {
    onCheckpoint: (event) => {
      if (event.type === 'initiated') uploadIds.push(event.uploadId);
    },
  };
  if (op === 'list-parts') {
    const open = await openUploadWithAllParts(name);
    uploadIds.push(open.uploadId);
    options.resumeFrom = open;
  }
  if (op === 'cancel') {
    // Cancelling happens after a failure: make every part fail for good.
    emulator.faults.add({ match: { op: 'mpu-upload-part', object: name }, fault: 'status:403', times: 1000 });
  }
  emulator.faults.add({ match: { op: EMULATOR_OP[op], object: name }, fault: spec, times });
  try {
    await manager.uploadFile(source, `gs://bkt/${name}`, options);
    return { op, uploadIds };
  } catch (error) {
    if (error instanceof MultipartUploadError && error.uploadId !== undefined) uploadIds.push(error.uploadId);
    return { op, error, uploadIds };
  }
}

/** A failed upload: typed, the upload cancelled (or said not to be), no object. */
async function assertFailedCleanly(name: string, outcome: Outcome, causeCodes?: readonly string[]): Promise<void> {
  const { error } = outcome;
  assertTypedError(error);
  if (error instanceof MultipartUploadError) {
    if (causeCodes) assertTypedError(error.cause, causeCodes);
    if (error.cleanup === 'abort-failed') assert.match(error.message, /cancelling the upload failed too|already assembled/);
  } else if (causeCodes) {
    assertTypedError(error, causeCodes);
  }
  for (const uploadId of outcome.uploadIds) {
    const cancelled = !(error instanceof MultipartUploadError) || error.cleanup !== 'abort-failed';
    if (cancelled) assert.equal(await uploadOpen(name, uploadId, outcome.op), false, `upload ${uploadId} left open`);
  }
  if (error instanceof MultipartUploadError && /already assembled the object/.test(error.message)) {
    // The complete request reached the server, which finished, but no answer reached us: the error says so, and
    // the object is whole (never half-written).
    assert.ok((await objectBytes(name)).equals(content), 'an object assembled despite the error is exact');
  } else {
    assert.equal(await objectStatus(name), 404, 'no object from a failed upload');
  }
}

/** A successful upload: the exact object, and no upload the client learned of left open. */
async function assertSucceeded(name: string, outcome: Outcome): Promise<void> {
  assert.ok((await objectBytes(name)).equals(content), 'exact bytes');
  for (const uploadId of outcome.uploadIds) {
    assert.equal(await uploadOpen(name, uploadId, outcome.op), false, `upload ${uploadId} left open`);
  }
}

/**
 * Whether `spec` can affect `op` at all: a request-body fault needs a request body (initiate, ListParts and
 * cancel have none), a response-body fault needs a response body (a part PUT and a cancel answer with none).
 */
function canFire(op: UploadOp, spec: string): boolean {
  if (spec.startsWith('reset-request-after')) return op === 'part' || op === 'complete';
  if (/^(reset-after|stall-body|truncate-body)/.test(spec)) return op !== 'part' && op !== 'cancel';
  return true;
}

test('each fault once on each upload request: the exact object, or a typed error with the upload cancelled', async () => {
  const cells: Cell[] = [];
  for (const op of Object.keys(EMULATOR_OP) as UploadOp[]) {
    for (const { spec, transient } of FAULT_KINDS) {
      const name = cellName('once', op, spec);
      cells.push({
        name,
        run: async () => {
          const outcome = await attempt(op, name, spec, 1);
          if (op === 'cancel') {
            // The parts always fail here; what is tested is that the cancel still happens, or is said not to.
            assert.ok(outcome.error instanceof MultipartUploadError, String(outcome.error));
            assert.equal(outcome.error.cleanup, spec === 'status:403' ? 'abort-failed' : 'aborted');
            await assertFailedCleanly(name, outcome, ['ERR_GCS_INVALID_RESPONSE']);
          } else if (spec === 'status:403') {
            // Refused for good: typed, and (once an upload exists) cancelled.
            await assertFailedCleanly(name, outcome, ['ERR_GCS_INVALID_RESPONSE']);
          } else {
            // Everything else, once, is absorbed — transient or not (a missing ETag is a resubmitted part, a
            // broken XML answer a retried request, a lost complete answer a verified HEAD).
            assert.equal(outcome.error, undefined, `${spec} (transient: ${transient}) should be absorbed`);
            await assertSucceeded(name, outcome);
          }
        },
      });
    }
  }
  await runCells(cells);
});

test('each transient fault persistently: a typed error after the retries with the upload cancelled — or the exact object where the fault cannot fire', async () => {
  const cells: Cell[] = [];
  for (const op of Object.keys(EMULATOR_OP) as UploadOp[]) {
    for (const { spec } of FAULT_KINDS.filter((kind) => kind.transient && kind.spec !== 'omit-header:location')) {
      const name = cellName('always', op, spec);
      cells.push({
        name,
        run: async () => {
          const outcome = await attempt(op, name, spec, 1000);
          if (op === 'cancel') {
            assert.ok(outcome.error instanceof MultipartUploadError, String(outcome.error));
            assert.equal(outcome.error.cleanup, canFire(op, spec) ? 'abort-failed' : 'aborted');
            if (canFire(op, spec)) assert.match(outcome.error.message, /uploadId \S+ is still open/);
            await assertFailedCleanly(name, outcome);
          } else if (!canFire(op, spec)) {
            assert.equal(outcome.error, undefined, `${spec} cannot affect ${op}`);
            await assertSucceeded(name, outcome);
          } else if (op === 'complete' && outcome.error === undefined) {
            // The server assembled the object although every answer was lost; the engine proved it is ours.
            assert.match(spec, /reset-after|stall/, `${spec} on every complete cannot succeed`);
            await assertSucceeded(name, outcome);
          } else {
            assert.ok(outcome.error !== undefined, `${spec} on every ${op} cannot succeed`);
            await assertFailedCleanly(name, outcome, ['ERR_GCS_INVALID_RESPONSE', 'ERR_GCS_NETWORK', 'ERR_GCS_TIMEOUT']);
          }
        },
      });
    }
  }
  await runCells(cells);
});
