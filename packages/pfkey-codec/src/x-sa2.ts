/**
 * @module
 * SADB_X_EXT_SA2, `struct sadb_x_sa2` (KAME/Linux): the SA's IPsec mode (`IPSEC_MODE_*`), a sequence number
 * and the reqid tying it to policy templates, host order. Fixed 16 bytes.
 */

import { SADB_X_EXT_SA2 } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { Sa2Ext } from './model.js';
import { checkU8, checkU32, requireZero } from './wire.js';

const L = LAYOUT.sadb_x_sa2;
const MODE = L.fields.sadb_x_sa2_mode.offset;
const RESERVED1 = L.fields.sadb_x_sa2_reserved1.offset;
const SEQUENCE = L.fields.sadb_x_sa2_sequence.offset;
const REQID = L.fields.sadb_x_sa2_reqid.offset;

export const sa2Codec: ExtCodec<Sa2Ext> = {
  decode(c, off, len) {
    exactLength(len, L.size, off, 'sadb_x_sa2');
    // reserved1 and reserved2 are adjacent (bytes 5..7).
    requireZero(c, off + RESERVED1, off + SEQUENCE, 'sadb_x_sa2_reserved1/2');
    return {
      type: SADB_X_EXT_SA2,
      mode: c.bytes[off + MODE] as number,
      sequence: c.dv.getUint32(off + SEQUENCE, true),
      reqid: c.dv.getUint32(off + REQID, true),
    };
  },
  size(e, off) {
    checkU8(e.mode, off + MODE, 'sadb_x_sa2_mode');
    checkU32(e.sequence, off + SEQUENCE, 'sadb_x_sa2_sequence');
    checkU32(e.reqid, off + REQID, 'sadb_x_sa2_reqid');
    return L.size;
  },
  write(c, off, e) {
    c.bytes[off + MODE] = e.mode;
    c.dv.setUint32(off + SEQUENCE, e.sequence, true);
    c.dv.setUint32(off + REQID, e.reqid, true);
  },
};
