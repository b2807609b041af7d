/**
 * The Security Association Database (RFC 4301 section 4.4.2): SAs keyed by (destination, SPI, protocol) for
 * inbound lookup, and by (source, destination, protocol, mode, reqid) for outbound selection. An SA is
 * larval from SADB_GETSPI until SADB_UPDATE completes it, mature while usable, dying once a soft lifetime
 * expired (still usable, no longer preferred) and dead when removed. Records here are the kernel's own and
 * mutable; callers outside the kernel get {@link toSecurityAssociation} copies.
 */

import type { EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import {
  type IpsecMode,
  type LifetimeLimits,
  type SaData,
  type SaId,
  type SaState,
  type SecurityAssociation,
  type Selector,
  saKey,
  type UdpEncap,
} from '@mip6sec/core';
import { fail } from './errors.js';
import { ReplayWindow } from './replay-window.js';

export type SaProto = SaId['proto'];

export interface SaRecord {
  src: string;
  dst: string;
  spi: number;
  readonly proto: SaProto;
  state: SaState;
  mode: IpsecMode;
  reqid: number;
  enc: { readonly alg: EncAlgorithm; readonly key: Uint8Array };
  integ?: { readonly alg: IntegAlgorithm; readonly key: Uint8Array };
  replayWindow: number;
  esn: boolean;
  soft?: LifetimeLimits;
  hard?: LifetimeLimits;
  encap?: UdpEncap;
  selector?: Selector;
  /** sadb_sa_flags as given. */
  flags: number;
  /** Sequence number of the GETSPI/ACQUIRE exchange that made it (sadb_x_sa2_sequence, Linux km.seq). */
  acqSeq: number;
  bytes: number;
  packets: number;
  /** Clock milliseconds at creation, and at first use. */
  addedAt: number;
  usedAt?: number;
  /** Last outbound sequence number sent, as two 32-bit halves (ESN uses both). */
  oseqHi: number;
  oseqLo: number;
  replay: ReplayWindow;
  /** A soft limit was crossed and reported. */
  softFired: boolean;
  /** Insertion order, for dumps and for choosing the newest outbound SA. */
  order: number;
}

/** Default SPI range of SADB_GETSPI without a SPIRANGE extension (af_key.c). */
export const DEFAULT_SPI_MIN = 0x100;
export const DEFAULT_SPI_MAX = 0x0fffffff;

/** The contract's view of a record, with clock times in seconds. */
export function toSecurityAssociation(r: SaRecord): SecurityAssociation {
  return {
    src: r.src,
    dst: r.dst,
    spi: r.spi,
    proto: r.proto,
    state: r.state,
    mode: r.mode,
    reqid: r.reqid,
    enc: r.enc,
    ...(r.integ ? { integ: r.integ } : {}),
    replayWindow: r.replayWindow,
    esn: r.esn,
    ...(r.soft ? { soft: r.soft } : {}),
    ...(r.hard ? { hard: r.hard } : {}),
    ...(r.encap ? { encap: r.encap } : {}),
    ...(r.selector ? { selector: r.selector } : {}),
    current: {
      bytes: r.bytes,
      packets: r.packets,
      addTime: Math.floor(r.addedAt / 1000),
      ...(r.usedAt !== undefined ? { useTime: Math.floor(r.usedAt / 1000) } : {}),
      seq: r.oseqHi * 0x1_0000_0000 + r.oseqLo,
    },
  };
}

/** A deterministic PRNG (xorshift32), so SPI choice replays identically in simulation. */
export class SpiRandom {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
}

function larvalKey(proto: SaProto, seq: number, src: string, dst: string): string {
  return `${proto}|${seq}|${src}|${dst}`;
}

export class Sad {
  private readonly byKey = new Map<string, SaRecord>();
  // The per-packet lookups index by values they already hold, so no key text is built per packet: the
  // inbound one by SPI (a number; records sharing one are told apart by destination and protocol), the
  // outbound one by source, then destination (texts whose hashes V8 keeps).
  private readonly bySpi = new Map<number, SaRecord | SaRecord[]>();
  // Sets, not arrays: between two hosts (a home agent and a busy peer) there may be thousands of SAs,
  // and a delete would otherwise look for its record among all of them.
  private readonly byEndpoints = new Map<string, Map<string, Set<SaRecord>>>();
  // Larval SAs by the GETSPI sequence that made them: a key manager's second GETSPI of one
  // exchange must find its first without scanning every SA between the same two addresses.
  private readonly larvalBySeq = new Map<string, SaRecord>();
  private orderGen = 0;

  get size(): number {
    return this.byKey.size;
  }

  /** Inbound lookup: destination, SPI and protocol. */
  get(id: Pick<SaId, 'dst' | 'spi' | 'proto'>): SaRecord | undefined {
    return this.getInbound(id.dst, id.spi, id.proto);
  }

  /** {@link get} without the id object, for the datapath. */
  getInbound(dst: string, spi: number, proto: SaProto): SaRecord | undefined {
    const hit = this.bySpi.get(spi >>> 0);
    if (hit === undefined) return undefined;
    if (!Array.isArray(hit)) return hit.dst === dst && hit.proto === proto ? hit : undefined;
    for (const r of hit) if (r.dst === dst && r.proto === proto) return r;
    return undefined;
  }

  has(id: Pick<SaId, 'dst' | 'spi' | 'proto'>): boolean {
    return this.getInbound(id.dst, id.spi, id.proto) !== undefined;
  }

  /**
   * Outbound selection for a template: a usable SA with these endpoints, protocol, mode and reqid,
   * preferring mature over dying and then the newest (Linux xfrm_state_find's choice).
   */
  findOutbound(
    proto: SaProto,
    mode: IpsecMode,
    reqid: number,
    src: string,
    dst: string,
  ): SaRecord | undefined {
    const list = this.byEndpoints.get(src)?.get(dst);
    if (list === undefined) return undefined;
    let best: SaRecord | undefined;
    for (const r of list) {
      if (r.proto !== proto || r.mode !== mode) continue;
      if (r.reqid !== reqid || (r.state !== 'mature' && r.state !== 'dying')) continue;
      if (!best) best = r;
      else if (best.state === 'dying' && r.state === 'mature') best = r;
      else if (best.state === r.state && r.order > best.order) best = r;
    }
    return best;
  }

  /** Every SA with these endpoints, protocol, mode and, unless `reqid` is 0, reqid (MIGRATE's match). */
  matching(proto: SaProto, mode: IpsecMode, reqid: number, src: string, dst: string): SaRecord[] {
    const out: SaRecord[] = [];
    for (const r of this.byEndpoints.get(src)?.get(dst) ?? []) {
      if (r.proto !== proto || r.mode !== mode) continue;
      if (reqid !== 0 && r.reqid !== reqid) continue;
      out.push(r);
    }
    return out.sort((a, b) => a.order - b.order);
  }

  /** The larval SA a GETSPI with this sequence number made between these addresses. */
  findLarval(proto: SaProto, seq: number, src: string, dst: string): SaRecord | undefined {
    const r = this.larvalBySeq.get(larvalKey(proto, seq, src, dst));
    return r?.state === 'larval' ? r : undefined;
  }

  /** Adds a record; EEXIST when (destination, SPI, protocol) is taken. */
  insert(r: SaRecord): void {
    const key = saKey(r);
    if (this.byKey.has(key)) fail('EEXIST', `an SA ${key} exists`);
    r.order = ++this.orderGen;
    this.byKey.set(key, r);
    this.link(r);
    if (r.state === 'larval' && r.acqSeq) this.larvalBySeq.set(larvalKey(r.proto, r.acqSeq, r.src, r.dst), r);
  }

  remove(r: SaRecord): boolean {
    const key = saKey(r);
    if (this.byKey.get(key) !== r) return false;
    this.byKey.delete(key);
    this.unlink(r);
    if (r.acqSeq) {
      const lk = larvalKey(r.proto, r.acqSeq, r.src, r.dst);
      if (this.larvalBySeq.get(lk) === r) this.larvalBySeq.delete(lk);
    }
    r.state = 'dead';
    return true;
  }

  /**
   * Moves records to new endpoints in place (MIGRATE, SaUpdate), all or none: EEXIST, before anything
   * changes, when a new (destination, SPI, protocol) would be taken by another SA or by two of the moves.
   */
  move(moves: readonly { readonly sa: SaRecord; readonly src: string; readonly dst: string }[]): void {
    const leaving = new Set(moves.map((m) => saKey(m.sa)));
    const arriving = new Set<string>();
    for (const m of moves) {
      const key = saKey({ ...m.sa, src: m.src, dst: m.dst });
      if (arriving.has(key) || (this.byKey.has(key) && !leaving.has(key)))
        fail('EEXIST', `an SA ${key} exists`);
      arriving.add(key);
    }
    for (const m of moves) {
      this.byKey.delete(saKey(m.sa));
      this.unlink(m.sa);
      if (m.sa.acqSeq) this.larvalBySeq.delete(larvalKey(m.sa.proto, m.sa.acqSeq, m.sa.src, m.sa.dst));
    }
    for (const m of moves) {
      m.sa.src = m.src;
      m.sa.dst = m.dst;
      this.byKey.set(saKey(m.sa), m.sa);
      this.link(m.sa);
      if (m.sa.state === 'larval' && m.sa.acqSeq) {
        this.larvalBySeq.set(larvalKey(m.sa.proto, m.sa.acqSeq, m.sa.src, m.sa.dst), m.sa);
      }
    }
  }

  all(): SaRecord[] {
    return [...this.byKey.values()].sort((a, b) => a.order - b.order);
  }

  /** Removes every SA of a protocol (or all); returns the removed records. */
  flush(proto?: SaProto): SaRecord[] {
    const gone = this.all().filter((r) => proto === undefined || r.proto === proto);
    for (const r of gone) this.remove(r);
    return gone;
  }

  /** Picks a free SPI in [min, max] for (destination, protocol), as xfrm_alloc_spi does; ENOENT if none. */
  allocateSpi(dst: string, proto: SaProto, min: number, max: number, rnd: SpiRandom): number {
    if (min === max) {
      if (this.has({ dst, spi: min, proto })) fail('ENOENT', `SPI ${min.toString(16)} is in use`);
      return min;
    }
    const range = max - min + 1;
    const tries = Math.min(range, 1024);
    for (let i = 0; i < tries; i++) {
      const spi = min + (rnd.next() % range);
      if (!this.has({ dst, spi, proto })) return spi;
    }
    // A crowded range: walk it from a random start so a free SPI is always found when one exists.
    const start = rnd.next() % range;
    for (let i = 0; i < range; i++) {
      const spi = min + ((start + i) % range);
      if (!this.has({ dst, spi, proto })) return spi;
    }
    return fail('ENOENT', `no free SPI in ${min.toString(16)}..${max.toString(16)}`);
  }

  private link(r: SaRecord): void {
    const spi = r.spi >>> 0;
    const same = this.bySpi.get(spi);
    if (same === undefined) this.bySpi.set(spi, r);
    else if (Array.isArray(same)) same.push(r);
    else this.bySpi.set(spi, [same, r]);
    let byDst = this.byEndpoints.get(r.src);
    if (!byDst) {
      byDst = new Map();
      this.byEndpoints.set(r.src, byDst);
    }
    const list = byDst.get(r.dst);
    if (list) list.add(r);
    else byDst.set(r.dst, new Set([r]));
  }

  private unlink(r: SaRecord): void {
    const spi = r.spi >>> 0;
    const same = this.bySpi.get(spi);
    if (same === r) this.bySpi.delete(spi);
    else if (Array.isArray(same)) {
      const rest = same.filter((x) => x !== r);
      this.bySpi.set(spi, rest.length === 1 ? rest[0]! : rest);
    }
    const byDst = this.byEndpoints.get(r.src);
    const list = byDst?.get(r.dst);
    if (!byDst || !list) return;
    list.delete(r);
    if (list.size === 0) byDst.delete(r.dst);
    if (byDst.size === 0) this.byEndpoints.delete(r.src);
  }
}

/** A new record from contract data, mature unless `larval`. */
export function newSaRecord(
  id: SaId,
  data: Pick<SaData, 'mode' | 'reqid'> & Partial<SaData>,
  now: number,
  opts: { larval?: boolean; flags?: number; acqSeq?: number } = {},
): SaRecord {
  const replayWindow = data.replayWindow ?? 0;
  return {
    src: id.src,
    dst: id.dst,
    spi: id.spi >>> 0,
    proto: id.proto,
    state: opts.larval ? 'larval' : 'mature',
    mode: data.mode,
    reqid: data.reqid >>> 0,
    enc: data.enc ?? { alg: 'null', key: new Uint8Array(0) },
    ...(data.integ ? { integ: data.integ } : {}),
    replayWindow,
    esn: data.esn ?? false,
    ...(data.soft ? { soft: data.soft } : {}),
    ...(data.hard ? { hard: data.hard } : {}),
    ...(data.encap ? { encap: data.encap } : {}),
    ...(data.selector ? { selector: data.selector } : {}),
    flags: opts.flags ?? 0,
    acqSeq: opts.acqSeq ?? 0,
    bytes: 0,
    packets: 0,
    addedAt: now,
    oseqHi: 0,
    oseqLo: 0,
    replay: new ReplayWindow(replayWindow, data.esn ?? false),
    softFired: false,
    order: 0,
  };
}
