/**
 * Small purpose-built HTTP servers that break the protocol on purpose, for the hostile-server tests. Each
 * records the requests it saw (with their headers, to check where credentials went) and how many body bytes it
 * managed to push before the client hung up.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface HostileServer {
  url: string;
  requests: SeenRequest[];
  /** Response body bytes written (accepted by the socket) over all requests. */
  bytesSent: number;
  close(): Promise<void>;
}

export type HostileHandler = (req: IncomingMessage, res: ServerResponse, server: HostileServer) => void | Promise<void>;

export async function startHostileServer(handler: HostileHandler): Promise<HostileServer> {
  const state: HostileServer = { url: '', requests: [], bytesSent: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    // Request bodies (part uploads) are drained so that the client can finish sending and read our answer.
    req.resume();
    Promise.resolve(handler(req, res, state)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Streams `total` bytes (Infinity: forever) of `chunk` repeated, honouring back-pressure, until done or until
 * the client goes away. Never holds more than one chunk: the server side stays small whatever the client does.
 */
export async function streamBytes(res: ServerResponse, server: HostileServer, total: number, chunk: Buffer = ZEROS): Promise<void> {
  let sent = 0;
  while (sent < total && !res.destroyed) {
    const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
    sent += piece.length;
    server.bytesSent += piece.length;
    if (!res.write(piece)) {
      // Both listeners go once either fires: a long stream waits for drain thousands of times.
      const closed = await new Promise<boolean>((resolve) => {
        const onDrain = (): void => {
          res.off('close', onClose);
          resolve(false);
        };
        const onClose = (): void => {
          res.off('drain', onDrain);
          resolve(true);
        };
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
      if (closed) return;
    }
  }
  if (!res.destroyed) res.end();
}

/** Samples the process's RSS every few milliseconds; `stop()` returns the peak growth over the start. */
export function watchMemory(): { stop(): number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak - start;
    },
  };
}
