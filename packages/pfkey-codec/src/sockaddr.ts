/**
 * @module
 * `struct sockaddr_in` / `struct sockaddr_in6` as PF_KEY embeds them (kernel-interfaces.md §1.7): family in
 * host order, port and address in network order, `sin_zero` zero. Single sockaddrs in address extensions
 * are padded to 8 bytes (16 / 32); pairs (ipsecrequest tunnel endpoints, KMADDRESS) sit back to back with
 * the second right after the first (32 / 56 bytes, af_key.c `pfkey_sockaddr_pair_size`).
 */

import { AF_INET, AF_INET6 } from './constants.js';
import { align8, LAYOUT } from './layout.js';
import type { Sockaddr } from './model.js';
import { invalid } from './pfkey-error.js';
import { type Cursor, checkU16, checkU32, requireZero } from './wire.js';

const IN = LAYOUT.sockaddr_in.fields;
const IN6 = LAYOUT.sockaddr_in6.fields;
const SIN_PORT = IN.sin_port.offset;
const SIN_ADDR = IN.sin_addr.offset;
const SIN_ZERO = IN.sin_zero.offset;
const SIN6_PORT = IN6.sin6_port.offset;
const SIN6_FLOWINFO = IN6.sin6_flowinfo.offset;
const SIN6_ADDR = IN6.sin6_addr.offset;
const SIN6_SCOPE_ID = IN6.sin6_scope_id.offset;

/** sizeof(sockaddr_in) / sizeof(sockaddr_in6) for AF_INET / AF_INET6, 0 for any other family. */
export function sockaddrLen(family: number): number {
  return family === AF_INET ? LAYOUT.sockaddr_in.size : family === AF_INET6 ? LAYOUT.sockaddr_in6.size : 0;
}

/** Bytes a pair of same-family sockaddrs takes (af_key.c pfkey_sockaddr_pair_size), 0 for other families. */
export function sockaddrPairSize(family: number): number {
  return align8(2 * sockaddrLen(family));
}

/** The address family at `off` (host order u16), EINVAL if fewer than 2 bytes remain before `end`. */
export function peekFamily(c: Cursor, off: number, end: number, what: string): number {
  if (end - off < 2) invalid(off, `${what}: no room for sa_family`);
  return c.dv.getUint16(off, true);
}

/**
 * Reads one sockaddr of AF_INET or AF_INET6 at `off` that must end by `end`. Addresses are views into the
 * buffer.
 */
export function readSockaddr(c: Cursor, off: number, end: number, what: string): Sockaddr {
  const family = peekFamily(c, off, end, what);
  const dv = c.dv;
  if (family === AF_INET) {
    if (end - off < LAYOUT.sockaddr_in.size)
      invalid(off, `${what}: sockaddr_in needs 16 bytes, ${end - off} left`);
    requireZero(c, off + SIN_ZERO, off + LAYOUT.sockaddr_in.size, `${what} sin_zero`);
    return {
      family: AF_INET,
      port: dv.getUint16(off + SIN_PORT, false),
      addr: c.bytes.subarray(off + SIN_ADDR, off + SIN_ADDR + 4),
    };
  }
  if (family === AF_INET6) {
    if (end - off < LAYOUT.sockaddr_in6.size) {
      invalid(off, `${what}: sockaddr_in6 needs 28 bytes, ${end - off} left`);
    }
    return {
      family: AF_INET6,
      port: dv.getUint16(off + SIN6_PORT, false),
      flowinfo: dv.getUint32(off + SIN6_FLOWINFO, false),
      addr: c.bytes.subarray(off + SIN6_ADDR, off + SIN6_ADDR + 16),
      scopeId: dv.getUint32(off + SIN6_SCOPE_ID, true),
    };
  }
  return invalid(off, `${what}: address family ${family} is neither AF_INET (2) nor AF_INET6 (10)`);
}

/**
 * Reads a source/destination pair filling exactly [off, end) (af_key.c parse_sockaddr_pair, plus this codec's
 * canonical-length rule: no bytes beyond the pair).
 */
export function readSockaddrPair(c: Cursor, off: number, end: number, what: string): [Sockaddr, Sockaddr] {
  const family = peekFamily(c, off, end, what);
  const len = sockaddrLen(family);
  if (len === 0) invalid(off, `${what}: address family ${family} is neither AF_INET (2) nor AF_INET6 (10)`);
  const pair = sockaddrPairSize(family);
  if (end - off !== pair) {
    invalid(
      off,
      `${what}: a ${family === AF_INET ? 'AF_INET' : 'AF_INET6'} sockaddr pair takes ${pair} bytes, not ${end - off}`,
    );
  }
  const secondFamily = peekFamily(c, off + len, end, what);
  if (secondFamily !== family)
    invalid(off + len, `${what}: second sockaddr has family ${secondFamily}, first has ${family}`);
  return [readSockaddr(c, off, off + len, what), readSockaddr(c, off + len, end, what)];
}

function isU(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/**
 * Validates a model sockaddr before it is written at `off`; returns its unpadded size (16 or 28). Reasons
 * are only built on failure: this runs for every sockaddr of every encode.
 */
export function checkSockaddr(sa: Sockaddr, off: number, what: string): number {
  if (sa === null || typeof sa !== 'object') return invalid(off, `${what} must be a sockaddr object`);
  const len = sockaddrLen(sa.family);
  if (len === 0)
    invalid(off, `${what}: family must be AF_INET (2) or AF_INET6 (10), got ${String(sa.family)}`);
  if (!(sa.addr instanceof Uint8Array)) invalid(off, `${what} address must be a Uint8Array`);
  const want = sa.family === AF_INET ? 4 : 16;
  if (sa.addr.length !== want)
    invalid(off, `${what}: address has ${sa.addr.length} bytes, family needs ${want}`);
  if (!isU(sa.port, 0xffff)) checkU16(sa.port, off + 2, `${what} port`);
  if (sa.family === AF_INET6) {
    if (sa.flowinfo !== undefined && !isU(sa.flowinfo, 0xffffffff)) {
      checkU32(sa.flowinfo, off + SIN6_FLOWINFO, `${what} sin6_flowinfo`);
    }
    if (sa.scopeId !== undefined && !isU(sa.scopeId, 0xffffffff)) {
      checkU32(sa.scopeId, off + SIN6_SCOPE_ID, `${what} sin6_scope_id`);
    }
  }
  return len;
}

/** Writes a checked sockaddr at `off` (the output buffer is zero-filled, so padding stays zero). */
export function writeSockaddr(c: Cursor, off: number, sa: Sockaddr): void {
  const dv = c.dv;
  dv.setUint16(off, sa.family, true);
  if (sa.family === AF_INET) {
    dv.setUint16(off + SIN_PORT, sa.port, false);
    c.bytes.set(sa.addr, off + SIN_ADDR);
  } else {
    dv.setUint16(off + SIN6_PORT, sa.port, false);
    dv.setUint32(off + SIN6_FLOWINFO, sa.flowinfo ?? 0, false);
    c.bytes.set(sa.addr, off + SIN6_ADDR);
    dv.setUint32(off + SIN6_SCOPE_ID, sa.scopeId ?? 0, true);
  }
}
