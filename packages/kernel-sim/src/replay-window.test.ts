import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';

function receive(w: ReplayWindow, lo: number): string {
  const v = w.check(lo);
  if (!v.ok) return v.reason;
  w.accept(v.hi, v.lo);
  return 'ok';
}

describe('ReplayWindow (RFC 4303 3.4.3)', () => {
  it('accepts new numbers, refuses duplicates and numbers left of the window', () => {
    const w = new ReplayWindow(32);
    expect(receive(w, 1)).toBe('ok');
    expect(receive(w, 1)).toBe('replay');
    expect(receive(w, 40)).toBe('ok');
    // 40 - 32 + 1 = 9 is the left edge: 9 passes, 8 is too old.
    expect(receive(w, 9)).toBe('ok');
    expect(receive(w, 8)).toBe('replay-old');
    expect(receive(w, 9)).toBe('replay');
    expect(receive(w, 39)).toBe('ok');
    expect(w.top).toEqual({ hi: 0, lo: 40 });
  });

  it('refuses sequence number 0 without ESN', () => {
    expect(new ReplayWindow(64).check(0)).toEqual({ ok: false, reason: 'seq-zero' });
  });

  it('check alone changes nothing (the ICV is verified between check and accept)', () => {
    const w = new ReplayWindow(64);
    expect(w.check(5).ok).toBe(true);
    expect(w.check(5).ok).toBe(true);
    expect(w.top).toEqual({ hi: 0, lo: 0 });
  });

  it('works at the largest window, 4096 packets, edges included', () => {
    const w = new ReplayWindow(MAX_REPLAY_WINDOW);
    expect(receive(w, 10_000)).toBe('ok');
    expect(receive(w, 10_000 - 4095)).toBe('ok');
    expect(receive(w, 10_000 - 4096)).toBe('replay-old');
    expect(receive(w, 10_000 - 4095)).toBe('replay');
    expect(() => new ReplayWindow(MAX_REPLAY_WINDOW + 1)).toThrow(/outside/);
  });

  it('a large jump clears the bitmap', () => {
    const w = new ReplayWindow(128);
    for (let i = 1; i <= 128; i++) receive(w, i);
    expect(receive(w, 100_000)).toBe('ok');
    expect(receive(w, 100_000 - 127)).toBe('ok');
    expect(receive(w, 99_999)).toBe('ok');
  });

  it('window 0 disables the check', () => {
    const w = new ReplayWindow(0);
    expect(receive(w, 5)).toBe('ok');
    expect(receive(w, 5)).toBe('ok');
    expect(receive(w, 1)).toBe('ok');
  });

  describe('ESN (RFC 4303 Appendix A2)', () => {
    it('infers the next subspace when the low bits wrap', () => {
      const w = new ReplayWindow(64, true);
      w.accept(0, 0xfffffff0);
      expect(w.check(0xfffffff5)).toEqual({ ok: true, hi: 0, lo: 0xfffffff5 });
      // Below the window's left edge: the packet belongs to the next 2^32 subspace.
      expect(w.check(3)).toEqual({ ok: true, hi: 1, lo: 3 });
      expect(receive(w, 3)).toBe('ok');
      expect(w.top).toEqual({ hi: 1, lo: 3 });
      // A straggler from before the wrap is still inside the window (case B of A2.2).
      expect(w.check(0xfffffffe)).toEqual({ ok: true, hi: 0, lo: 0xfffffffe });
      expect(receive(w, 0xfffffffe)).toBe('ok');
      expect(receive(w, 0xfffffffe)).toBe('replay');
      // 0xffffffc4 = top - 63 (counting across the wrap) is the left edge of the window.
      expect(w.check(0xffffffc4)).toEqual({ ok: true, hi: 0, lo: 0xffffffc4 });
      // One further left, A2.2 places it in the current subspace, far ahead: only the ICV can refuse it.
      expect(w.check(0xffffffc3)).toEqual({ ok: true, hi: 1, lo: 0xffffffc3 });
    });

    it('sequence number 0 is valid in a later subspace', () => {
      const w = new ReplayWindow(32, true);
      w.accept(0, 0xffffffff);
      expect(w.check(0)).toEqual({ ok: true, hi: 1, lo: 0 });
      expect(new ReplayWindow(32, true).check(0)).toEqual({ ok: false, reason: 'seq-zero' });
    });
  });

  it('matches a set-based model on random arrivals (bounded property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 200 }),
        (size, arrivals) => {
          const w = new ReplayWindow(size);
          const seen = new Set<number>();
          let top = 0;
          for (const s of arrivals) {
            const expected = s > top ? 'ok' : top - s >= size ? 'replay-old' : seen.has(s) ? 'replay' : 'ok';
            expect(receive(w, s)).toBe(expected);
            if (expected === 'ok') {
              seen.add(s);
              top = Math.max(top, s);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
