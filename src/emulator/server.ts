/**
 * The HTTP server: routes each request, resolves its faults, counts it, runs its handler and turns whatever
 * the handler throws into a GCS error answer in the right format. Nothing a client sends can take it down:
 * malformed requests get an error, a client that vanishes just ends its exchange.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { debuglog } from 'node:util';
import { InvalidArgumentError } from '../errors.js';
import { badRequest, GcsErrorReply, notImplemented, statusReply } from './errors.js';
import { Exchange } from './exchange.js';
import { emptyPlan, parseFaults, type FaultPlan } from './faults.js';
import { handleBatch } from './batch-api.js';
import { deleteBucket, getBucket, insertBucket, listBuckets, patchBucket } from './bucket-api.js';
import { composeObject } from './compose-api.js';
import { copyTo, moveTo, rewriteTo } from './copy-api.js';
import { deleteObject, getObject, listObjects } from './json-api.js';
import { patchObject } from './metadata-api.js';
import { abortMpu, completeMpu, initiateMpu, listParts, uploadPart } from './mpu-api.js';
import { cancelResumable, initiateResumable, putResumable } from './resumable-api.js';
import { handleControl } from './control-api.js';
import type { Action, Route } from './routes.js';
import { routeRequest } from './routes.js';
import type { Shaper } from './shaping.js';
import type { EmulatorState, Handler } from './state.js';
import { uploadMedia, uploadMultipart } from './upload-api.js';
import { deleteXmlObject, getXmlObject, putXmlObject } from './xml-api.js';
import { deleteXmlBucket, headXmlBucket, listXmlObjects, listXmlUploads, putXmlBucket } from './xml-bucket-api.js';

const debug = debuglog('gcs-transfer:emulator');

/** Room for long signed URLs and many x-goog-meta-* headers; far larger headers get a 431. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** The request header that injects faults into that request. */
export const FAULT_HEADER = 'x-emulator-fault';

const unsupported: Handler = async (x) => {
  throw notImplemented(x.route.operation ?? `${x.req.method ?? ''} ${x.route.path}`);
};

const HANDLERS: Record<Exclude<Action, 'control'>, Handler> = {
  'bucket-insert': insertBucket,
  'bucket-list': listBuckets,
  'bucket-get': getBucket,
  'bucket-patch': patchBucket,
  'bucket-delete': deleteBucket,
  'object-list': listObjects,
  'object-get': getObject,
  'object-patch': patchObject,
  'object-delete': deleteObject,
  'object-copy': copyTo,
  'object-rewrite': rewriteTo,
  'object-compose': composeObject,
  'object-move': moveTo,
  batch: handleBatch,
  'upload-media': uploadMedia,
  'upload-multipart': uploadMultipart,
  'resumable-initiate': initiateResumable,
  'resumable-put': putResumable,
  'resumable-cancel': cancelResumable,
  'xml-get': getXmlObject,
  'xml-head': getXmlObject,
  'xml-put': putXmlObject,
  'xml-delete': deleteXmlObject,
  'xml-bucket-get': listXmlObjects,
  'xml-bucket-head': headXmlBucket,
  'xml-bucket-put': putXmlBucket,
  'xml-bucket-delete': deleteXmlBucket,
  'xml-list-uploads': listXmlUploads,
  'mpu-initiate': initiateMpu,
  'mpu-upload-part': uploadPart,
  'mpu-list-parts': listParts,
  'mpu-complete': completeMpu,
  'mpu-abort': abortMpu,
  'not-implemented': unsupported,
};

export function createEmulatorServer(state: EmulatorState, shaper: Shaper | undefined, fallbackHost: () => string, closing?: AbortSignal): Server {
  const server = createServer(
    // Uploads to a shaped emulator can legitimately take many minutes; Node's 5-minute default would cut them.
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0 },
    (req, res) => {
      handle(req, res, state, shaper, fallbackHost(), closing).catch((error: unknown) => {
        debug('unexpected failure: %o', error);
        res.destroy();
      });
    },
  );
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, state: EmulatorState, shaper: Shaper | undefined, fallbackHost: string, closing: AbortSignal | undefined): Promise<void> {
  const route = routeRequest(req.method ?? 'GET', req.url ?? '/');
  if (route.action === 'control') return handleControl(req, res, route.path, state);
  // A request stops counting as in flight once its response is finished ('finish': the last byte is handed to
  // the socket), or when the connection goes ('close', for cut responses). 'close' alone trails the client: on a
  // busy event loop a client that already read the whole response could start its next request first, and a
  // sequential client would be counted with two requests in flight.
  const end = state.metrics.begin(route.op);
  res.once('finish', end);
  res.once('close', end);

  let plan: FaultPlan = emptyPlan();
  let planError: GcsErrorReply | undefined;
  try {
    const header = req.headers[FAULT_HEADER];
    for (const spec of [...(Array.isArray(header) ? header : header === undefined ? [] : [header]), ...takeQueued(state, route)]) {
      plan = parseFaults(spec, plan);
    }
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    plan = emptyPlan();
    planError = badRequest(error.message);
  }

  const x = new Exchange(req, res, route, plan, { metrics: state.metrics, shaper, fallbackHost, ...(closing ? { closing } : {}) });
  if (plan.bumpGeneration && route.bucket !== undefined && route.object !== undefined) {
    const { bucket, object } = route;
    res.once('close', () => {
      try {
        state.store.bumpGeneration(bucket, object);
      } catch (error) {
        // An event listener must not throw: that would be an uncaught exception in the whole process.
        debug('bump-generation failed: %o', error);
      }
    });
  }
  try {
    if (planError) throw planError;
    if (route.error) throw route.error;
    if (plan.status) {
      const { code, retryAfterSeconds } = plan.status;
      throw statusReply(code, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
    }
    await HANDLERS[route.action as Exclude<Action, 'control'>](x, state);
  } catch (error) {
    await fail(x, error);
  }
}

function takeQueued(state: EmulatorState, route: Route): string[] {
  return state.faults.take({ op: route.op, bucket: route.bucket, object: route.object });
}

/** Answers a failed request if the answer can still change; otherwise drops the connection. */
async function fail(x: Exchange, error: unknown): Promise<void> {
  if (x.closed) return;
  if (x.res.headersSent) {
    // Half a body has gone out: the only honest signal left is a broken connection.
    debug('failure after headers were sent: %o', error);
    x.req.socket.destroy();
    return;
  }
  // Whatever is left of the request body is read and dropped, so the connection can serve the next request.
  await x.discardBody();
  let reply: GcsErrorReply;
  if (error instanceof GcsErrorReply) reply = error;
  else if (error instanceof InvalidArgumentError) reply = badRequest(error.message);
  else {
    debug('internal error: %o', error);
    reply = new GcsErrorReply(500, 'backendError', 'InternalError', `Internal error in the emulator: ${error instanceof Error ? error.message : String(error)}`);
  }
  await x.respondError(reply).catch(() => x.req.socket.destroy());
}
