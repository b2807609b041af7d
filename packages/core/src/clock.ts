/**
 * Time for every package. Simulations run on a virtual clock that only moves when told to, so
 * runs are deterministic and fast; daemons use the system clock. Nothing else reads the time.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since an arbitrary epoch fixed for the clock's life. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** The real clock, for daemons on real hosts. */
export class SystemClock implements Clock {
  now(): number {
    return performance.timeOrigin + performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  }
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only through {@link VirtualClock.advance} or {@link VirtualClock.runUntilIdle}.
 * Timers due at the same instant fire in the order they were set.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  // A binary heap keyed on (at, seq): simulations keep many thousands of timers.
  private heap: Pending[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  /** Number of live timers. */
  get pending(): number {
    return this.heap.filter((p) => !p.cancelled).length;
  }

  /** Time of the next live timer, or undefined. */
  nextAt(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0]?.at;
  }

  /** Runs every timer due up to now + ms, in order, then leaves the clock at now + ms. */
  advance(ms: number): void {
    const end = this.t + Math.max(0, ms);
    this.runTo(end);
    this.t = end;
  }

  /** Fires the next due timer (moving time to it); false when none is left. */
  step(limit = Number.POSITIVE_INFINITY): boolean {
    const at = this.nextAt();
    if (at === undefined || at > limit) return false;
    const p = this.pop()!;
    this.t = Math.max(this.t, p.at);
    p.fn();
    return true;
  }

  /** Runs timers until none is due before `limit` (absolute time). */
  runTo(limit: number): void {
    while (this.step(limit)) {
      /* each step fires one timer */
    }
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Pending | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
