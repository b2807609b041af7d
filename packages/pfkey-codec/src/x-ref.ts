/**
 * @module
 * SADB_X_EXT_REF (type 32, this project): the MSRD reference extension, which ties an SADB_ACQUIRE
 * ("extended ACQUIRE") or a policy added with SADB_X_SPDADD / SADB_X_SPDUPDATE to a Mobility Policy Index
 * (MPI) in the MSRD store, so IKE can resolve the addresses to negotiate from the MPI.
 *
 * Layout (16 bytes = 2 words, host order like every PF_KEY integer except SPI and ports):
 *
 * ```
 *  0  u16 sadb_x_ref_len      = 2 (64-bit words, header included; RFC 2367 §2.3)
 *  2  u16 sadb_x_ref_exttype  = 32 (SADB_X_EXT_REF)
 *  4  u8  sadb_ref_ver        = 1
 *  5  u8  sadb_ref_type
 *  6  u16 sadb_ref_type_ext
 *  8  u64 sadb_ref_mpi
 * ```
 *
 * Why this shape: the MSRD proposal's `struct sadb_x_ref` starts with its own fields and has no `sadb_ext`
 * header, but RFC 2367 §2.3 requires every extension to begin with `sadb_ext_len`/`sadb_ext_type` so a
 * parser can step over it. The header goes first; the MSRD fields follow unchanged and happen to fill the
 * rest of the first word, which leaves the MPI naturally aligned at offset 8. Type 32 sits above Linux's
 * `SADB_EXT_MAX` (26) with room for Linux to grow; a real kernel skips types above its maximum without
 * reading them (af_key.c parse_exthdrs), as RFC 2367 §2.3 asks for unknown extensions, so sending it to
 * Linux is harmless. Only version 1 is defined; any other version, and any length but 2 words, is refused.
 */

import { SADB_X_EXT_REF } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { RefExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkU8, checkU16, checkU64 } from './wire.js';

/** The only defined `sadb_ref_ver`. */
export const SADB_X_REF_VERSION = 1;

const L = LAYOUT.sadb_x_ref;
const VER = L.fields.sadb_ref_ver.offset;
const TYPE = L.fields.sadb_ref_type.offset;
const TYPE_EXT = L.fields.sadb_ref_type_ext.offset;
const MPI = L.fields.sadb_ref_mpi.offset;

export const refCodec: ExtCodec<RefExt> = {
  decode(c, off, len) {
    exactLength(len, L.size, off, 'sadb_x_ref');
    const ver = c.bytes[off + VER] as number;
    if (ver !== SADB_X_REF_VERSION) invalid(off + VER, `sadb_ref_ver ${ver} is not ${SADB_X_REF_VERSION}`);
    return {
      type: SADB_X_EXT_REF,
      refType: c.bytes[off + TYPE] as number,
      refTypeExt: c.dv.getUint16(off + TYPE_EXT, true),
      mpi: c.dv.getBigUint64(off + MPI, true),
    };
  },
  size(e, off) {
    checkU8(e.refType, off + TYPE, 'sadb_ref_type');
    checkU16(e.refTypeExt, off + TYPE_EXT, 'sadb_ref_type_ext');
    checkU64(e.mpi, off + MPI, 'sadb_ref_mpi');
    return L.size;
  },
  write(c, off, e) {
    c.bytes[off + VER] = SADB_X_REF_VERSION;
    c.bytes[off + TYPE] = e.refType;
    c.dv.setUint16(off + TYPE_EXT, e.refTypeExt, true);
    c.dv.setBigUint64(off + MPI, e.mpi, true);
  },
};
