import { VirtualClock } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRANSMIT, Retransmitter } from './retransmit.js';

describe('Retransmitter', () => {
  it("sends at strongSwan's 4 s x 1.8^n and gives up after five retransmissions, about 165 s", () => {
    const clock = new VirtualClock();
    const sends: number[] = [];
    let gaveUp = -1;
    new Retransmitter(clock, DEFAULT_RETRANSMIT).start(
      () => sends.push(clock.now()),
      () => {
        gaveUp = clock.now();
      },
    );
    clock.advance(1_000_000);
    expect(sends.map((t) => Math.round(t))).toEqual([0, 4000, 11200, 24160, 47488, 89478]);
    expect(Math.round(gaveUp)).toBe(165061);
  });

  it('stops on stop(), and caps a wait at the limit', () => {
    const clock = new VirtualClock();
    const r = new Retransmitter(clock, { timeout: 1000, base: 10, tries: 3, limit: 5000 });
    let n = 0;
    let gave = false;
    r.start(
      () => n++,
      () => {
        gave = true;
      },
    );
    clock.advance(1000);
    expect(n).toBe(2);
    clock.advance(5000);
    expect(n).toBe(3);
    r.stop();
    clock.advance(100_000);
    expect(n).toBe(3);
    expect(gave).toBe(false);
    expect(r.sent).toBe(3);
  });

  it('resendNow sends at once, counts the current wait from then, and leaves the tries as they were', () => {
    const clock = new VirtualClock();
    const sends: number[] = [];
    let gaveUp = -1;
    const r = new Retransmitter(clock, { timeout: 1000, base: 2, tries: 2 });
    r.start(
      () => sends.push(clock.now()),
      () => {
        gaveUp = clock.now();
      },
    );
    clock.advance(500);
    r.resendNow();
    clock.advance(100_000);
    // 0, the resend at 500, then 1000 after it; the second retransmission 2000 later; give up 4000 later.
    expect(sends).toEqual([0, 500, 1500, 3500]);
    expect(gaveUp).toBe(7500);
    expect(r.sent).toBe(4);
    r.resendNow();
    expect(sends).toHaveLength(4);
  });
});
