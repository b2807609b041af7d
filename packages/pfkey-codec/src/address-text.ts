/**
 * @module
 * Sockaddrs and prefixes from text, for the JSON form and the builders: `sockaddr('2001:db8::1', 500)`,
 * `prefix('2001:db8::/64')`. Families follow the text (dotted quad = AF_INET, anything with `:` = AF_INET6).
 */

import { AF_INET, AF_INET6 } from './constants.js';
import { inputError } from './input-error.js';
import { parseIp } from './ip-address.js';
import type { Sockaddr } from './model.js';

/** A sockaddr_in / sockaddr_in6 for an address in text. Throws PfkeyInputError. */
export function sockaddr(text: string, port = 0, path = 'address'): Sockaddr {
  if (typeof text !== 'string') inputError(path, `expected an address string, got ${typeof text}`);
  const addr = parseIp(text);
  if (!addr) inputError(path, `${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    inputError(path, `port ${port} is not in 0..65535`);
  return addr.length === 4
    ? { family: AF_INET, port, addr }
    : { family: AF_INET6, port, flowinfo: 0, addr, scopeId: 0 };
}

/** Address and prefix length from `addr` or `addr/len` (a bare address gets the full length). */
export function prefix(text: string, path = 'address'): { address: Sockaddr; prefixlen: number } {
  if (typeof text !== 'string') inputError(path, `expected an address string, got ${typeof text}`);
  const slash = text.indexOf('/');
  const address = sockaddr(slash < 0 ? text : text.slice(0, slash), 0, path);
  const full = address.family === AF_INET ? 32 : 128;
  if (slash < 0) return { address, prefixlen: full };
  const lenText = text.slice(slash + 1);
  const prefixlen = /^[0-9]{1,3}$/.test(lenText) ? Number(lenText) : Number.NaN;
  if (!(prefixlen <= full)) inputError(path, `prefix length ${JSON.stringify(lenText)} is not in 0..${full}`);
  return { address, prefixlen };
}
