import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seqAdd, seqNewer, seqNext, seqNotNewer } from './sequence.js';

describe('sequence numbers modulo 2^16 (RFC 6275 §9.5.1)', () => {
  it('the RFC example: with last = 15, 0..15 and 32783..65535 are not newer, the rest are', () => {
    for (const s of [0, 1, 15, 32783, 40000, 65535]) expect(seqNotNewer(s, 15)).toBe(true);
    for (const s of [16, 100, 32782]) expect(seqNewer(s, 15)).toBe(true);
  });

  it('wraps', () => {
    expect(seqNext(65535)).toBe(0);
    expect(seqNewer(0, 65535)).toBe(true);
    expect(seqNewer(3, 65530)).toBe(true);
    expect(seqNewer(65530, 3)).toBe(false);
    expect(seqAdd(65535, 2)).toBe(1);
    expect(seqAdd(0, -1)).toBe(65535);
  });

  it('exactly 32767 values are newer than any last value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 1, max: 65535 }), (last, d) => {
        expect(seqNewer(seqAdd(last, d), last)).toBe(d < 32768);
      }),
    );
  });
});
