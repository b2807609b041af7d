import { VirtualClock } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { RetrySchedule } from './retry-schedule.js';

describe('RetrySchedule', () => {
  it('backs off exponentially up to a cap, gives up after maxAttempts, and reset starts over', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const r = new RetrySchedule(clock, { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 300 }, () =>
      fired.push(clock.now()),
    );
    const fail = () => r.failed('k');
    expect(fail()).toBe('scheduled');
    clock.advance(1000);
    expect(fail()).toBe('scheduled');
    clock.advance(1000);
    expect(fail()).toBe('scheduled');
    clock.advance(1000);
    expect(fail()).toBe('scheduled');
    clock.advance(1000);
    expect(fired).toEqual([100, 1200, 2300, 3300]);
    expect(fail()).toBe('gave-up');
    expect(r.busy('k')).toBe(true);
    clock.advance(10_000);
    expect(fired).toHaveLength(4);
    r.reset('k');
    expect(r.busy('k')).toBe(false);
    expect(r.attempts('k')).toBe(0);
  });

  it('success and cancelAll drop pending retries', () => {
    const clock = new VirtualClock();
    let n = 0;
    const r = new RetrySchedule(clock, { maxAttempts: 3, backoffMs: 10, maxBackoffMs: 10 }, () => n++);
    r.failed('a');
    r.succeeded('a');
    r.failed('b');
    r.cancelAll();
    clock.advance(100);
    expect(n).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
