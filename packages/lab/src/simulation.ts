/**
 * The simulation loop. Daemons are promise-based (kernel commands, IKE exchanges), and the clock is
 * virtual, so time only moves once every continuation the last timer started has run: each step
 * drains the microtask queue (one macrotask turn) before the next timer fires.
 */
import { VirtualClock } from '@mip6sec/core';
import { Network } from './network.js';
import { Rng } from './rng.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The run took more wall-clock time than it was given (benchmarks bound their runs this way). */
export class WallBudgetExceeded extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly budgetMs: number) {
    super(`simulation: wall-clock budget of ${Math.round(budgetMs)} ms exceeded`);
  }
}

export class Simulation {
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly network: Network;
  /** performance.now() after which the loops throw WallBudgetExceeded (wall time, not virtual). */
  private wallDeadline: number | undefined;
  private wallBudget = 0;

  constructor(seed: number) {
    this.clock = new VirtualClock(0);
    this.rng = new Rng(seed);
    this.network = new Network(this.clock, this.rng.fork('network'));
  }

  now(): number {
    return this.clock.now();
  }

  /** Bounds the wall-clock time the loops below may take from now on (undefined: no bound). */
  setWallBudget(ms: number | undefined): void {
    this.wallBudget = ms ?? 0;
    this.wallDeadline = ms === undefined ? undefined : performance.now() + ms;
  }

  private checkBudget(): void {
    if (this.wallDeadline !== undefined && performance.now() > this.wallDeadline)
      throw new WallBudgetExceeded(this.wallBudget);
  }

  /** Runs every timer due within `ms`, letting async work settle between them. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await turn();
      this.checkBudget();
      if (!this.clock.step(end)) break;
    }
    await turn();
    if (this.clock.now() < end) this.clock.advance(end - this.clock.now());
  }

  /**
   * Runs until `done()` holds (checked after each step) or `maxMs` of virtual time pass.
   * Returns whether `done()` held.
   */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.clock.now() + maxMs;
    for (;;) {
      await turn();
      if (done()) return true;
      this.checkBudget();
      if (!this.clock.step(end)) break;
    }
    await turn();
    if (done()) return true;
    if (this.clock.now() < end) this.clock.advance(end - this.clock.now());
    return done();
  }

  /** Awaits a promise while the clock keeps running (a daemon call that needs timers to finish). */
  async settle<T>(p: Promise<T>, maxMs = 120_000): Promise<T> {
    let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    p.then(
      (value) => {
        state = { ok: true, value };
      },
      (error: unknown) => {
        state = { ok: false, error };
      },
    );
    await this.runUntil(() => state !== undefined, maxMs);
    if (!state) throw new Error(`simulation: operation did not finish within ${maxMs} ms of virtual time`);
    if (!state.ok) throw state.error;
    return state.value;
  }
}
