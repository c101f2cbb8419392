/**
 * Network shaping for benchmarks: a per-connection bandwidth cap, an aggregate cap over all connections and a
 * time-to-first-byte delay, so a loopback run can model a network where one stream cannot fill the pipe.
 * With no option set, `Shaper.active` is false and the exchange never calls in: shaping costs nothing.
 */
import type { Socket } from 'node:net';
import { InvalidArgumentError } from '../errors.js';

export interface ShapingOptions {
  /** Cap on each TCP connection, per direction, in bytes per second. @default undefined (no cap) */
  perConnectionBytesPerSec?: number;
  /** Cap over all connections together, per direction, in bytes per second. @default undefined (no cap) */
  aggregateBytesPerSec?: number;
  /** Delay before the status line of every response, in milliseconds. @default 0 */
  firstByteDelayMs?: number;
}

export type Direction = 'up' | 'down';

/**
 * A pacer in the GCRA form of a token bucket: it keeps the time at which the bytes reserved so far will have
 * drained at `rate`, and a sender waits until its own bytes have drained. Reservations queue in arrival
 * order, which shares an aggregate cap fairly between connections without a scheduler.
 */
class Pacer {
  readonly #bytesPerMs: number;
  #drainedAt = 0;

  constructor(bytesPerSec: number) {
    this.#bytesPerMs = bytesPerSec / 1000;
  }

  /** Reserves `bytes` and returns how many ms the sender must wait before sending them. */
  reserve(bytes: number, now: number): number {
    this.#drainedAt = Math.max(this.#drainedAt, now) + bytes / this.#bytesPerMs;
    return this.#drainedAt - now;
  }
}

function rate(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`Expected \`shaping.${name}\` to be a positive number of bytes per second, got \`${String(value)}\``);
  }
  return value;
}

/** Slices short enough that one slice at the slowest cap takes ~20 ms, so pacing is smooth, not bursty. */
const SLICES_PER_SECOND = 50;
const MIN_SLICE = 16 * 1024;
const MAX_SLICE = 1024 * 1024;

export class Shaper {
  readonly #perConnection: number | undefined;
  readonly #aggregate: Record<Direction, Pacer> | undefined;
  readonly #sockets = new WeakMap<Socket, Record<Direction, Pacer>>();
  /** Delay before every response's headers, in ms (0 = none). */
  readonly firstByteDelayMs: number;
  /** Largest slice a body chunk is cut into before pacing. */
  readonly sliceBytes: number;

  constructor(options: ShapingOptions = {}) {
    this.#perConnection = rate('perConnectionBytesPerSec', options.perConnectionBytesPerSec);
    const aggregate = rate('aggregateBytesPerSec', options.aggregateBytesPerSec);
    this.#aggregate = aggregate === undefined ? undefined : { up: new Pacer(aggregate), down: new Pacer(aggregate) };
    const delay = options.firstByteDelayMs ?? 0;
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw new InvalidArgumentError(`Expected \`shaping.firstByteDelayMs\` to be a non-negative number, got \`${String(delay)}\``);
    }
    this.firstByteDelayMs = delay;
    const slowest = Math.min(this.#perConnection ?? Infinity, aggregate ?? Infinity);
    this.sliceBytes = Math.max(MIN_SLICE, Math.min(MAX_SLICE, Math.floor(slowest / SLICES_PER_SECOND)));
  }

  /** True when a bandwidth cap is set, i.e. when bodies must be paced. */
  get pacesBodies(): boolean {
    return this.#perConnection !== undefined || this.#aggregate !== undefined;
  }

  /** Reserves `bytes` on `socket` in `direction`; returns the wait in ms before they may move. */
  reserve(socket: Socket, direction: Direction, bytes: number): number {
    const now = performance.now();
    let wait = this.#aggregate ? this.#aggregate[direction].reserve(bytes, now) : 0;
    if (this.#perConnection !== undefined) {
      let pacers = this.#sockets.get(socket);
      if (!pacers) {
        pacers = { up: new Pacer(this.#perConnection), down: new Pacer(this.#perConnection) };
        this.#sockets.set(socket, pacers);
      }
      wait = Math.max(wait, pacers[direction].reserve(bytes, now));
    }
    return wait;
  }
}
