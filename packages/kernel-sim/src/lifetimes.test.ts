import { VirtualClock } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { type ExpireKind, Lifetimes } from './lifetimes.js';
import { newSaRecord, type SaRecord } from './sad.js';

const limits = (addSeconds: number, packets = 0) => ({ addSeconds, bytes: 0, packets });

function setup() {
  const clock = new VirtualClock(1_000);
  const fired: [number, ExpireKind][] = [];
  const lifetimes = new Lifetimes(clock, (sa, kind) => {
    fired.push([clock.now(), kind]);
    if (kind === 'hard') sa.state = 'dead';
  });
  const sa = (soft?: number, hard?: number, softPackets = 0): SaRecord =>
    newSaRecord(
      { src: '192.0.2.1', dst: '192.0.2.2', spi: 0x1000, proto: 'esp' },
      {
        mode: 'tunnel',
        reqid: 1,
        ...(soft !== undefined || softPackets ? { soft: limits(soft ?? 0, softPackets) } : {}),
        ...(hard !== undefined ? { hard: limits(hard) } : {}),
      },
      clock.now(),
    );
  return { clock, fired, lifetimes, sa };
}

describe('Lifetimes', () => {
  it('fires the soft limit, then the hard one, from the SA creation, with one timer at a time', () => {
    const { clock, fired, lifetimes, sa } = setup();
    lifetimes.start(sa(5, 9));
    expect(clock.pending).toBe(1);
    clock.advance(5_000);
    expect(fired).toEqual([[6_000, 'soft']]);
    expect(clock.pending).toBe(1);
    clock.advance(4_000);
    expect(fired).toEqual([
      [6_000, 'soft'],
      [10_000, 'hard'],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('fires both when they are equal, soft first; only the hard one when the soft one comes later', () => {
    const a = setup();
    a.lifetimes.start(a.sa(7, 7));
    a.clock.advance(7_000);
    expect(a.fired).toEqual([
      [8_000, 'soft'],
      [8_000, 'hard'],
    ]);
    const b = setup();
    b.lifetimes.start(b.sa(9, 4));
    b.clock.advance(10_000);
    expect(b.fired).toEqual([[5_000, 'hard']]);
  });

  it('keeps the hard time limit after a packet limit fired the soft expire, and after a restart', () => {
    const { clock, fired, lifetimes, sa } = setup();
    const r = sa(undefined, 10, 1);
    r.soft = { addSeconds: 3, bytes: 0, packets: 1 };
    lifetimes.start(r);
    clock.advance(1_000);
    lifetimes.count(r, 100);
    expect(lifetimes.admit(r)).toBe(true);
    expect(fired).toEqual([[2_000, 'soft']]);
    clock.advance(1_000);
    // An UPDATE restarts the limits, still counted from the SA's creation.
    lifetimes.start(r);
    clock.advance(8_000);
    expect(fired).toEqual([
      [2_000, 'soft'],
      [11_000, 'hard'],
    ]);
  });

  it('stop cancels the pending limit; larval SAs expire hard', () => {
    const { clock, fired, lifetimes, sa } = setup();
    const r = sa(5, 9);
    lifetimes.start(r);
    lifetimes.stop(r);
    clock.advance(20_000);
    expect(fired).toEqual([]);
    lifetimes.startLarval(r, 30);
    clock.advance(30_000);
    expect(fired).toEqual([[51_000, 'hard']]);
  });
});
