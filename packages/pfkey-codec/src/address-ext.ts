/**
 * @module
 * SADB_EXT_ADDRESS_{SRC,DST,PROXY} and SADB_X_EXT_NAT_T_OA, `struct sadb_address` + one sockaddr padded to
 * 8 bytes (RFC 2367 §2.3.3). Linux (af_key.c verify_address_len) wants exactly 3 words for AF_INET with
 * prefixlen <= 32 and exactly 5 words for AF_INET6 with prefixlen <= 128, and refuses other families.
 */

import { AF_INET } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { align8, LAYOUT } from './layout.js';
import type { AddressExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkSockaddr, peekFamily, readSockaddr, sockaddrLen, writeSockaddr } from './sockaddr.js';
import { checkU8, requireZero } from './wire.js';

const L = LAYOUT.sadb_address;
const PROTO = L.fields.sadb_address_proto.offset;
const PREFIXLEN = L.fields.sadb_address_prefixlen.offset;
const RESERVED = L.fields.sadb_address_reserved.offset;
const SOCKADDR = L.size;

function maxPrefix(family: number): number {
  return family === AF_INET ? 32 : 128;
}

export const addressCodec: ExtCodec<AddressExt> = {
  decode(c, off, len, type) {
    const end = off + len;
    const family = peekFamily(c, off + SOCKADDR, end, 'sadb_address');
    const salen = sockaddrLen(family);
    if (salen === 0)
      invalid(
        off + SOCKADDR,
        `sadb_address: address family ${family} is neither AF_INET (2) nor AF_INET6 (10)`,
      );
    const want = SOCKADDR + align8(salen);
    if (len !== want) {
      invalid(
        off,
        `sadb_address_len is ${len / 8} words; family ${family} needs exactly ${want / 8} (af_key.c verify_address_len)`,
      );
    }
    const prefixlen = c.bytes[off + PREFIXLEN] as number;
    if (prefixlen > maxPrefix(family)) {
      invalid(
        off + PREFIXLEN,
        `sadb_address_prefixlen ${prefixlen} exceeds ${maxPrefix(family)} for family ${family}`,
      );
    }
    requireZero(c, off + RESERVED, off + SOCKADDR, 'sadb_address_reserved');
    const address = readSockaddr(c, off + SOCKADDR, end, 'sadb_address');
    requireZero(c, off + SOCKADDR + salen, end, 'sadb_address sockaddr padding');
    return { type: type as AddressExt['type'], proto: c.bytes[off + PROTO] as number, prefixlen, address };
  },
  size(e, off) {
    checkU8(e.proto, off + PROTO, 'sadb_address_proto');
    const salen = checkSockaddr(e.address, off + SOCKADDR, 'sadb_address');
    checkU8(e.prefixlen, off + PREFIXLEN, 'sadb_address_prefixlen');
    if (e.prefixlen > maxPrefix(e.address.family)) {
      invalid(
        off + PREFIXLEN,
        `sadb_address_prefixlen ${e.prefixlen} exceeds ${maxPrefix(e.address.family)} for family ${e.address.family}`,
      );
    }
    return SOCKADDR + align8(salen);
  },
  write(c, off, e) {
    c.bytes[off + PROTO] = e.proto;
    c.bytes[off + PREFIXLEN] = e.prefixlen;
    writeSockaddr(c, off + SOCKADDR, e.address);
  },
};
