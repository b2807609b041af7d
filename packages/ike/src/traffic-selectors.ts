/**
 * Traffic selectors (RFC 7296 section 2.9, 3.13.1) as address and port ranges: conversion from
 * and to the SPD's prefix selectors, strongSwan-style text (`2001:db8::/64[135/0]`, `dynamic[tcp/80]`),
 * intersection for narrowing, and subset checks for a narrowed answer.
 *
 * The Mobility Header type is not expressed in traffic selectors (as in strongSwan's MIPv6 recipe,
 * which uses `135/0`): a CHILD_SA for MH covers every MH type, and the SPD picks which ones use it.
 */
import {
  type Family,
  type Ip,
  ipFamily,
  ipFromBytes,
  ipToBytes,
  isIp,
  PROTO_ANY,
  type Prefix,
  parsePrefix,
  type Selector,
} from '@mip6sec/core';
import { IkeError } from './errors.js';
import type { AddressRangeSelector, TrafficSelector } from './payloads/types.js';

/** One traffic selector as numbers. `proto` 0 means any protocol, as on the wire. */
export interface TsRange {
  readonly family: Family;
  readonly proto: number;
  readonly startPort: number;
  readonly endPort: number;
  readonly start: bigint;
  readonly end: bigint;
}

/** A configured selector: a range, or the IKE/assigned address of one side (`dynamic`). */
export type TsSpec =
  | TsRange
  | { readonly dynamic: true; readonly proto: number; readonly startPort: number; readonly endPort: number };

const bits = (f: Family) => (f === 4 ? 32 : 128);

/** Addresses as numbers, by text: a responder converts the same few addresses for every request. */
const BIGINTS_MAX = 65_536;
const bigints = new Map<Ip, bigint>();

export function ipToBigint(ip: Ip): bigint {
  const hit = bigints.get(ip);
  if (hit !== undefined) return hit;
  let hex = '0x';
  for (const b of ipToBytes(ip)) hex += b.toString(16).padStart(2, '0');
  const v = BigInt(hex);
  if (bigints.size >= BIGINTS_MAX) bigints.delete(bigints.keys().next().value as Ip);
  bigints.set(ip, v);
  return v;
}

/** The reverse, by number and family, for the same reason. */
const ips: Record<Family, Map<bigint, Ip>> = { 4: new Map(), 6: new Map() };

export function bigintToIp(v: bigint, family: Family): Ip {
  const cache = ips[family];
  const hit = cache?.get(v);
  if (hit !== undefined) return hit;
  const ip = computeIp(v, family);
  if (cache) {
    if (cache.size >= BIGINTS_MAX) cache.delete(cache.keys().next().value as bigint);
    cache.set(v, ip);
  }
  return ip;
}

function computeIp(v: bigint, family: Family): Ip {
  const n = family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return ipFromBytes(out, 0, family);
}

export function prefixRange(p: Prefix): { family: Family; start: bigint; end: bigint } {
  const family = ipFamily(p.addr);
  const total = bits(family);
  const hostBits = BigInt(total - p.len);
  const mask = ((1n << BigInt(total)) - 1n) ^ ((1n << hostBits) - 1n);
  const start = ipToBigint(p.addr) & mask;
  return { family, start, end: start | ((1n << hostBits) - 1n) };
}

/** A range covering exactly one host. */
export function hostRange(ip: Ip, proto = 0, startPort = 0, endPort = 0xffff): TsRange {
  const v = ipToBigint(ip);
  return { family: ipFamily(ip), proto, startPort, endPort, start: v, end: v };
}

/** The whole address space of a family. */
export function anyRange(family: Family, proto = 0, startPort = 0, endPort = 0xffff): TsRange {
  return { family, proto, startPort, endPort, start: 0n, end: (1n << BigInt(bits(family))) - 1n };
}

/** Both sides of a selector, computed once per selector object (policies keep theirs for life). */
const selectorRanges = new WeakMap<Selector, { src?: TsRange; dst?: TsRange }>();

/** One side of an SPD selector as a range (`side` picks the source or the destination half). */
export function rangeFromSelector(s: Selector, side: 'src' | 'dst'): TsRange {
  let cached = selectorRanges.get(s);
  if (!cached) {
    cached = {};
    selectorRanges.set(s, cached);
  }
  let range = cached[side];
  if (!range) {
    range = computeRange(s, side);
    cached[side] = range;
  }
  return range;
}

