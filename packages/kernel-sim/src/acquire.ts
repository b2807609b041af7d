/**
 * Pending acquisitions (RFC 2367 section 3.1.6, Linux's larval XFRM_STATE_ACQ states with SPI 0): when an
 * outbound packet needs an SA that does not exist, the kernel records what it asked the key managers for,
 * under a sequence number of its own, and raises no second SADB_ACQUIRE for the same template until the
 * entry goes away: when an SA for it is added, or when `acqExpires` seconds pass (Linux
 * net.core.xfrm_acq_expires, 30 s by default). A key manager can mark an entry failed (header-only
 * SADB_ACQUIRE with an errno); packets are then dropped until it expires.
 */
import type { Clock, IpsecMode, TimerHandle } from '@mip6sec/core';
import type { SaProto } from './sad.js';

export const DEFAULT_ACQ_EXPIRES = 30;

export interface AcquireEntry {
  readonly seq: number;
  readonly proto: SaProto;
  readonly mode: IpsecMode;
  readonly reqid: number;
  readonly src: string;
  readonly dst: string;
  readonly policyIndex: number;
  readonly createdAt: number;
  failed: boolean;
}

function templateKey(proto: SaProto, mode: IpsecMode, reqid: number, src: string, dst: string): string {
  return `${proto}|${mode}|${reqid}|${src}|${dst}`;
}

export class AcquireTable {
  private readonly clock: Clock;
  /** Seconds an entry lives. */
  acqExpires: number;
  private readonly byKey = new Map<string, AcquireEntry>();
  private readonly bySeq = new Map<number, AcquireEntry>();
  private readonly timers = new Map<AcquireEntry, TimerHandle>();
  private seqGen = 0;

  constructor(clock: Clock, acqExpires = DEFAULT_ACQ_EXPIRES) {
    this.clock = clock;
    this.acqExpires = acqExpires;
  }

  get size(): number {
    return this.byKey.size;
  }

  find(proto: SaProto, mode: IpsecMode, reqid: number, src: string, dst: string): AcquireEntry | undefined {
    return this.byKey.get(templateKey(proto, mode, reqid, src, dst));
  }

  findBySeq(seq: number): AcquireEntry | undefined {
    return this.bySeq.get(seq);
  }

  /** Records a new acquisition and gives it the next non-zero sequence number. */
  raise(t: Omit<AcquireEntry, 'seq' | 'createdAt' | 'failed'>): AcquireEntry {
    do this.seqGen = (this.seqGen + 1) >>> 0;
    while (this.seqGen === 0 || this.bySeq.has(this.seqGen));
    const entry: AcquireEntry = { ...t, seq: this.seqGen, createdAt: this.clock.now(), failed: false };
    this.byKey.set(templateKey(t.proto, t.mode, t.reqid, t.src, t.dst), entry);
    this.bySeq.set(entry.seq, entry);
    this.timers.set(
      entry,
      this.clock.setTimeout(() => this.remove(entry), this.acqExpires * 1000),
    );
    return entry;
  }

  /** Drops the entry an SA now satisfies (by template, or by the sequence number the SA carries). */
  resolve(proto: SaProto, mode: IpsecMode, reqid: number, src: string, dst: string, seq = 0): void {
    const byT = this.find(proto, mode, reqid, src, dst);
    if (byT) this.remove(byT);
    const byS = seq !== 0 ? this.bySeq.get(seq) : undefined;
    if (byS) this.remove(byS);
  }

  remove(entry: AcquireEntry): void {
    this.timers.get(entry)?.cancel();
    this.timers.delete(entry);
    const key = templateKey(entry.proto, entry.mode, entry.reqid, entry.src, entry.dst);
    if (this.byKey.get(key) === entry) this.byKey.delete(key);
    if (this.bySeq.get(entry.seq) === entry) this.bySeq.delete(entry.seq);
  }

  clear(): void {
    for (const e of [...this.bySeq.values()]) this.remove(e);
  }

  entries(): AcquireEntry[] {
    return [...this.bySeq.values()];
  }
}
