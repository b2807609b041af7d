/**
 * IPv4 and IPv6 addresses as canonical text: dotted quad for IPv4 and RFC 5952 for IPv6, so that
 * two spellings of one address compare equal as strings and can key maps. Byte forms are for
 * codecs; models carry text.
 */
import { AddressError } from './errors.js';

/** An address in canonical text form (see {@link canonicalIp}). */
export type Ip = string;
export type Family = 4 | 6;

/** An address with its prefix length, e.g. `2001:db8::/64`. */
export interface Prefix {
  readonly addr: Ip;
  readonly len: number;
}

/** A transport endpoint. */
export interface Endpoint {
  readonly ip: Ip;
  readonly port: number;
}

export function ipFamily(ip: Ip): Family {
  return ip.includes(':') ? 6 : 4;
}

function parseV4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[at + i] = v;
  }
  return true;
}

/**
 * Parsed addresses by text, for {@link ipToBytes} and the comparisons below. Models carry
 * addresses as text, so the same few thousand strings are parsed again on every codec write and
 * prefix check; a bounded cache (oldest entry out first) keeps that to one parse per address.
 * Entries are never handed out: callers get copies, so nothing can change a cached value.
 */
const PARSED_MAX = 65_536;
const parsed = new Map<string, Uint8Array>();
const canonical = new Map<string, Ip>();

/** The cached bytes of `text` (shared: never modify or return them). */
function parsedBytes(text: string): Uint8Array {
  const hit = parsed.get(text);
  if (hit) return hit;
  const b = parseIp(text);
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
  parsed.set(text, b);
  return b;
}

/** Parses IPv4 or IPv6 text into 4 or 16 bytes; throws {@link AddressError} on anything else. */
export function ipToBytes(text: string): Uint8Array {
  return parsedBytes(text).slice();
}

function parseIp(text: string): Uint8Array {
  if (!text.includes(':')) {
    const out = new Uint8Array(4);
    if (!parseV4(text, out, 0)) throw new AddressError(`not an IPv4 address: ${JSON.stringify(text)}`);
    return out;
  }
  const out = new Uint8Array(16);
  const bad = () => new AddressError(`not an IPv6 address: ${JSON.stringify(text)}`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const parseGroups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  const words: number[] = [];
  let v4Tail: Uint8Array | undefined;
  const all = [...head, ...tail];
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    v4Tail = new Uint8Array(4);
    if (!parseV4(last, v4Tail, 0)) throw bad();
    if (tail.length > 0) tail.pop();
    else head.pop();
  }
  const toWord = (g: string): number => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    return Number.parseInt(g, 16);
  };
  const headW = head.map(toWord);
  const tailW = tail.map(toWord);
  const total = 8 - (v4Tail ? 2 : 0);
  if (halves.length === 1) {
    if (headW.length !== total) throw bad();
    words.push(...headW);
  } else {
    const zeros = total - headW.length - tailW.length;
    if (zeros < 1) throw bad();
    words.push(...headW, ...new Array<number>(zeros).fill(0), ...tailW);
  }
  for (let i = 0; i < words.length; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  if (v4Tail) out.set(v4Tail, 12);
  return out;
}

/** Formats 4 or 16 bytes (at `offset` in `bytes`) as canonical text. */
export function ipFromBytes(
  bytes: Uint8Array,
  offset = 0,
  family: Family = bytes.length - offset >= 16 ? 6 : 4,
): Ip {
  if (family === 4) {
    if (bytes.length - offset < 4) throw new AddressError('IPv4 address needs 4 bytes');
    return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  }
  if (bytes.length - offset < 16) throw new AddressError('IPv6 address needs 16 bytes');
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!);
  // RFC 5952 4.2: compress the longest run of two or more zero words, the first one on a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

/** Canonical text of an address given in any valid spelling. */
export function canonicalIp(text: string): Ip {
  const hit = canonical.get(text);
  if (hit !== undefined) return hit;
  const b = parsedBytes(text);
  const ip = ipFromBytes(b, 0, b.length === 4 ? 4 : 6);
  if (canonical.size >= PARSED_MAX) canonical.delete(canonical.keys().next().value as string);
  canonical.set(text, ip);
  return ip;
}

export function isIp(text: string): boolean {
  try {
    parsedBytes(text);
    return true;
  } catch {
    return false;
  }
}

/** The unspecified address of a family (`0.0.0.0` or `::`). */
export function anyAddress(family: Family): Ip {
  return family === 4 ? '0.0.0.0' : '::';
}

/** Parses `addr/len` (or a bare address, taken as a host prefix). */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addr = canonicalIp(slash < 0 ? text : text.slice(0, slash));
  const max = ipFamily(addr) === 4 ? 32 : 128;
  if (slash < 0) return { addr, len: max };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    throw new AddressError(`bad prefix length in ${JSON.stringify(text)}`);
  }
  return { addr, len: Number(lenText) };
}

export function formatPrefix(p: Prefix): string {
  return `${p.addr}/${p.len}`;
}

/** True when `ip` lies inside `prefix` (same family, first `len` bits equal). */
export function prefixContains(prefix: Prefix, ip: Ip): boolean {
  if (ipFamily(prefix.addr) !== ipFamily(ip)) return false;
  if (prefix.len === 0) return true;
  return bytesPrefixEqual(parsedBytes(prefix.addr), parsedBytes(ip), prefix.len);
}

/** Compares the first `bits` bits of two byte strings. */
export function bytesPrefixEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full]! ^ b[full]!) & mask) === 0;
}

/** Zeroes the host bits of a prefix, so `2001:db8::1/64` becomes `2001:db8::/64`. */
export function networkOf(p: Prefix): Prefix {
  const b = ipToBytes(p.addr);
  for (let bit = p.len; bit < b.length * 8; bit++) b[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { addr: ipFromBytes(b, 0, b.length === 4 ? 4 : 6), len: p.len };
}

export function hostPrefix(ip: Ip): Prefix {
  return { addr: ip, len: ipFamily(ip) === 4 ? 32 : 128 };
}

export function formatEndpoint(e: Endpoint): string {
  return ipFamily(e.ip) === 6 ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
