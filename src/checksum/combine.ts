/**
 * CRC32C of a concatenation from the CRCs of its pieces, without the bytes: crc(A‖B) from crc(A), crc(B) and
 * len(B). This lets the coordinator verify a whole object whose parts were hashed in parallel (by workers, or by
 * GCS for each part of a multipart upload) against the single CRC32C that GCS reports for the object.
 *
 * Appending len(B) bytes to A multiplies crc(A) by x^(8·len(B)) modulo the CRC polynomial, then XORs in crc(B)
 * (the pre- and post-conditioning of the two CRCs cancel out). x^(8·n) is built from a table of x^(2^k) by
 * square-and-multiply, so the cost is O(log n) polynomial products whatever the length (zlib's method).
 */
import { InvalidArgumentError } from '../errors.js';

/** CRC-32C (Castagnoli) polynomial, bit-reflected, as every CRC32C implementation uses it. */
const POLY = 0x82f63b78;

/** The polynomial "1" (x^0) in the reflected representation: the top bit. */
const ONE = 0x80000000;

/**
 * a(x)·b(x) mod P(x), both in reflected form. Shift-and-add over the bits of `a`, reducing `b` by P as it is
 * multiplied by x; stops early once the remaining bits of `a` are zero.
 */
function multModP(a: number, b: number): number {
  let m = ONE;
  let product = 0;
  for (;;) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/**
 * X2N[k] = x^(2^k) mod P. 64 entries cover every exponent we can be asked for: lengths are below 2^53 bytes, so
 * bit exponents (8·n) stay below 2^56. A full table avoids relying on the period of x modulo P.
 */
const X2N: readonly number[] = (() => {
  const table = [0x40000000]; // x^1
  for (let k = 1; k < 64; k++) {
    const prev = table[k - 1] as number;
    table.push(multModP(prev, prev));
  }
  return table;
})();

/** x^(n·2^k) mod P, for a byte count n (k = 3 turns bytes into bits). Uses division, not `>>>`, past 2^32. */
function xPowModP(n: number, k: number): number {
  let p = ONE;
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

function checkLength(name: string, length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(
      `Expected \`${name}\` to be a non-negative safe integer (a byte count), got \`${String(length)}\` (${typeof length})`,
    );
  }
}

/**
 * The CRC32C of A‖B, given `crcA` = crc32c(A), `crcB` = crc32c(B) and `lengthB` = len(B) in bytes (up to 2^53−1).
 * Works on the standard (conditioned) CRC32C values that GCS and {@link crc32c} produce.
 *
 * @example
 * crc32cCombine(crc32c(a), crc32c(b), b.length) === crc32c(Buffer.concat([a, b]))
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  checkLength('lengthB', lengthB);
  if (lengthB === 0) return crcA >>> 0;
  return (multModP(xPowModP(lengthB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}

/**
 * The CRC32C of the concatenation of `parts`, in order. Zero-length parts are allowed (they change nothing);
 * no parts at all is the CRC of the empty string, 0.
 */
export function combineCrc32c(parts: readonly { crc32c: number; length: number }[]): number {
  let crc = 0;
  parts.forEach((part, i) => {
    checkLength(`parts[${i}].length`, part.length);
    crc = crc32cCombine(crc, part.crc32c, part.length);
  });
  return crc;
}
