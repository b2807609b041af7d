/**
 * @module
 * NAT traversal extensions (Linux): SADB_X_EXT_NAT_T_TYPE (`struct sadb_x_nat_t_type`, the UDP encapsulation
 * type) and SADB_X_EXT_NAT_T_{SPORT,DPORT} (`struct sadb_x_nat_t_port`, a port in network order). Both
 * fixed 8 bytes. SADB_X_EXT_NAT_T_OA is an address extension (`address-ext.ts`).
 */

import { SADB_X_EXT_NAT_T_TYPE } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { NatTPortExt, NatTTypeExt } from './model.js';
import { checkU8, checkU16, requireZero } from './wire.js';

const T = LAYOUT.sadb_x_nat_t_type;
const T_TYPE = T.fields.sadb_x_nat_t_type_type.offset;
const T_RESERVED = T.fields.sadb_x_nat_t_type_reserved.offset;
const N = LAYOUT.sadb_x_nat_t_port;
const N_PORT = N.fields.sadb_x_nat_t_port_port.offset;
const N_RESERVED = N.fields.sadb_x_nat_t_port_reserved.offset;

export const natTTypeCodec: ExtCodec<NatTTypeExt> = {
  decode(c, off, len) {
    exactLength(len, T.size, off, 'sadb_x_nat_t_type');
    requireZero(c, off + T_RESERVED, off + T.size, 'sadb_x_nat_t_type_reserved');
    return { type: SADB_X_EXT_NAT_T_TYPE, natType: c.bytes[off + T_TYPE] as number };
  },
  size(e, off) {
    checkU8(e.natType, off + T_TYPE, 'sadb_x_nat_t_type_type');
    return T.size;
  },
  write(c, off, e) {
    c.bytes[off + T_TYPE] = e.natType;
  },
};

export const natTPortCodec: ExtCodec<NatTPortExt> = {
  decode(c, off, len, type) {
    exactLength(len, N.size, off, 'sadb_x_nat_t_port');
    requireZero(c, off + N_RESERVED, off + N.size, 'sadb_x_nat_t_port_reserved');
    return { type: type as NatTPortExt['type'], port: c.dv.getUint16(off + N_PORT, false) };
  },
  size(e, off) {
    checkU16(e.port, off + N_PORT, 'sadb_x_nat_t_port_port');
    return N.size;
  },
  write(c, off, e) {
    c.dv.setUint16(off + N_PORT, e.port, false);
  },
};
