/**
 * The mobile node's Binding Update List (RFC 6275 §11.1): per home agent, what was last sent,
 * what the home agent acknowledged, and the retransmission state of §11.8.
 */
import type { Ip, TimerHandle } from '@mip6sec/core';
import { seqNext } from './sequence.js';

/** A BU sent and not yet acknowledged. */
export interface OutstandingBu {
  readonly seq: number;
  readonly coa: Ip;
  /** Requested lifetime in 4-second units (0 for a deregistration). */
  readonly lifetimeUnits: number;
  readonly deregistration: boolean;
  readonly kBit: boolean;
  /** Clock time it left (ms); the granted lifetime counts from here (§11.7.3). */
  readonly sentAt: number;
}

/** What the home agent acknowledged last. */
export interface AcknowledgedBinding {
  readonly coa: Ip;
  readonly seq: number;
  /** Granted lifetime in seconds. */
  readonly lifetime: number;
  /** K agreed: set in the BU and echoed in the BA. */
  readonly kBit: boolean;
  readonly expiresAt: number;
}

export interface BulEntry {
  readonly hoa: Ip;
  readonly ha: Ip;
  /** The highest sequence number sent so far. */
  lastSeq: number;
  outstanding: OutstandingBu | undefined;
  registered: AcknowledgedBinding | undefined;
  /** Current retransmission timeout (ms), doubled on each retransmission up to the maximum. */
  timeoutMs: number;
  /** Retransmissions of the registration in progress. */
  retransmissions: number;
  /** Consecutive status-135 resynchronisations of the registration in progress. */
  resyncs: number;
  /** Set after a rejection or a Binding Error told the MN to stop (§11.7.3, §11.3.6). */
  stopped: { readonly status: number; readonly reason: string } | undefined;
  /** When the last BU left, for MAX_UPDATE_RATE. */
  lastSentAt: number | undefined;
  /** True from the first BU after the MN was last known home until the HA confirms the deregistration. */
  mayHaveBinding: boolean;
  /** The one timer of the entry: retransmission, refresh, or a rate-limit wait. */
  timer: TimerHandle | undefined;
}

export class BindingUpdateList {
  private readonly entries = new Map<string, BulEntry>();

  /** The entry for (hoa, ha), created on first use with `lastSeq` one before `initialSeq`. */
  entry(hoa: Ip, ha: Ip, initialSeq: number, initialTimeoutMs: number): BulEntry {
    const key = `${hoa} ${ha}`;
    let e = this.entries.get(key);
    if (!e) {
      e = {
        hoa,
        ha,
        lastSeq: (initialSeq - 1) & 0xffff,
        outstanding: undefined,
        registered: undefined,
        timeoutMs: initialTimeoutMs,
        retransmissions: 0,
        resyncs: 0,
        stopped: undefined,
        lastSentAt: undefined,
        mayHaveBinding: false,
        timer: undefined,
      };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Takes the next sequence number for a BU of `e` (a retransmission gets a new one, §11.8). */
  takeSeq(e: BulEntry): number {
    e.lastSeq = seqNext(e.lastSeq);
    return e.lastSeq;
  }

  list(): BulEntry[] {
    return [...this.entries.values()];
  }

  /** Cancels every timer (shutdown). */
  cancelTimers(): void {
    for (const e of this.entries.values()) {
      e.timer?.cancel();
      e.timer = undefined;
    }
  }
}
