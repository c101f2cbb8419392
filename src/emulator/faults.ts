/**
 * Fault injection, in the spirit of storage-testbench's retry tests: a test names what should go wrong with a
 * request, either on the request itself (`x-emulator-fault: <spec>[;<spec>…]`) or by queueing a rule for the
 * next matching requests. Specs are parsed once, into a `FaultPlan` the request's exchange applies.
 */
import { InvalidArgumentError } from '../errors.js';
import { isOp, OPERATIONS, type Op } from './operations.js';

/** What one request should suffer. Built by merging every spec that applies to it. */
export interface FaultPlan {
  /** Answer this status (with `Retry-After` when given) instead of serving the request. */
  status?: { code: number; retryAfterSeconds?: number };
  /** Reset the connection after this many response-body bytes. */
  resetAfterBytes?: number;
  /** Reset the connection after reading this many request-body bytes. */
  resetRequestAfterBytes?: number;
  /** Wait this long before sending the status line and headers. */
  stallHeadersMs?: number;
  /** Pause `ms` once `afterBytes` body bytes have been sent. */
  stallBody?: { ms: number; afterBytes: number };
  /** Invert the body byte at this offset. */
  flipByteAt?: number;
  /** Send the true headers but close the connection after this many body bytes. */
  truncateAfterBytes?: number;
  /** Response headers to leave out (lower case). */
  omitHeaders: Set<string>;
  /** Serve the whole object with 200 whatever the `Range` header says. */
  ignoreRange: boolean;
  /** Once the request has been answered, give the object a new generation (same bytes): an overwrite. */
  bumpGeneration: boolean;
}

export function emptyPlan(): FaultPlan {
  return { omitHeaders: new Set(), ignoreRange: false, bumpGeneration: false };
}

const FORMS =
  '"status:CODE[,retry-after=S]", "reset-after:N", "reset-request-after:N", "stall-headers:MS", ' +
  '"stall-body:MS,after=N", "flip-byte:N", "truncate-body:N", "omit-header:NAME", "ignore-range" or "bump-generation"';

function invalid(spec: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`Expected a fault spec (${FORMS}), got \`${spec}\`: ${why}`);
}

function count(spec: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw invalid(spec, `\`${text ?? ''}\` is not a non-negative integer`);
  }
  return n;
}

/** Faults that take one number, and the plan field it sets. */
const SINGLE_NUMBER_FAULTS = {
  'reset-after': 'resetAfterBytes',
  'reset-request-after': 'resetRequestAfterBytes',
  'stall-headers': 'stallHeadersMs',
  'flip-byte': 'flipByteAt',
  'truncate-body': 'truncateAfterBytes',
} as const;

/** Parses `spec[;spec…]` and merges it into `plan` (a fresh one by default). Throws InvalidArgumentError. */
export function parseFaults(text: string, plan: FaultPlan = emptyPlan()): FaultPlan {
  for (const raw of text.split(';')) {
    const spec = raw.trim();
    if (spec === '') continue;
    const colon = spec.indexOf(':');
    const kind = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
    const args = colon < 0 ? [] : spec.slice(colon + 1).split(',').map((a) => a.trim());
    const named = new Map<string, string>();
    for (const arg of args.slice(1)) {
      const eq = arg.indexOf('=');
      if (eq < 0) throw invalid(spec, `\`${arg}\` should be NAME=VALUE`);
      named.set(arg.slice(0, eq).toLowerCase(), arg.slice(eq + 1));
    }
    const [first] = args;
    switch (kind) {
      case 'status': {
        const code = count(spec, first);
        if (code < 400 || code > 599) throw invalid(spec, 'the status must be 400–599');
        const retryAfter = named.get('retry-after');
        plan.status = retryAfter === undefined ? { code } : { code, retryAfterSeconds: count(spec, retryAfter) };
        break;
      }
      case 'reset-after':
      case 'reset-request-after':
      case 'stall-headers':
      case 'flip-byte':
      case 'truncate-body':
        plan[SINGLE_NUMBER_FAULTS[kind]] = count(spec, first);
        break;
      case 'stall-body':
        plan.stallBody = { ms: count(spec, first), afterBytes: count(spec, named.get('after') ?? '0') };
        break;
      case 'omit-header':
        if (first === undefined || !/^[A-Za-z0-9-]+$/.test(first)) throw invalid(spec, 'expected a header name');
        plan.omitHeaders.add(first.toLowerCase());
        break;
      case 'ignore-range':
        plan.ignoreRange = true;
        break;
      case 'bump-generation':
        plan.bumpGeneration = true;
        break;
      default:
        throw invalid(spec, `unknown fault \`${kind}\``);
    }
  }
  return plan;
}

