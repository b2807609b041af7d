/**
 * @module
 * SADB_EXT_LIFETIME_{CURRENT,HARD,SOFT}, `struct sadb_lifetime` (RFC 2367 §2.3.2): packet count (u32) and
 * byte count, add time and use time (u64), all host order. Fixed 32 bytes.
 */

import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { LifetimeExt } from './model.js';
import { checkU32, checkU64 } from './wire.js';

const L = LAYOUT.sadb_lifetime;
const ALLOCATIONS = L.fields.sadb_lifetime_allocations.offset;
const BYTES = L.fields.sadb_lifetime_bytes.offset;
const ADDTIME = L.fields.sadb_lifetime_addtime.offset;
const USETIME = L.fields.sadb_lifetime_usetime.offset;

export const lifetimeCodec: ExtCodec<LifetimeExt> = {
  decode(c, off, len, type) {
    exactLength(len, L.size, off, 'sadb_lifetime');
    const dv = c.dv;
    return {
      type: type as LifetimeExt['type'],
      allocations: dv.getUint32(off + ALLOCATIONS, true),
      bytes: dv.getBigUint64(off + BYTES, true),
      addtime: dv.getBigUint64(off + ADDTIME, true),
      usetime: dv.getBigUint64(off + USETIME, true),
    };
  },
  size(e, off) {
    checkU32(e.allocations, off + ALLOCATIONS, 'sadb_lifetime_allocations');
    checkU64(e.bytes, off + BYTES, 'sadb_lifetime_bytes');
    checkU64(e.addtime, off + ADDTIME, 'sadb_lifetime_addtime');
    checkU64(e.usetime, off + USETIME, 'sadb_lifetime_usetime');
    return L.size;
  },
  write(c, off, e) {
    const dv = c.dv;
    dv.setUint32(off + ALLOCATIONS, e.allocations, true);
    dv.setBigUint64(off + BYTES, e.bytes, true);
    dv.setBigUint64(off + ADDTIME, e.addtime, true);
    dv.setBigUint64(off + USETIME, e.usetime, true);
  },
};
