/**
 * The SPD lookup index. Linux and RFC 4301 give first-match semantics over an ordered list (lowest priority
 * value first, then insertion order); a linear scan is exact but takes a million steps at a million
 * policies. This index keeps the same answer with a tuple-space search: policies are grouped by their
 * (source family/prefix length, destination family/prefix length) pair, and each group is a hash from the
 * masked addresses to a bucket ordered like the SPD. Host-to-host selectors (the common case: one per
 * binding) land in the /128-/128 group, an exact-match hash; wider selectors get a group per prefix pair.
 * A lookup probes one bucket per group and scans that bucket in order for protocol, ports and MH type,
 * then keeps the best-ranked hit. A full-length prefix is keyed by the address text itself (core's `Ip` is
 * canonical, so equal addresses are equal strings); shorter ones by the masked hex of the address. Groups are few (one per distinct prefix-length pair), so the cost does
 * not grow with the number of policies.
 */
import { ipFamily, ipToBytes, type PacketKey, PROTO_ANY, type Selector } from '@mip6sec/core';

/** What the index needs of a policy: its selector and its rank (priority, then insertion sequence). */
export interface IndexedPolicy {
  readonly selector: Selector;
  readonly priority: number;
  readonly seq: number;
}

/** SPD order: lower priority value first, then earlier insertion. */
export function comparePolicies(a: IndexedPolicy, b: IndexedPolicy): number {
  return a.priority - b.priority || a.seq - b.seq;
}

/** The reference answer: the first policy in SPD order whose selector matches. */
export function linearLookup<P extends IndexedPolicy>(
  policies: Iterable<P>,
  key: PacketKey,
  matches: (s: Selector, k: PacketKey) => boolean,
): P | undefined {
  let best: P | undefined;
  for (const p of policies) {
    if (matches(p.selector, key) && (best === undefined || comparePolicies(p, best) < 0)) best = p;
  }
  return best;
}

const HEX = '0123456789abcdef';
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

// Packets repeat their addresses, so their hex forms are kept for a while (bounded, cleared when full).
const HEX_CACHE_MAX = 8192;
const hexCache = new Map<string, string>();

/** Address as lower-case hex of its bytes (8 or 32 digits), the form prefixes are masked in. */
export function addressHex(ip: string): string {
  const hit = hexCache.get(ip);
  if (hit !== undefined) return hit;
  const b = ipToBytes(ip);
  const parts: string[] = new Array(b.length);
  for (let i = 0; i < b.length; i++) parts[i] = BYTE_HEX[b[i]!]!;
  const hex = parts.join('');
  if (hexCache.size >= HEX_CACHE_MAX) hexCache.clear();
  hexCache.set(ip, hex);
  return hex;
}

/** The first `len` bits of an address in hex: whole digits, then the masked partial digit. */
function maskHex(hex: string, len: number): string {
  const whole = len >> 2;
  const rest = len & 3;
  if (rest === 0) return hex.slice(0, whole);
  const digit = Number.parseInt(hex[whole]!, 16) & ((0xf << (4 - rest)) & 0xf);
  return hex.slice(0, whole) + HEX[digit]!;
}

/** Protocol, ports and MH type: everything of RFC 4301 first match except the addresses. */
function restMatches(s: Selector, k: PacketKey): boolean {
  if (s.proto !== PROTO_ANY && s.proto !== k.proto) return false;
  if (s.srcPort !== 0 && s.srcPort !== (k.srcPort ?? 0)) return false;
  if (s.dstPort !== 0 && s.dstPort !== (k.dstPort ?? 0)) return false;
  if (s.mhType !== undefined && s.mhType !== k.mhType) return false;
  return true;
}

interface Group<P> {
  readonly srcFamily: 4 | 6;
  readonly srcLen: number;
  readonly dstFamily: 4 | 6;
  readonly dstLen: number;
  // Source key, then destination key, to a bucket. Two levels instead of one concatenated key: a lookup
  // then hashes the packet's own address strings (their hashes are cached) and allocates nothing. A
  // bucket holding one policy (the usual case) is the policy itself, not a one-element array.
  readonly buckets: Map<string, Map<string, P | P[]>>;
  size: number;
}

export class SpdIndex<P extends IndexedPolicy> {
  private readonly groups = new Map<string, Group<P>>();
  // Groups as an array for the lookup loop; rebuilt when a group appears or empties.
  private groupList: Group<P>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Number of prefix-length groups (what a lookup costs, in hash probes). */
  get groupCount(): number {
    return this.groupList.length;
  }

