/**
 * The emulator's own endpoints under `/_emulator/`, for tests in another process: queue or clear fault
 * rules, read metrics, reset both. They are not counted in the metrics and never suffer faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentError } from '../errors.js';
import type { FaultRule } from './faults.js';
import type { EmulatorState } from './state.js';

const CONTROL_BODY_LIMIT = 64 * 1024;

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': 0 }).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.byteLength;
    if (length > CONTROL_BODY_LIMIT) throw new InvalidArgumentError(`Expected a control body of at most ${CONTROL_BODY_LIMIT} bytes`);
    parts.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (cause) {
    throw new InvalidArgumentError('Expected a JSON fault rule (or an array of them) as the body', { cause });
  }
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, state: EmulatorState): Promise<void> {
  const route = `${req.method ?? ''} ${path.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'POST /_emulator/faults': {
        const body = await readJson(req);
        const rules = (Array.isArray(body) ? body : [body]) as FaultRule[];
        // Validate every rule before queueing any, so a bad batch leaves the queue untouched.
        for (const rule of rules) state.faults.add({ ...rule, times: 0 });
        for (const rule of rules) state.faults.add(rule);
        return send(res, 200, { pending: state.faults.pending });
      }
      case 'DELETE /_emulator/faults':
        state.faults.clear();
        return send(res, 204);
      case 'GET /_emulator/metrics':
        return send(res, 200, state.metrics.snapshot());
      case 'POST /_emulator/reset':
        state.faults.clear();
        state.metrics.reset();
        return send(res, 204);
      default:
        return send(res, 404, { error: { code: 404, message: `Unknown control endpoint: ${route}` } });
    }
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    req.resume();
    return send(res, 400, { error: { code: 400, message: error.message } });
  }
}
