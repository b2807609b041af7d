/**
 * The simulated network: links with delay, jitter, loss, duplication and reordering, joined by a
 * core that routes on the destination address. Every packet is real IP bytes; every draw comes from
 * the seeded generator, so a scenario replays exactly from its seed.
 */
import { canonicalIp, type Ip, ipFromBytes, type VirtualClock } from '@mip6sec/core';
import type { Rng } from './rng.js';

export interface LinkOptions {
  readonly name: string;
  /** One-way delay between this link and the core, in ms. */
  readonly delayMs: number;
  readonly jitterMs?: number;
  /** Probability a packet crossing this link is lost. */
  readonly loss?: number;
  readonly duplicate?: number;
  /** Probability a packet is held back by one extra link delay, so later ones overtake it. */
  readonly reorder?: number;
  /** A radio link: its bytes count as bytes on the air. */
  readonly air?: boolean;
}

/** Something attached to the network that takes packets. */
export interface NetworkNode {
  readonly name: string;
  deliver(bytes: Uint8Array, link: string): void;
}

interface Attachment {
  readonly node: NetworkNode;
  readonly link: string;
}

export interface LinkCounters {
  packets: number;
  bytes: number;
  lost: number;
}

export interface PacketRecord {
  readonly timeMs: number;
  readonly bytes: Uint8Array;
  readonly from: string;
  readonly srcLink: string;
  readonly dstLink: string | undefined;
}

/** Where an IP packet is going, read from its header (IPv4 or IPv6). */
export function packetDestination(bytes: Uint8Array): Ip | undefined {
  const version = (bytes[0] ?? 0) >> 4;
  if (version === 6 && bytes.length >= 40) return ipFromBytes(bytes, 24, 6);
  if (version === 4 && bytes.length >= 20) return ipFromBytes(bytes, 16, 4);
  return undefined;
}

export function packetSource(bytes: Uint8Array): Ip | undefined {
  const version = (bytes[0] ?? 0) >> 4;
  if (version === 6 && bytes.length >= 40) return ipFromBytes(bytes, 8, 6);
  if (version === 4 && bytes.length >= 20) return ipFromBytes(bytes, 12, 4);
  return undefined;
}

export class Network {
  private readonly links = new Map<string, LinkOptions>();
  private readonly routes = new Map<Ip, Attachment>();
  private readonly counters = new Map<string, LinkCounters>();
  private readonly taps: ((r: PacketRecord) => void)[] = [];
  private inFlight = 0;
  /** Packets dropped because nothing owned the destination (e.g. an old CoA after a move). */
  noRoute = 0;
  /** Loss can be switched per predicate, so a scenario can lose one specific message. */
  private readonly dropRules: ((bytes: Uint8Array) => boolean)[] = [];

  constructor(
    readonly clock: VirtualClock,
    private readonly rng: Rng,
  ) {}

  addLink(opts: LinkOptions): void {
    this.links.set(opts.name, opts);
    this.counters.set(opts.name, { packets: 0, bytes: 0, lost: 0 });
  }

  link(name: string): LinkOptions {
    const l = this.links.get(name);
    if (!l) throw new Error(`no link ${name}`);
    return l;
  }

  /** Makes `addr` reachable at `node` over `link` (an interface address, or a proxied one). */
  attach(node: NetworkNode, link: string, addr: Ip): void {
    this.link(link);
    this.routes.set(canonicalIp(addr), { node, link });
  }

  detach(addr: Ip): void {
    this.routes.delete(canonicalIp(addr));
  }

  ownerOf(addr: Ip): { node: string; link: string } | undefined {
    const a = this.routes.get(canonicalIp(addr));
    return a ? { node: a.node.name, link: a.link } : undefined;
  }

  /** Calls `fn` for every packet put on the network (for captures and byte counts). */
  tap(fn: (r: PacketRecord) => void): () => void {
    this.taps.push(fn);
    return () => {
      const i = this.taps.indexOf(fn);
      if (i >= 0) this.taps.splice(i, 1);
    };
  }

  /** Drops the next packets matching `match`, `count` times (for lost-message scenarios). */
  dropNext(match: (bytes: Uint8Array) => boolean, count = 1): void {
    let left = count;
    const rule = (bytes: Uint8Array) => {
      if (left > 0 && match(bytes)) {
        left--;
        if (left === 0) this.dropRules.splice(this.dropRules.indexOf(rule), 1);
        return true;
      }
      return false;
    };
    this.dropRules.push(rule);
  }

  counter(link: string): LinkCounters {
    return this.counters.get(link) ?? { packets: 0, bytes: 0, lost: 0 };
  }

  /** Packets scheduled for delivery and not yet delivered. */
  get pendingPackets(): number {
    return this.inFlight;
  }

  /** Sends an IP packet from `from`, whose source address must be attached to it. */
  transmit(from: NetworkNode, bytes: Uint8Array): void {
    const src = packetSource(bytes);
    const dst = packetDestination(bytes);
    const srcAt = src === undefined ? undefined : this.routes.get(src);
    if (!srcAt || srcAt.node !== from || dst === undefined) {
      // A host sending from an address it no longer has: the packet never leaves.
      this.noRoute++;
      return;
    }
    const dstAt = this.routes.get(dst);
    const record: PacketRecord = {
      timeMs: this.clock.now(),
      bytes,
      from: from.name,
      srcLink: srcAt.link,
      dstLink: dstAt?.link,
    };
    this.count(srcAt.link, bytes.length);
    if (dstAt && dstAt.link !== srcAt.link) this.count(dstAt.link, bytes.length);
    for (const t of this.taps) t(record);
    if (this.dropRules.some((r) => r(bytes))) {
      this.counter(srcAt.link).lost++;
      return;
    }
    const copies = this.rng.chance(this.link(srcAt.link).duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.schedule(srcAt.link, dst, bytes);
  }

  private count(link: string, n: number): void {
    const c = this.counters.get(link);
    if (c) {
      c.packets++;
      c.bytes += n;
    }
  }

  private schedule(srcLink: string, dst: Ip, bytes: Uint8Array): void {
    const a = this.link(srcLink);
    if (this.rng.chance(a.loss ?? 0)) {
      this.counter(srcLink).lost++;
      return;
    }
    const planned = this.routes.get(dst);
    const b = planned ? this.link(planned.link) : undefined;
    let delay =
      a.delayMs + this.rng.jitter(a.jitterMs ?? 0) + (b ? b.delayMs + this.rng.jitter(b.jitterMs ?? 0) : 0);
    if (this.rng.chance(a.reorder ?? 0)) delay += a.delayMs;
    if (b && b.name !== a.name && this.rng.chance(b.loss ?? 0)) {
      this.counter(b.name).lost++;
      return;
    }
    this.inFlight++;
    this.clock.setTimeout(
      () => {
        this.inFlight--;
        // The destination is looked up again on arrival: a node that left the link meanwhile misses it.
        const at = this.routes.get(dst);
        if (!at) {
          this.noRoute++;
          return;
        }
        at.node.deliver(bytes, at.link);
      },
      Math.max(0, delay),
    );
  }
}
