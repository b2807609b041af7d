/**
 * @module
 * SADB_EXT_IDENTITY_{SRC,DST}, `struct sadb_ident` + identity (RFC 2367 §2.3.5): type, a u64 id and, after
 * the 16-byte header, a NUL-terminated string padded to 8 bytes. Linux never reads identities, so the bytes
 * after the header are kept as they are.
 */

import type { ExtCodec } from './ext-codec.js';
import { align8, LAYOUT } from './layout.js';
import type { IdentityExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, checkU16, checkU64, requireZero } from './wire.js';

const L = LAYOUT.sadb_ident;
const TYPE = L.fields.sadb_ident_type.offset;
const RESERVED = L.fields.sadb_ident_reserved.offset;
const ID = L.fields.sadb_ident_id.offset;
const DATA = L.size;

export const identityCodec: ExtCodec<IdentityExt> = {
  decode(c, off, len, type) {
    requireZero(c, off + RESERVED, off + ID, 'sadb_ident_reserved');
    return {
      type: type as IdentityExt['type'],
      identType: c.dv.getUint16(off + TYPE, true),
      id: c.dv.getBigUint64(off + ID, true),
      data: c.bytes.subarray(off + DATA, off + len),
    };
  },
  size(e, off) {
    checkU16(e.identType, off + TYPE, 'sadb_ident_type');
    checkU64(e.id, off + ID, 'sadb_ident_id');
    checkBytes(e.data, off + DATA, 'identity data');
    if (e.data.length % 8 !== 0)
      invalid(off + DATA, `identity data must be a multiple of 8 bytes, got ${e.data.length}`);
    return DATA + align8(e.data.length);
  },
  write(c, off, e) {
    c.dv.setUint16(off + TYPE, e.identType, true);
    c.dv.setBigUint64(off + ID, e.id, true);
    c.bytes.set(e.data, off + DATA);
  },
};
