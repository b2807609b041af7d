/**
 * @module
 * SADB_EXT_SPIRANGE, `struct sadb_spirange` (RFC 2367 §2.3.9): the SPI range for SADB_GETSPI. Unlike
 * `sadb_sa_spi`, Linux reads these bounds in host order (af_key.c pfkey_getspi). Fixed 16 bytes.
 */

import { SADB_EXT_SPIRANGE } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { SpirangeExt } from './model.js';
import { checkU32, requireZero } from './wire.js';

const L = LAYOUT.sadb_spirange;
const MIN = L.fields.sadb_spirange_min.offset;
const MAX = L.fields.sadb_spirange_max.offset;
const RESERVED = L.fields.sadb_spirange_reserved.offset;

export const spirangeCodec: ExtCodec<SpirangeExt> = {
  decode(c, off, len) {
    exactLength(len, L.size, off, 'sadb_spirange');
    requireZero(c, off + RESERVED, off + L.size, 'sadb_spirange_reserved');
    return {
      type: SADB_EXT_SPIRANGE,
      min: c.dv.getUint32(off + MIN, true),
      max: c.dv.getUint32(off + MAX, true),
    };
  },
  size(e, off) {
    checkU32(e.min, off + MIN, 'sadb_spirange_min');
    checkU32(e.max, off + MAX, 'sadb_spirange_max');
    return L.size;
  },
  write(c, off, e) {
    c.dv.setUint32(off + MIN, e.min, true);
    c.dv.setUint32(off + MAX, e.max, true);
  },
};
