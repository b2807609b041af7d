/**
 * @module
 * SADB_X_EXT_FILTER, `struct sadb_x_filter` (Linux 3.x+): the address filter of an SADB_DUMP request, two
 * 16-byte xfrm_address_t (an IPv4 address uses the first 4 bytes), a family (host order) and two prefix
 * lengths. Fixed 40 bytes.
 */

import { SADB_X_EXT_FILTER } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { FilterExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, checkU8, checkU16 } from './wire.js';

const L = LAYOUT.sadb_x_filter;
const SADDR = L.fields.sadb_x_filter_saddr.offset;
const DADDR = L.fields.sadb_x_filter_daddr.offset;
const FAMILY = L.fields.sadb_x_filter_family.offset;
const SPLEN = L.fields.sadb_x_filter_splen.offset;
const DPLEN = L.fields.sadb_x_filter_dplen.offset;

export const filterCodec: ExtCodec<FilterExt> = {
  decode(c, off, len) {
    exactLength(len, L.size, off, 'sadb_x_filter');
    const b = c.bytes;
    return {
      type: SADB_X_EXT_FILTER,
      family: c.dv.getUint16(off + FAMILY, true),
      saddr: b.subarray(off + SADDR, off + SADDR + 16),
      daddr: b.subarray(off + DADDR, off + DADDR + 16),
      splen: b[off + SPLEN] as number,
      dplen: b[off + DPLEN] as number,
    };
  },
  size(e, off) {
    checkU16(e.family, off + FAMILY, 'sadb_x_filter_family');
    checkBytes(e.saddr, off + SADDR, 'sadb_x_filter_saddr');
    checkBytes(e.daddr, off + DADDR, 'sadb_x_filter_daddr');
    if (e.saddr.length !== 16)
      invalid(off + SADDR, `sadb_x_filter_saddr must be 16 bytes, got ${e.saddr.length}`);
    if (e.daddr.length !== 16)
      invalid(off + DADDR, `sadb_x_filter_daddr must be 16 bytes, got ${e.daddr.length}`);
    checkU8(e.splen, off + SPLEN, 'sadb_x_filter_splen');
    checkU8(e.dplen, off + DPLEN, 'sadb_x_filter_dplen');
    return L.size;
  },
  write(c, off, e) {
    c.bytes.set(e.saddr, off + SADDR);
    c.bytes.set(e.daddr, off + DADDR);
    c.dv.setUint16(off + FAMILY, e.family, true);
    c.bytes[off + SPLEN] = e.splen;
    c.bytes[off + DPLEN] = e.dplen;
  },
};
