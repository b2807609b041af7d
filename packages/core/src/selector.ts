/**
 * Traffic selectors as the SPD uses them (RFC 4301 4.4.1): source and destination prefixes,
 * upper-layer protocol, ports, and for the Mobility Header (protocol 135) the MH type, which
 * RFC 3776/4877 policies select on (BU/BA in transport mode, HoTI/HoT in the tunnel).
 */
import {
  canonicalIp,
  formatPrefix,
  type Ip,
  ipFamily,
  type Prefix,
  parsePrefix,
  prefixContains,
} from './address.js';

/** IPSEC_ULPROTO_ANY in linux/ipsec.h: the selector matches every upper-layer protocol. */
export const PROTO_ANY = 255;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
/** The Mobility Header's next-header value (RFC 6275 6.1.1). */
export const IPPROTO_MH = 135;

export interface Selector {
  readonly src: Prefix;
  readonly dst: Prefix;
  /** Upper-layer protocol number, or {@link PROTO_ANY}. */
  readonly proto: number;
  /** 0 means any port. */
  readonly srcPort: number;
  readonly dstPort: number;
  /** MH type when `proto` is 135; undefined means any MH type. */
  readonly mhType?: number;
}

/** What a packet offers to a selector lookup. */
export interface PacketKey {
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly mhType?: number;
}

export function selector(
  src: Prefix | string,
  dst: Prefix | string,
  opts: { proto?: number; srcPort?: number; dstPort?: number; mhType?: number } = {},
): Selector {
  // Canonical text, so two spellings of one selector compare (and key maps) equal.
  // Text may be an address (a host prefix) or `addr/len`.
  const norm = (p: Prefix | string): Prefix =>
    typeof p === 'string' ? parsePrefix(p) : { addr: canonicalIp(p.addr), len: p.len };
  const s: Selector = {
    src: norm(src),
    dst: norm(dst),
    proto: opts.proto ?? PROTO_ANY,
    srcPort: opts.srcPort ?? 0,
    dstPort: opts.dstPort ?? 0,
  };
  return opts.mhType === undefined ? s : { ...s, mhType: opts.mhType };
}

export function selectorFamily(s: Selector): 4 | 6 {
  return ipFamily(s.src.addr);
}

/** First-match semantics of RFC 4301: does this packet fall under the selector? */
export function selectorMatches(s: Selector, p: PacketKey): boolean {
  if (s.proto !== PROTO_ANY && s.proto !== p.proto) return false;
  if (!prefixContains(s.src, p.src) || !prefixContains(s.dst, p.dst)) return false;
  if (s.srcPort !== 0 && s.srcPort !== (p.srcPort ?? 0)) return false;
  if (s.dstPort !== 0 && s.dstPort !== (p.dstPort ?? 0)) return false;
  if (s.mhType !== undefined && s.mhType !== p.mhType) return false;
  return true;
}

export function selectorEquals(a: Selector, b: Selector): boolean {
  return selectorKey(a) === selectorKey(b);
}

/**
 * The keys made for a selector object, kept with it: the kernel image, IKE's SPD image and the
 * strategies key their maps by these texts for every policy a home agent holds, and one string
 * per selector (rather than one per map) is what keeps those maps small.
 */
const keysOf = new WeakMap<
  Selector,
  { readonly selector: string; in?: string; out?: string; fwd?: string }
>();

/** The key record of a selector object (selectors are immutable, so it never goes stale). */
export function selectorKeys(s: Selector): {
  readonly selector: string;
  in?: string;
  out?: string;
  fwd?: string;
} {
  let k = keysOf.get(s);
  if (!k) {
    const mh = s.mhType === undefined ? '' : ` mh ${s.mhType}`;
    k = {
      selector: `${formatPrefix(s.src)}[${s.srcPort}] -> ${formatPrefix(s.dst)}[${s.dstPort}] proto ${s.proto}${mh}`,
    };
    keysOf.set(s, k);
  }
  return k;
}

/** A stable text key, for maps and for messages. */
export function selectorKey(s: Selector): string {
  return selectorKeys(s).selector;
}
