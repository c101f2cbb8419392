/**
 * The emulator as its own process, started by `emulator-process.ts` through `fork`. A separate process keeps
 * the server's CPU off the client's books (process.cpuUsage and the RSS of the client then describe the client
 * alone) and lets the kernel schedule the two on different cores, as client and GCS would be.
 *
 * Protocol over the IPC channel: it sends `{ type: 'ready', url }` once listening; it answers
 * `{ type: 'usage' }` with its own CPU seconds, peak RSS and byte counters, so the report can show when the
 * emulator, not the client, was the bottleneck (and progress can be shown for any client, the peer included);
 * `{ type: 'put' }` stores a file as an object directly (seeding needs no HTTP and ignores shaping);
 * `{ type: 'close' }` or a lost parent closes the emulator and exits.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { startEmulator } from '../src/emulator/index.js';
import { cpuSeconds, maxRssMiB } from './measure.js';
import type { EmulatorChildMessage, EmulatorChildRequest, EmulatorChildOptions } from './emulator-process.js';

/** User + system CPU seconds of this process's main thread, from /proc (Linux); undefined elsewhere. */
function mainThreadCpuSec(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SEC : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SEC = 100;

const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorChildOptions;
const emulator = await startEmulator(options);

function send(message: EmulatorChildMessage): void {
  process.send?.(message);
}

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await emulator.close().catch(() => undefined);
  process.disconnect?.();
  process.exit(0);
}

process.on('message', (request: EmulatorChildRequest) => {
  if (request.type === 'usage') {
    const { bytesIn, bytesOut } = emulator.metrics.snapshot();
    const loopBusySec = mainThreadCpuSec() ?? performance.eventLoopUtilization().active / 1000;
    send({ type: 'usage', id: request.id, cpuSec: cpuSeconds(), loopBusySec, atSec: performance.now() / 1000, maxRssMiB: maxRssMiB(), bytesIn, bytesOut });
  } else if (request.type === 'put') {
    emulator.putObject(request.bucket, request.name, createReadStream(request.file)).then(
      (result) => send({ type: 'put', size: result.size, crc32c: result.crc32c }),
      (error: unknown) => send({ type: 'put-failed', message: error instanceof Error ? error.message : String(error) }),
    );
  } else if (request.type === 'close') void shutdown();
});
// A benchmark that crashes must not leave an emulator holding a port and a temp dir.
process.on('disconnect', () => void shutdown());

send({ type: 'ready', url: emulator.url });