/** A queued fault: applied to the next `times` requests that match, after letting `skip` matching ones pass. */
export interface FaultRule {
  /** Which requests the rule applies to; an empty match applies to every request. */
  match?: { op?: Op | Op[]; bucket?: string; object?: string };
  /** One or more specs, `;`-separated, e.g. `status:503` or `reset-after:1024`. */
  fault: string;
  /** How many matching requests get the fault. @default 1 */
  times?: number;
  /** How many matching requests to let through untouched first. @default 0 */
  skip?: number;
}

/** The request a rule is matched against. */
export interface FaultTarget {
  op: Op;
  bucket?: string | undefined;
  object?: string | undefined;
}

interface QueuedRule {
  ops: ReadonlySet<Op> | undefined;
  bucket: string | undefined;
  object: string | undefined;
  fault: string;
  remaining: number;
  skip: number;
}

/** The queue of fault rules. Rules apply in the order they were added; several may hit the same request. */
export class FaultController {
  #rules: QueuedRule[] = [];

  /** Queues `rule`. Throws InvalidArgumentError (naming the field) when it is malformed. */
  add(rule: FaultRule): void {
    if (typeof rule !== 'object' || rule === null) {
      throw new InvalidArgumentError(`Expected a fault rule object, got \`${String(rule)}\``);
    }
    if (typeof rule.fault !== 'string') {
      throw new InvalidArgumentError(`Expected \`fault\` to be a spec string, got \`${String(rule.fault)}\``);
    }
    parseFaults(rule.fault);
    const times = nonNegative('times', rule.times, 1);
    const skip = nonNegative('skip', rule.skip, 0);
    const match = rule.match ?? {};
    const opList = match.op === undefined ? undefined : Array.isArray(match.op) ? match.op : [match.op];
    for (const op of opList ?? []) {
      if (!isOp(op)) throw new InvalidArgumentError(`Expected \`match.op\` to be one of ${OPERATIONS.join(', ')}, got \`${String(op)}\``);
    }
    for (const key of ['bucket', 'object'] as const) {
      if (match[key] !== undefined && typeof match[key] !== 'string') {
        throw new InvalidArgumentError(`Expected \`match.${key}\` to be a string, got \`${String(match[key])}\``);
      }
    }
    if (times === 0) return;
    this.#rules.push({
      ops: opList && new Set(opList),
      bucket: match.bucket,
      object: match.object,
      fault: rule.fault,
      remaining: times,
      skip,
    });
  }

  /** Drops every queued rule. */
  clear(): void {
    this.#rules = [];
  }

  /** How many rules still have requests to hit. */
  get pending(): number {
    return this.#rules.length;
  }

  /** Consumes the rules that apply to `target` and returns their specs, in the order they were queued. */
  take(target: FaultTarget): string[] {
    const specs: string[] = [];
    for (const rule of this.#rules) {
      if (rule.ops && !rule.ops.has(target.op)) continue;
      if (rule.bucket !== undefined && rule.bucket !== target.bucket) continue;
      if (rule.object !== undefined && rule.object !== target.object) continue;
      if (rule.skip > 0) {
        rule.skip -= 1;
        continue;
      }
      rule.remaining -= 1;
      specs.push(rule.fault);
    }
    this.#rules = this.#rules.filter((rule) => rule.remaining > 0);
    return specs;
  }
}

function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`Expected \`${name}\` to be a non-negative integer, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
}