function computeRange(s: Selector, side: 'src' | 'dst'): TsRange {
  const { family, start, end } = prefixRange(side === 'src' ? s.src : s.dst);
  const port = side === 'src' ? s.srcPort : s.dstPort;
  const proto = s.proto === PROTO_ANY ? 0 : s.proto;
  return { family, proto, startPort: port === 0 ? 0 : port, endPort: port === 0 ? 0xffff : port, start, end };
}

/** HOST_MASKS[h] = 2^h - 1: the host part of a prefix with h host bits (made once; BigInt math allocates). */
const HOST_MASKS: readonly bigint[] = Array.from({ length: 129 }, (_, h) => (1n << BigInt(h)) - 1n);

/** The largest prefix inside which the range's start lies and that the range covers, or the covering prefix. */
export function rangeToPrefix(r: TsRange): Prefix {
  const total = bits(r.family);
  let len = total;
  // Shortest prefix of `start` that still lies inside [start, end]; if the range is not a CIDR block
  // this is the block starting at `start`, a subset of the range. A prefix of length l has
  // total - l host bits, which must be zero in `start` and all within the range.
  for (let l = 0; l <= total; l++) {
    const host = HOST_MASKS[total - l]!;
    if ((r.start & host) === 0n && (r.start | host) <= r.end) {
      len = l;
      break;
    }
  }
  return { addr: bigintToIp(r.start, r.family), len };
}

/** True when the range is exactly one CIDR block. */
export function isPrefixRange(r: TsRange): boolean {
  const p = rangeFromPrefixOf(r);
  return p.start === r.start && p.end === r.end;
}

function rangeFromPrefixOf(r: TsRange): { start: bigint; end: bigint } {
  return prefixRange(rangeToPrefix(r));
}

/** The SPD selector for traffic from `local` to `remote` (ports kept only when single). */
export function selectorFromRanges(local: TsRange, remote: TsRange): Selector {
  const port = (r: TsRange) => (r.startPort === r.endPort ? r.startPort : 0);
  return {
    src: rangeToPrefix(local),
    dst: rangeToPrefix(remote),
    proto: local.proto === 0 ? (remote.proto === 0 ? PROTO_ANY : remote.proto) : local.proto,
    srcPort: port(local),
    dstPort: port(remote),
  };
}

export function toPayloadSelector(r: TsRange): AddressRangeSelector {
  return {
    tsType: r.family === 4 ? 7 : 8,
    ipProto: r.proto,
    startPort: r.startPort,
    endPort: r.endPort,
    start: bigintToIp(r.start, r.family),
    end: bigintToIp(r.end, r.family),
  };
}

/** Address-range selectors of a payload as ranges; other selector types are skipped. */
export function fromPayloadSelectors(list: readonly TrafficSelector[]): TsRange[] {
  const out: TsRange[] = [];
  for (const s of list) {
    if ('data' in s) continue;
    const family: Family = s.tsType === 7 ? 4 : 6;
    out.push({
      family,
      proto: s.ipProto,
      startPort: s.startPort,
      endPort: s.endPort,
      start: ipToBigint(s.start),
      end: ipToBigint(s.end),
    });
  }
  return out;
}

// Math.max / Math.min do not take bigints.
function bigMax(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}

