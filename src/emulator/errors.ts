/**
 * GCS error answers. A handler throws a `GcsErrorReply`; the server turns it into the JSON error body on the
 * JSON API or the XML `<Error>` document on the XML API, with the reason and code GCS itself uses. These
 * objects never leave the emulator: they are its way of saying "answer this status", not library errors.
 */
import { xmlDocument } from './xml.js';

export type Api = 'json' | 'xml';

export interface GcsErrorReplyOptions {
  /** Extra response headers (e.g. `Retry-After`, `Content-Range` on a 416). */
  headers?: Record<string, string>;
  /** The XML `<Details>` element, which GCS uses for the object path on 404s. */
  details?: string;
  /** The XML `<Message>`, where GCS words it differently from the JSON message. */
  xmlMessage?: string;
}

export class GcsErrorReply extends Error {
  readonly status: number;
  /** The JSON API's `error.errors[0].reason`. */
  readonly reason: string;
  /** The XML API's `<Code>`. */
  readonly xmlCode: string;
  readonly headers: Record<string, string>;
  readonly details: string | undefined;
  readonly xmlMessage: string;

  constructor(status: number, reason: string, xmlCode: string, message: string, options: GcsErrorReplyOptions = {}) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.xmlCode = xmlCode;
    this.headers = options.headers ?? {};
    this.details = options.details;
    this.xmlMessage = options.xmlMessage ?? message;
  }

  override get name(): string {
    return 'GcsErrorReply';
  }
}

/** The JSON API's error envelope, as GCS sends it. */
export function jsonErrorBody(error: GcsErrorReply): string {
  return JSON.stringify({
    error: {
      code: error.status,
      message: error.message,
      errors: [{ message: error.message, domain: 'global', reason: error.reason }],
    },
  });
}

/** The XML API's `<Error>` document, as GCS sends it. */
export function xmlErrorBody(error: GcsErrorReply): string {
  const children: [string, string][] = [
    ['Code', error.xmlCode],
    ['Message', error.xmlMessage],
  ];
  if (error.details !== undefined) children.push(['Details', error.details]);
  return xmlDocument('Error', children.map(([name, text]) => ({ name, text })));
}

export function badRequest(message: string, xmlCode = 'InvalidArgument', reason = 'invalid'): GcsErrorReply {
  return new GcsErrorReply(400, reason, xmlCode, message);
}

/** The JSON API puts the path in the message; the XML API keeps a fixed message and the path in <Details>. */
export function noSuchObject(bucket: string, name: string): GcsErrorReply {
  return new GcsErrorReply(404, 'notFound', 'NoSuchKey', `No such object: ${bucket}/${name}`, {
    details: `No such object: ${bucket}/${name}`,
    xmlMessage: 'The specified key does not exist.',
  });
}

export function preconditionFailed(): GcsErrorReply {
  return new GcsErrorReply(
    412,
    'conditionNotMet',
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold.',
  );
}

/** GCS's answer to a read whose if*NotMatch (or If-None-Match) precondition failed: 304, no body. */
export function notModified(headers: Record<string, string> = {}): GcsErrorReply {
  return new GcsErrorReply(304, 'notModified', 'NotModified', 'Not Modified', { headers });
}

/** The answer for anything the emulator does not implement: 501, naming the operation (never a 404). */
export function notImplemented(operation: string): GcsErrorReply {
  const message = `The GCS emulator does not implement ${operation}.`;
  return new GcsErrorReply(501, 'notImplemented', 'NotImplemented', message);
}

export function rangeNotSatisfiable(size: number): GcsErrorReply {
  return new GcsErrorReply(416, 'requestedRangeNotSatisfiable', 'InvalidRange', 'The requested range cannot be satisfied.', {
    headers: { 'content-range': `bytes */${size}` },
  });
}

export function noSuchUpload(uploadId: string): GcsErrorReply {
  return new GcsErrorReply(
    404,
    'notFound',
    'NoSuchUpload',
    'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { details: `No such upload: ${uploadId}` },
  );
}

export function badDigest(message: string): GcsErrorReply {
  return new GcsErrorReply(400, 'invalid', 'BadDigest', message);
}

/** The reason and XML code GCS uses for each status the fault injector can answer. */
const STATUS_ERRORS: Record<number, [reason: string, xmlCode: string, message: string]> = {
  408: ['requestTimeout', 'RequestTimeout', 'Request timed out.'],
  429: ['rateLimitExceeded', 'SlowDown', 'The rate of requests is too high. Please reduce your request rate.'],
  500: ['backendError', 'InternalError', 'We encountered an internal error. Please try again.'],
  502: ['badGateway', 'BadGateway', 'Bad gateway.'],
  503: ['backendError', 'ServiceUnavailable', 'Service is currently unavailable. Please try again.'],
  504: ['gatewayTimeout', 'GatewayTimeout', 'Gateway timed out.'],
};

/** A generic error answer for `status` (used by the `status:` fault). */
export function statusReply(status: number, headers: Record<string, string> = {}): GcsErrorReply {
  const [reason, xmlCode, message] = STATUS_ERRORS[status] ?? ['backendError', 'InternalError', `Injected status ${status}.`];
  return new GcsErrorReply(status, reason, xmlCode, message, { headers });
}
