import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, same-time ones in the order they were set, and skips cancelled ones', () => {
    const c = new VirtualClock(100);
    const log: string[] = [];
    c.setTimeout(() => log.push('b'), 20);
    c.setTimeout(() => log.push('a'), 10);
    c.setTimeout(() => log.push('c'), 20);
    const x = c.setTimeout(() => log.push('x'), 15);
    x.cancel();
    c.advance(19);
    expect(log).toEqual(['a']);
    expect(c.now()).toBe(119);
    c.advance(1);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(c.pending).toBe(0);
  });

  it('runs timers set by timers, and never moves time backwards', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 50 }), (delays) => {
        const c = new VirtualClock();
        const fired: number[] = [];
        for (const d of delays)
          c.setTimeout(() => {
            fired.push(c.now());
            if (d % 7 === 0) c.setTimeout(() => fired.push(c.now()), d % 13);
          }, d);
        c.advance(5000);
        for (let i = 1; i < fired.length; i++) expect(fired[i]!).toBeGreaterThanOrEqual(fired[i - 1]!);
        expect(fired.length).toBe(delays.length + delays.filter((d) => d % 7 === 0).length);
      }),
    );
  });

  it('steps to the next timer only up to a limit', () => {
    const c = new VirtualClock();
    c.setTimeout(() => undefined, 50);
    expect(c.step(40)).toBe(false);
    expect(c.nextAt()).toBe(50);
    expect(c.step(60)).toBe(true);
    expect(c.now()).toBe(50);
  });
});