  add(p: P): void {
    const g = this.groupFor(p.selector, true)!;
    const sk = prefixKey(p.selector.src.addr, p.selector.src.len);
    const dk = prefixKey(p.selector.dst.addr, p.selector.dst.len);
    let inner = g.buckets.get(sk);
    if (!inner) {
      inner = new Map();
      g.buckets.set(sk, inner);
    }
    const cur = inner.get(dk);
    if (cur === undefined) inner.set(dk, p);
    else {
      const bucket = Array.isArray(cur) ? cur : [cur];
      // Binary search for the insertion point keeps the bucket in SPD order.
      let lo = 0;
      let hi = bucket.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (comparePolicies(bucket[mid]!, p) <= 0) lo = mid + 1;
        else hi = mid;
      }
      bucket.splice(lo, 0, p);
      if (bucket !== cur) inner.set(dk, bucket);
    }
    g.size++;
    this.count++;
  }

  remove(p: P): boolean {
    const g = this.groupFor(p.selector, false);
    if (!g) return false;
    const sk = prefixKey(p.selector.src.addr, p.selector.src.len);
    const dk = prefixKey(p.selector.dst.addr, p.selector.dst.len);
    const inner = g.buckets.get(sk);
    const cur = inner?.get(dk);
    if (!inner || cur === undefined) return false;
    if (Array.isArray(cur)) {
      const at = cur.indexOf(p);
      if (at < 0) return false;
      cur.splice(at, 1);
      if (cur.length === 1) inner.set(dk, cur[0]!);
    } else {
      if (cur !== p) return false;
      inner.delete(dk);
      if (inner.size === 0) g.buckets.delete(sk);
    }
    g.size--;
    this.count--;
    if (g.size === 0) {
      this.groups.delete(groupKey(p.selector));
      this.groupList = [...this.groups.values()];
    }
    return true;
  }

  clear(): void {
    this.groups.clear();
    this.groupList = [];
    this.count = 0;
  }

  /** The first policy in SPD order whose selector matches the packet; same answer as {@link linearLookup}. */
  lookup(k: PacketKey): P | undefined {
    if (this.count === 0) return undefined;
    const sf = ipFamily(k.src);
    const df = ipFamily(k.dst);
    const sFull = sf === 4 ? 32 : 128;
    const dFull = df === 4 ? 32 : 128;
    // Hex forms only when some group has a partial prefix; host groups key by the text itself.
    let sh = '';
    let dh = '';
    let best: P | undefined;
    for (const g of this.groupList) {
      if (g.srcFamily !== sf || g.dstFamily !== df) continue;
      if (g.srcLen !== sFull && sh === '') sh = addressHex(k.src);
      if (g.dstLen !== dFull && dh === '') dh = addressHex(k.dst);
      const inner = g.buckets.get(g.srcLen === sFull ? k.src : maskHex(sh, g.srcLen));
      const cur = inner?.get(g.dstLen === dFull ? k.dst : maskHex(dh, g.dstLen));
      if (cur === undefined) continue;
      if (!Array.isArray(cur)) {
        if ((best === undefined || comparePolicies(cur, best) < 0) && restMatches(cur.selector, k))
          best = cur;
        continue;
      }
      for (const p of cur) {
        if (best !== undefined && comparePolicies(p, best) >= 0) break;
        if (restMatches(p.selector, k)) {
          best = p;
          break;
        }
      }
    }
    return best;
  }

  private groupFor(s: Selector, create: boolean): Group<P> | undefined {
    const key = groupKey(s);
    let g = this.groups.get(key);
    if (!g && create) {
      g = {
        srcFamily: ipFamily(s.src.addr),
        srcLen: s.src.len,
        dstFamily: ipFamily(s.dst.addr),
        dstLen: s.dst.len,
        buckets: new Map(),
        size: 0,
      };
      this.groups.set(key, g);
      this.groupList = [...this.groups.values()];
    }
    return g;
  }
}

function groupKey(s: Selector): string {
  return `${ipFamily(s.src.addr)}/${s.src.len}|${ipFamily(s.dst.addr)}/${s.dst.len}`;
}

function prefixKey(addr: string, len: number): string {
  return len === (ipFamily(addr) === 4 ? 32 : 128) ? addr : maskHex(addressHex(addr), len);
}
