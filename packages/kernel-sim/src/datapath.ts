/**
 * The packet path of RFC 4301 section 5 on real bytes. Outbound (5.1): the SPD-out lookup, then for a
 * protect policy one SA per template (the first template innermost, a tunnel template's endpoints
 * becoming the addresses of the templates after it, as Linux resolves bundles), ESP in transport or tunnel
 * mode, optionally inside UDP (RFC 3948). A missing SA raises SADB_ACQUIRE once per template until the
 * larval entry goes away. Inbound (5.2): ESP (or ESP in UDP to an encapsulation port) is looked up by SPI,
 * destination and protocol, checked against the replay window, verified, decrypted and accounted; the
 * inner packet must fit the SA's selector and the inbound (or forward) policy, whose templates the SAs it
 * came through must satisfy. Plain packets are checked against the same policies (SPD-I, or SPD-S with
 * nothing to satisfy it: dropped).
 *
 * Mobile IPv6 (RFC 3776 section 4.4): lookups use the home address of a Home Address option in place of
 * the source and the home address of a type 2 Routing Header in place of the destination, so the
 * transport-mode SAs between MN and HA, made for the home address, serve packets sent from any care-of
 * address. Packets handed up keep the addresses as on the wire, with the option values beside them.
 *
 * The ESP path is kept lean, since it runs per packet: no key setup (esp.ts keeps per-SA crypto state),
 * one buffer per packet from the packet pool with room for the IP header, no objects spread or copied
 * on the way, SAD lookups without key text, and addresses named through a cache of their bytes.
 */
import {
  type CryptoProvider,
  type Direction,
  type InboundIpPacket,
  IPPROTO_UDP,
  type Ip,
  type IpsecRequest,
  ipFamily,
  type OutboundIpPacket,
  type PacketKey,
  type SaId,
  selectorMatches,
} from '@mip6sec/core';
import type { AcquireTable } from './acquire.js';
import { codeOf } from './errors.js';
import { ESP_DUMMY_NEXT_HEADER, ESP_HEADER_LEN, espOpen, espSeal } from './esp.js';
import {
  buildIpPacket,
  buildUdp,
  IPPROTO_ESP,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  type IpPacketSpec,
  MAX_IP_HEADER_LEN,
  packetKey,
  parseIpPacket,
  parseUdp,
  udpChecksumOk,
} from './ip-packet.js';
import type { Lifetimes } from './lifetimes.js';
import { packetBuffer } from './packet-pool.js';
import type { Sad, SaRecord } from './sad.js';
import type { PolicyRecord, Spd } from './spd.js';

export type OutputResult =
  | { readonly kind: 'send'; readonly bytes: Uint8Array }
  | { readonly kind: 'acquire' }
  | { readonly kind: 'discard'; readonly reason: string }
  | { readonly kind: 'bypass'; readonly bytes: Uint8Array };

export type InputResult =
  | { readonly kind: 'deliver'; readonly packet: InboundIpPacket }
  | { readonly kind: 'forward'; readonly bytes: Uint8Array }
  | { readonly kind: 'drop'; readonly reason: string; readonly code: string };

/** RFC 3948 section 2.1: the IKE NAT-T port, where ESP in UDP arrives. */
export const NAT_T_PORT = 4500;
/** RFC 7296 section 2: the IKE port. */
export const IKE_PORT = 500;
const MAX_NESTING = 6;

export interface DatapathHooks {
  /**
   * Asks the key managers for an SA for a template (SADB_ACQUIRE). Returns false when no key manager is
   * registered, in which case Linux creates no larval state and drops the packet.
   */
  acquire(policy: PolicyRecord, template: IpsecRequest, src: Ip, dst: Ip, key: PacketKey): boolean;
}

export interface DatapathDeps {
  readonly spd: Spd;
  readonly sad: Sad;
  readonly acquires: AcquireTable;
  readonly lifetimes: Lifetimes;
  readonly crypto: CryptoProvider;
  readonly hooks: DatapathHooks;
}