function bigMin(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

/** The overlap of two ranges, or undefined. Protocol 0 is a wildcard. */
export function intersect(a: TsRange, b: TsRange): TsRange | undefined {
  if (a.family !== b.family) return undefined;
  if (a.proto !== 0 && b.proto !== 0 && a.proto !== b.proto) return undefined;
  const start = bigMax(a.start, b.start);
  const end = bigMin(a.end, b.end);
  const startPort = Math.max(a.startPort, b.startPort);
  const endPort = Math.min(a.endPort, b.endPort);
  // OPAQUE ports (start 65535, end 0) intersect with nothing but the full range.
  if (start > end || startPort > endPort) return undefined;
  return { family: a.family, proto: a.proto || b.proto, startPort, endPort, start, end };
}

export function isSubset(inner: TsRange, outer: TsRange): boolean {
  const i = intersect(inner, outer);
  return (
    i !== undefined &&
    i.start === inner.start &&
    i.end === inner.end &&
    i.startPort === inner.startPort &&
    i.endPort === inner.endPort &&
    i.proto === inner.proto
  );
}

/** Every non-empty intersection of an offered list with an allowed list, without repeats. */
export function narrow(offered: readonly TsRange[], allowed: readonly TsRange[]): TsRange[] {
  const out: TsRange[] = [];
  for (const o of offered) {
    for (const a of allowed) {
      const i = intersect(o, a);
      if (i && !out.some((x) => rangeEquals(x, i))) out.push(i);
    }
  }
  return out;
}

export function rangeEquals(a: TsRange, b: TsRange): boolean {
  return (
    a.family === b.family &&
    a.proto === b.proto &&
    a.startPort === b.startPort &&
    a.endPort === b.endPort &&
    a.start === b.start &&
    a.end === b.end
  );
}

/** `dynamic` resolves to one host; other specs are already ranges. */
export function resolveSpec(spec: TsSpec, dynamicAddress: Ip): TsRange {
  if ('dynamic' in spec) return hostRange(dynamicAddress, spec.proto, spec.startPort, spec.endPort);
  return spec;
}

const PROTO_NAMES: Record<string, number> = {
  any: 0,
  tcp: 6,
  udp: 17,
  icmp: 1,
  icmpv6: 58,
  'ipv6-icmp': 58,
  mh: 135,
  ipv6mh: 135,
  esp: 50,
};

/**
 * strongSwan's selector text: `<prefix|address|dynamic|%any|%any6>[<proto>[/<port>|/<from>-<to>]]`.
 * Throws IkeError('EINVAL').
 */
export function parseTs(text: string): TsSpec {
  const m = /^([^[\]]+)(?:\[([^/\]]*)(?:\/([^\]]*))?\])?$/.exec(text.trim());
  if (!m) throw new IkeError('EINVAL', `bad traffic selector ${JSON.stringify(text)}`);
  const where = m[1]!.trim();
  const protoText = (m[2] ?? '').trim().toLowerCase();
  const portText = (m[3] ?? '').trim().toLowerCase();
  let proto = 0;
  if (protoText !== '' && protoText !== '%any') {
    if (Object.hasOwn(PROTO_NAMES, protoText)) proto = PROTO_NAMES[protoText]!;
    else if (/^\d{1,3}$/.test(protoText) && Number(protoText) <= 255) proto = Number(protoText);
    else throw new IkeError('EINVAL', `bad protocol in traffic selector ${JSON.stringify(text)}`);
  }
  let startPort = 0;
  let endPort = 0xffff;
  if (portText !== '' && portText !== '%any' && portText !== '0') {
    const pm = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(portText);
    const a = pm ? Number(pm[1]) : Number.NaN;
    const b = pm?.[2] !== undefined ? Number(pm[2]) : a;
    if (!pm || a > 0xffff || b > 0xffff || a > b)
      throw new IkeError('EINVAL', `bad port in traffic selector ${JSON.stringify(text)}`);
    startPort = a;
    endPort = b;
  }
  if (where === 'dynamic') return { dynamic: true, proto, startPort, endPort };
  if (where === '%any' || where === '0.0.0.0/0') return anyRange(4, proto, startPort, endPort);
  if (where === '%any6' || where === '::/0') return anyRange(6, proto, startPort, endPort);
  try {
    const p = isIp(where) ? { addr: where, len: ipFamily(where) === 4 ? 32 : 128 } : parsePrefix(where);
    const { family, start, end } = prefixRange(p);
    return { family, proto, startPort, endPort, start, end };
  } catch (e) {
    throw new IkeError('EINVAL', `bad address in traffic selector ${JSON.stringify(text)}`, { cause: e });
  }
}

/** Text of a range: `prefix[proto/port]` when it is a CIDR block, `start-end[...]` otherwise. */
export function formatTs(r: TsRange): string {
  const p = rangeToPrefix(r);
  const where = isPrefixRange(r)
    ? `${p.addr}/${p.len}`
    : `${bigintToIp(r.start, r.family)}-${bigintToIp(r.end, r.family)}`;
  const ports =
    r.startPort === 0 && r.endPort === 0xffff
      ? ''
      : r.startPort === r.endPort
        ? `/${r.startPort}`
        : `/${r.startPort}-${r.endPort}`;
  if (r.proto === 0 && ports === '') return where;
  return `${where}[${r.proto}${ports}]`;
}
