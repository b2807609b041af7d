/**
 * Request retransmission (RFC 7296 section 2.1): only the requester retransmits, with exponentially
 * growing intervals, sending the same bytes each time, and gives up after a number of tries. The
 * defaults are strongSwan's: 4 s x 1.8^n, 5 retransmissions, about 165 s in all.
 */
import type { Clock, TimerHandle } from '@mip6sec/core';

export interface RetransmitPolicy {
  /** First wait in milliseconds. */
  readonly timeout: number;
  /** Growth factor per retransmission. */
  readonly base: number;
  /** Retransmissions before giving up. */
  readonly tries: number;
  /** Upper bound of one wait, 0 for none. */
  readonly limit?: number;
}

export const DEFAULT_RETRANSMIT: RetransmitPolicy = { timeout: 4000, base: 1.8, tries: 5 };

/** One outstanding request's timer: sends, resends on schedule, and calls `giveUp` at the end. */
export class Retransmitter {
  private readonly clock: Clock;
  private readonly policy: RetransmitPolicy;
  private timer: TimerHandle | undefined;
  private attempt = 0;
  private done = false;
  private sendFn: (() => void) | undefined;
  private fire: (() => void) | undefined;
  /** Sends made (first transmission included). */
  sent = 0;

  constructor(clock: Clock, policy: RetransmitPolicy) {
    this.clock = clock;
    this.policy = policy;
  }

  /** The wait after the n-th transmission (n from 0). */
  static wait(policy: RetransmitPolicy, n: number): number {
    const w = policy.timeout * policy.base ** n;
    return policy.limit ? Math.min(w, policy.limit) : w;
  }

  start(send: () => void, giveUp: () => void): void {
    this.sendFn = send;
    const fire = () => {
      if (this.done) return;
      if (this.attempt > this.policy.tries) {
        this.done = true;
        giveUp();
        return;
      }
      this.sent++;
      send();
      const wait = Retransmitter.wait(this.policy, this.attempt);
      this.attempt++;
      this.timer = this.clock.setTimeout(fire, wait);
    };
    this.fire = fire;
    fire();
  }

  /**
   * Sends once more now and counts the current wait from now: the path changed (the IKE SA moved
   * to other addresses), so an answer to the earlier transmission may never come back. The
   * retransmissions left before giving up stay as they were.
   */
  resendNow(): void {
    if (this.done || !this.sendFn || !this.fire) return;
    this.timer?.cancel();
    this.sent++;
    this.sendFn();
    this.timer = this.clock.setTimeout(
      this.fire,
      Retransmitter.wait(this.policy, Math.max(0, this.attempt - 1)),
    );
  }

  stop(): void {
    this.done = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