export interface DatapathStats {
  readonly sent: number;
  readonly bypassed: number;
  readonly acquires: number;
  readonly discarded: number;
  readonly delivered: number;
  readonly forwarded: number;
  /** Inbound drops, per reason. */
  readonly drops: Readonly<Record<string, number>>;
  /** Outbound discards, per reason. */
  readonly discards: Readonly<Record<string, number>>;
}

/**
 * A packet on its way down or up, as fields (bytes are made once at the end). Every layer has every field,
 * so the engine sees one object shape; it doubles as the IpPacketSpec of buildIpPacket.
 */
interface Layer {
  src: Ip;
  dst: Ip;
  proto: number;
  payload: Uint8Array;
  homeAddressOption: Ip | undefined;
  routingHeader2: Ip | undefined;
  /** Bytes free before `payload` in its buffer, ours to write the IP header into (see espSeal). */
  headroom: number;
}

function layer(
  src: Ip,
  dst: Ip,
  proto: number,
  payload: Uint8Array,
  homeAddressOption: Ip | undefined,
  routingHeader2: Ip | undefined,
  headroom: number,
): Layer {
  return { src, dst, proto, payload, homeAddressOption, routingHeader2, headroom };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

class Drop extends Error {
  readonly reason: string;
  readonly code: string;
  constructor(reason: string, code: string) {
    super(reason);
    this.reason = reason;
    this.code = code;
  }
}

function templateAcceptsSa(t: IpsecRequest, sa: SaRecord): boolean {
  if (t.proto !== sa.proto || t.mode !== sa.mode) return false;
  if (t.reqid !== 0 && t.reqid !== sa.reqid) return false;
  if (t.mode === 'tunnel' && (t.src !== sa.src || t.dst !== sa.dst)) return false;
  return true;
}

export class Datapath {
  private readonly d: DatapathDeps;
  private readonly local = new Set<Ip>();
  /** UDP destination ports where ESP-in-UDP is expected (an IKE daemon's encapsulation socket). */
  readonly encapPorts = new Set<number>([NAT_T_PORT]);
  /**
   * UDP destination ports whose plaintext packets skip the inbound policy check, as the per-socket bypass
   * policy of an IKE daemon's sockets makes them do on Linux (outbound, packets say `bypass` themselves).
   */
  readonly bypassUdpPorts = new Set<number>([IKE_PORT, NAT_T_PORT]);
  private counts = { sent: 0, bypassed: 0, acquires: 0, discarded: 0, delivered: 0, forwarded: 0 };
  private readonly dropCounts = new Map<string, number>();
  private readonly discardCounts = new Map<string, number>();
  private ipId = 0;

  constructor(deps: DatapathDeps) {
    this.d = deps;
  }

  /** The host's own addresses; packets for others are forwarded. With none set, every packet is local. */
  setLocalAddresses(addresses: readonly Ip[]): void {
    this.local.clear();
    for (const a of addresses) this.local.add(a);
  }

  addLocalAddress(a: Ip): void {
    this.local.add(a);
  }

  removeLocalAddress(a: Ip): void {
    this.local.delete(a);
  }

  isLocal(a: Ip): boolean {
    return this.local.size === 0 || this.local.has(a);
  }

  stats(): DatapathStats {
    return {
      ...this.counts,
      drops: Object.fromEntries(this.dropCounts),
      discards: Object.fromEntries(this.discardCounts),
    };
  }

  // ------------------------------------------------------------------ outbound

  output(p: OutboundIpPacket): OutputResult {
    try {
      return this.outputOrThrow(p);
    } catch (e) {
      const reason = e instanceof Drop ? e.reason : `malformed: ${(e as Error).message}`;
      return this.discard(reason);
    }
  }

  private outputOrThrow(p: OutboundIpPacket): OutputResult {
    const first = layer(p.src, p.dst, p.proto, p.payload, p.homeAddressOption, p.routingHeader2, 0);
    if (p.bypass) return this.bypass(first);
    const key = packetKey(p.homeAddressOption ?? p.src, p.routingHeader2 ?? p.dst, p.proto, p.payload);
    const policy = this.d.spd.lookup('out', key);
    if (policy?.action === 'discard') return this.discard('policy');
    if (!policy || policy.action === 'bypass' || policy.templates.length === 0) return this.bypass(first);

    // Resolve every template to an SA before changing anything (Linux xfrm_tmpl_resolve).
    const bundle: SaRecord[] = [];
    let local = key.src;
    let remote = key.dst;
    for (const t of policy.templates) {
      const src = t.mode === 'tunnel' ? t.src! : (t.src ?? local);
      const dst = t.mode === 'tunnel' ? t.dst! : (t.dst ?? remote);
      const sa =
        t.proto === 'ipcomp' ? undefined : this.d.sad.findOutbound(t.proto, t.mode, t.reqid, src, dst);
      if (!sa) {
        if (t.level === 'use') continue;
        if (t.proto === 'ipcomp') return this.discard('ipcomp-unsupported');
        const pending = this.d.acquires.find(t.proto, t.mode, t.reqid, src, dst);
        if (pending) return pending.failed ? this.discard('acquire-failed') : this.acquirePending();
        if (!this.d.hooks.acquire(policy, t, src, dst, key)) return this.discard('no-key-manager');
        return this.acquirePending();
      }
      bundle.push(sa);
      local = src;
      remote = dst;
    }
    if (bundle.length === 0) return this.bypass(first);

    let cur = first;
    for (const sa of bundle) cur = this.encapsulate(sa, cur);
    this.counts.sent++;
    return { kind: 'send', bytes: this.bytesOf(cur) };
  }

  private encapsulate(sa: SaRecord, cur: Layer): Layer {
    if (sa.proto !== 'esp') throw new Drop('ah-unsupported', 'EOPNOTSUPP');
    if (!this.d.lifetimes.admit(sa)) throw new Drop('sa-expired', 'EKEYEXPIRED');
    const seq = this.nextSeq(sa);
    let inner: Uint8Array;
    let nextHeader: number;
    let out: Layer;
    if (sa.mode === 'tunnel') {
      // The inner packet only lives until it is copied into the ESP buffer: a pool buffer will do.
      inner = this.bytesOf(cur, packetBuffer);
      nextHeader = ipFamily(cur.src) === 6 ? IPPROTO_IPV6 : IPPROTO_IPIP;
      out = layer(sa.src, sa.dst, IPPROTO_ESP, inner, undefined, undefined, 0);
    } else {
      inner = cur.payload;
      nextHeader = cur.proto;
      out = layer(cur.src, cur.dst, IPPROTO_ESP, inner, cur.homeAddressOption, cur.routingHeader2, 0);
    }
    // Room for the outer IP header in the ESP buffer, so the packet is never copied again.
    const esp = espSeal(this.d.crypto, sa, seq, nextHeader, inner, sa.encap ? 0 : MAX_IP_HEADER_LEN);
    this.d.lifetimes.count(sa, inner.length);
    if (sa.encap) {
      out.proto = 17;
      out.payload = buildUdp(out.src, out.dst, sa.encap.sport, sa.encap.dport, esp, false);
      return out;
    }
    out.payload = esp;
    out.headroom = MAX_IP_HEADER_LEN;
    return out;
  }

  // RFC 4303 3.3.3: the counter never cycles; at its end the packet is refused (Linux: EOVERFLOW).
  private nextSeq(sa: SaRecord): { hi: number; lo: number } {
    if (sa.oseqLo === 0xffffffff) {
      if (!sa.esn || sa.oseqHi === 0xffffffff) throw new Drop('seq-overflow', 'EOVERFLOW');
      sa.oseqHi++;
      sa.oseqLo = 0;
    } else sa.oseqLo++;
    return { hi: sa.oseqHi, lo: sa.oseqLo };
  }

  private bytesOf(l: Layer, alloc?: (length: number) => Uint8Array): Uint8Array {
    const spec: IpPacketSpec = ipFamily(l.src) === 4 ? { ...l, id: this.ipId++ & 0xffff } : l;
    return buildIpPacket(spec, l.headroom, alloc);
  }

  private bypass(l: Layer): OutputResult {
    this.counts.bypassed++;
    return { kind: 'bypass', bytes: this.bytesOf(l) };
  }

  private acquirePending(): OutputResult {
    this.counts.acquires++;
    return { kind: 'acquire' };
  }

  private discard(reason: string): OutputResult {
    this.counts.discarded++;
    this.discardCounts.set(reason, (this.discardCounts.get(reason) ?? 0) + 1);
    return { kind: 'discard', reason };
  }

  // ------------------------------------------------------------------ inbound

  input(bytes: Uint8Array): InputResult {
    try {
      return this.inputOrThrow(bytes);
    } catch (e) {
      const d = e instanceof Drop ? e : new Drop('malformed', codeOf(e));
      this.dropCounts.set(d.reason, (this.dropCounts.get(d.reason) ?? 0) + 1);
      return { kind: 'drop', reason: d.reason, code: d.code };
    }
  }

  private inputOrThrow(bytes: Uint8Array): InputResult {
    let pkt = parseIpPacket(bytes);
    const secpath: SaRecord[] = [];
    let cur = layer(pkt.src, pkt.dst, pkt.proto, pkt.payload, pkt.homeAddressOption, pkt.routingHeader2, 0);
    if (!this.isLocal(cur.routingHeader2 ?? cur.dst)) return this.forward(bytes, cur, secpath);

    for (let depth = 0; depth <= MAX_NESTING; depth++) {
      const esp = this.espOf(cur);
      if (!esp) break;
      if (depth === MAX_NESTING) throw new Drop('too-deep', 'ELOOP');
      // ESP found inside UDP is a view of the datagram's data, not the layer's payload itself.
      const { nextHeader, payload } = this.decapsulate(cur, esp, esp !== cur.payload, secpath);
      if (secpath[secpath.length - 1]!.mode === 'tunnel') {
        if (nextHeader !== IPPROTO_IPV6 && nextHeader !== IPPROTO_IPIP)
          throw new Drop('not-a-tunnel-packet', 'EINVAL');
        pkt = parseIpPacket(payload);
        cur = layer(pkt.src, pkt.dst, pkt.proto, pkt.payload, pkt.homeAddressOption, pkt.routingHeader2, 0);
        if (!this.isLocal(cur.routingHeader2 ?? cur.dst)) return this.forward(payload, cur, secpath);
      } else {
        cur.proto = nextHeader;
        cur.payload = payload;
      }
    }

    const key = this.keyOf(cur);
    for (const sa of secpath) {
      if (sa.selector && !selectorMatches(sa.selector, key)) throw new Drop('sa-selector', 'EPERM');
    }
    const ikeBypass =
      secpath.length === 0 && key.proto === IPPROTO_UDP && this.bypassUdpPorts.has(key.dstPort ?? -1);
    if (!ikeBypass) this.checkPolicy('in', key, secpath);
    this.counts.delivered++;
    const packet: Writable<InboundIpPacket> = {
      src: cur.src,
      dst: cur.dst,
      proto: cur.proto,
      payload: cur.payload,
    };
    if (cur.homeAddressOption !== undefined) packet.homeAddressOption = cur.homeAddressOption;
    if (cur.routingHeader2 !== undefined) packet.routingHeader2 = cur.routingHeader2;
    const inner = secpath[secpath.length - 1];
    if (inner)
      packet.sa = { src: inner.src, dst: inner.dst, spi: inner.spi, proto: inner.proto } satisfies SaId;
    return { kind: 'deliver', packet };
  }

  private forward(bytes: Uint8Array, layer: Layer, secpath: SaRecord[]): InputResult {
    this.checkPolicy('fwd', this.keyOf(layer), secpath);
    this.counts.forwarded++;
    return { kind: 'forward', bytes };
  }

  private keyOf(l: Layer): PacketKey {
    return packetKey(l.homeAddressOption ?? l.src, l.routingHeader2 ?? l.dst, l.proto, l.payload);
  }

  /** The ESP bytes of a layer: ESP itself, or ESP in UDP to an encapsulation port (RFC 3948 section 2.2). */
  private espOf(l: Layer): Uint8Array | undefined {
    if (l.proto === IPPROTO_ESP) return l.payload;
    if (l.proto !== 17 || l.payload.length < 8) return undefined;
    const dport = (l.payload[2]! << 8) | l.payload[3]!;
    if (!this.encapPorts.has(dport)) return undefined;
    const udp = parseUdp(l.payload);
    // RFC 3948 2.2/2.3: a NAT-keepalive is one 0xff byte; a zero non-ESP marker means IKE.
    if (udp.data.length === 1 && udp.data[0] === 0xff) throw new Drop('natt-keepalive', 'ENOMSG');
    if (udp.data.length < 8 || (udp.data[0]! | udp.data[1]! | udp.data[2]! | udp.data[3]!) === 0)
      return undefined;
    if (!udpChecksumOk(l.src, l.dst, l.payload)) throw new Drop('udp-checksum', 'EINVAL');
    return udp.data;
  }

  /** Verifies and decrypts one ESP layer; adds its SA to `secpath`. */
  private decapsulate(
    l: Layer,
    esp: Uint8Array,
    udp: boolean,
    secpath: SaRecord[],
  ): { readonly nextHeader: number; readonly payload: Uint8Array } {
    if (esp.length < ESP_HEADER_LEN) throw new Drop('malformed', 'EINVAL');
    const spi = ((esp[0]! << 24) | (esp[1]! << 16) | (esp[2]! << 8) | esp[3]!) >>> 0;
    const seq = ((esp[4]! << 24) | (esp[5]! << 16) | (esp[6]! << 8) | esp[7]!) >>> 0;
    const sa = this.d.sad.getInbound(l.routingHeader2 ?? l.dst, spi, 'esp');
    if (!sa) throw new Drop('no-sa', 'ESRCH');
    if (sa.state !== 'mature' && sa.state !== 'dying') throw new Drop('sa-state', 'ESRCH');
    if (!!sa.encap !== udp) throw new Drop('encap-mismatch', 'EINVAL');
    const verdict = sa.replay.check(seq);
    if (!verdict.ok) throw new Drop(verdict.reason, 'EINVAL');
    const opened = espOpen(this.d.crypto, sa, verdict, esp);
    if (!opened.ok) throw new Drop(opened.reason, opened.reason === 'bad-icv' ? 'EBADMSG' : 'EINVAL');
    if (!this.d.lifetimes.admit(sa)) throw new Drop('sa-expired', 'EKEYEXPIRED');
    sa.replay.accept(verdict.hi, verdict.lo);
    this.d.lifetimes.count(sa, opened.payload.length);
    if (opened.nextHeader === ESP_DUMMY_NEXT_HEADER) throw new Drop('dummy-packet', 'ENOMSG');
    secpath.push(sa);
    return opened;
  }

  /**
   * RFC 4301 5.2 step 4 / Linux __xfrm_policy_check: the matching policy must allow the packet, and the SAs
   * it came through must satisfy the policy's templates in order (optional ones may be missing), with no
   * tunnel SA left unexplained.
   */
  private checkPolicy(dir: Direction, key: PacketKey, secpath: readonly SaRecord[]): void {
    const policy = this.d.spd.lookup(dir, key);
    if (!policy) return;
    if (policy.action === 'discard') throw new Drop('policy', 'EPERM');
    // Templates run innermost first, the secpath outermost first: template order walks it backwards.
    // The secpath holds at most MAX_NESTING + 1 SAs, so a bit per SA marks the ones a template used.
    const n = secpath.length;
    let used = 0;
    if (policy.action === 'protect') {
      let j = 0;
      for (const t of policy.templates) {
        let k = j;
        while (k < n && !templateAcceptsSa(t, secpath[n - 1 - k]!)) k++;
        if (k < n) {
          used |= 1 << (n - 1 - k);
          j = k + 1;
        } else if (t.level !== 'use') {
          throw new Drop(n === 0 ? 'policy-unprotected' : 'policy-mismatch', 'EPERM');
        }
      }
    }
    for (let i = 0; i < n; i++)
      if (secpath[i]!.mode === 'tunnel' && (used & (1 << i)) === 0)
        throw new Drop('policy-mismatch', 'EPERM');
  }
}
