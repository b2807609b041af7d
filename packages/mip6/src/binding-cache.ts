/**
 * The home agent's Binding Cache (RFC 6275 §9.1, §10.3): one entry per home address, each with
 * its lifetime on a {@link Clock} timer. Changes are published so the lab can route home-address
 * traffic into the tunnel (the HA's proxy role of §10.4).
 */
import type { Binding, Clock, Ip, TimerHandle } from '@mip6sec/core';
import { type Observable, Subject } from 'rxjs';

export interface BindingCacheEntry extends Binding {
  /** The IKE identity whose SA carried the accepted BU. */
  readonly identity: string;
  /** Clock time the entry was last accepted, and when it lapses (ms). */
  readonly acceptedAt: number;
  readonly expiresAt: number;
}

export type BindingCacheChange =
  | {
      readonly op: 'add' | 'update';
      readonly entry: BindingCacheEntry;
      readonly previous?: BindingCacheEntry;
    }
  | {
      readonly op: 'delete';
      readonly entry: BindingCacheEntry;
      readonly reason: 'deregistration' | 'expired';
    };

export class BindingCache {
  private readonly entries = new Map<Ip, { entry: BindingCacheEntry; timer: TimerHandle }>();
  private readonly subject = new Subject<BindingCacheChange>();
  /** Every add, update and delete, in order. */
  readonly changes: Observable<BindingCacheChange> = this.subject.asObservable();

  /**
   * @param onExpire called after an entry's lifetime ran out and it was removed.
   */
  private readonly clock: Clock;
  private readonly onExpire: (entry: BindingCacheEntry) => void;

  constructor(clock: Clock, onExpire: (entry: BindingCacheEntry) => void = () => {}) {
    this.clock = clock;
    this.onExpire = onExpire;
  }

  lookup(hoa: Ip): BindingCacheEntry | undefined {
    return this.entries.get(hoa)?.entry;
  }

  list(): BindingCacheEntry[] {
    return [...this.entries.values()].map((x) => x.entry);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Creates or replaces the entry for `b.hoa`; its lifetime (seconds) starts now. */
  upsert(b: Binding & { identity: string }): BindingCacheEntry {
    const now = this.clock.now();
    const entry: BindingCacheEntry = { ...b, acceptedAt: now, expiresAt: now + b.lifetime * 1000 };
    const old = this.entries.get(b.hoa);
    old?.timer.cancel();
    const timer = this.clock.setTimeout(() => this.expire(b.hoa, entry), b.lifetime * 1000);
    this.entries.set(b.hoa, { entry, timer });
    this.subject.next(old ? { op: 'update', entry, previous: old.entry } : { op: 'add', entry });
    return entry;
  }

  /** Removes the entry for `hoa` (a deregistration); returns it, or undefined when there was none. */
  delete(hoa: Ip, reason: 'deregistration' | 'expired' = 'deregistration'): BindingCacheEntry | undefined {
    const x = this.entries.get(hoa);
    if (!x) return undefined;
    x.timer.cancel();
    this.entries.delete(hoa);
    this.subject.next({ op: 'delete', entry: x.entry, reason });
    return x.entry;
  }

  /** Cancels every timer and forgets every entry, without publishing deletions (shutdown). */
  clear(): void {
    for (const x of this.entries.values()) x.timer.cancel();
    this.entries.clear();
  }

  complete(): void {
    this.subject.complete();
  }

  private expire(hoa: Ip, entry: BindingCacheEntry): void {
    if (this.entries.get(hoa)?.entry !== entry) return;
    this.delete(hoa, 'expired');
    this.onExpire(entry);
  }
}
