/**
 * Binding Update sequence numbers: 16 bits, compared modulo 2^16 (RFC 6275 §9.5.1). A received
 * number is "less than or equal" to the last one when it lies within the last one and the 32 768
 * values before it, inclusive; anything else is newer.
 */

export const SEQ_MODULUS = 0x10000;
const HALF = 0x8000;

/** The number after `s`, wrapping at 2^16. */
export function seqNext(s: number): number {
  return (s + 1) & 0xffff;
}

/** `s + n` modulo 2^16. */
export function seqAdd(s: number, n: number): number {
  return (((s + n) % SEQ_MODULUS) + SEQ_MODULUS) % SEQ_MODULUS;
}

/** True when `received` is newer than `last` (RFC 6275 §9.5.1); the HA accepts only newer numbers. */
export function seqNewer(received: number, last: number): boolean {
  return ((last - received) & 0xffff) > HALF;
}

/** True when `received` is within `last` and the 32 768 values before it. */
export function seqNotNewer(received: number, last: number): boolean {
  return !seqNewer(received, last);
}
