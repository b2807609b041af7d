/**
 * Soft and hard SA lifetimes (RFC 4301 section 4.4.2.1, PF_KEY sadb_lifetime) on the core Clock: time
 * limits run as timers from the SA's creation; byte and packet limits are checked per packet the way Linux
 * xfrm_state_check_expire does it, before the packet is counted: the packet that finds the hard limit
 * reached is refused and the SA expires; the one that finds the soft limit reached passes and the SA
 * starts dying. A limit of 0 means none.
 */
import type { Clock, TimerHandle } from '@mip6sec/core';
import type { SaRecord } from './sad.js';

export type ExpireKind = 'soft' | 'hard';

export class Lifetimes {
  private readonly clock: Clock;
  private readonly onExpire: (sa: SaRecord, kind: ExpireKind) => void;
  /**
   * One timer per SA: its soft limit's until that fired, then its hard limit's. (A timer per limit
   * from the start would be two per SA, and an SA's timers live as long as it does.)
   */
  private readonly timers = new Map<SaRecord, TimerHandle>();

  /** `onExpire` runs when a limit is reached; for 'hard' it must delete the SA. */
  constructor(clock: Clock, onExpire: (sa: SaRecord, kind: ExpireKind) => void) {
    this.clock = clock;
    this.onExpire = onExpire;
  }

  /** Starts the time limits of an SA (counted from its creation, so a restart after UPDATE keeps them). */
  start(sa: SaRecord): void {
    this.stop(sa);
    this.arm(sa);
  }

  /**
   * Arms the SA's next time limit: the soft one while it has not fired and is not after the hard
   * one, else the hard one.
   */
  private arm(sa: SaRecord): void {
    const soft = sa.softFired ? 0 : (sa.soft?.addSeconds ?? 0);
    const hard = sa.hard?.addSeconds ?? 0;
    let kind: ExpireKind;
    let seconds: number;
    if (soft && (!hard || soft <= hard)) {
      kind = 'soft';
      seconds = soft;
    } else if (hard) {
      kind = 'hard';
      seconds = hard;
    } else return;
    // Whole milliseconds: timers of equal delay share one list in node's timer queue, where a
    // fractional delay (the clock reads fractions) would make a list, and a heap entry, per SA.
    const due = Math.ceil(sa.addedAt + seconds * 1000 - this.clock.now());
    this.timers.set(
      sa,
      this.clock.setTimeout(() => this.timeUp(sa, kind), due),
    );
  }

  /** A time limit is reached; after the soft one, the hard one is armed. */
  private timeUp(sa: SaRecord, kind: ExpireKind): void {
    this.timers.delete(sa);
    this.fire(sa, kind);
    // A byte or packet limit may have fired the soft expire already; the hard limit still follows.
    if (kind === 'soft' && sa.state !== 'dead' && !this.timers.has(sa)) this.arm(sa);
  }

  /** Same, for a larval SA that lives `seconds` unless completed (Linux xfrm_acq_expires). */
  startLarval(sa: SaRecord, seconds: number): void {
    this.stop(sa);
    this.timers.set(
      sa,
      this.clock.setTimeout(() => this.fire(sa, 'hard'), seconds * 1000),
    );
  }

  stop(sa: SaRecord): void {
    this.timers.get(sa)?.cancel();
    this.timers.delete(sa);
  }

  stopAll(): void {
    for (const h of this.timers.values()) h.cancel();
    this.timers.clear();
  }

  /**
   * Called for each packet before it uses the SA. Returns false when the SA has reached a hard byte or
   * packet limit: the caller drops the packet, and the SA has been expired.
   */
  admit(sa: SaRecord): boolean {
    if (sa.usedAt === undefined) sa.usedAt = this.clock.now();
    const hard = sa.hard;
    if (
      hard &&
      ((hard.bytes > 0 && sa.bytes >= hard.bytes) || (hard.packets > 0 && sa.packets >= hard.packets))
    ) {
      this.fire(sa, 'hard');
      return false;
    }
    const soft = sa.soft;
    if (!sa.softFired && soft) {
      if ((soft.bytes > 0 && sa.bytes >= soft.bytes) || (soft.packets > 0 && sa.packets >= soft.packets)) {
        this.fire(sa, 'soft');
      }
    }
    return true;
  }

  /** Counts a packet that used the SA. */
  count(sa: SaRecord, bytes: number): void {
    sa.bytes += bytes;
    sa.packets += 1;
  }

  private fire(sa: SaRecord, kind: ExpireKind): void {
    if (sa.state === 'dead') return;
    if (kind === 'soft') {
      if (sa.softFired) return;
      sa.softFired = true;
      if (sa.state === 'mature') sa.state = 'dying';
    } else {
      this.stop(sa);
    }
    this.onExpire(sa, kind);
  }
}
