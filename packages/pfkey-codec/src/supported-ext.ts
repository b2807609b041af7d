/**
 * @module
 * SADB_EXT_SUPPORTED_{AUTH,ENCRYPT}, `struct sadb_supported` + 8-byte `struct sadb_alg` records
 * (RFC 2367 §2.3.8): the algorithms the kernel offers in its SADB_REGISTER reply.
 */

import type { ExtCodec } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { SadbAlg, SupportedExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkU8, checkU16, requireZero } from './wire.js';

const S = LAYOUT.sadb_supported;
const S_RESERVED = S.fields.sadb_supported_reserved.offset;
const A = LAYOUT.sadb_alg.fields;
const ALG = LAYOUT.sadb_alg.size;
const ID = A.sadb_alg_id.offset;
const IVLEN = A.sadb_alg_ivlen.offset;
const MINBITS = A.sadb_alg_minbits.offset;
const MAXBITS = A.sadb_alg_maxbits.offset;
const A_RESERVED = A.sadb_alg_reserved.offset;

export const supportedCodec: ExtCodec<SupportedExt> = {
  decode(c, off, len, type) {
    requireZero(c, off + S_RESERVED, off + S.size, 'sadb_supported_reserved');
    const algs: SadbAlg[] = [];
    const dv = c.dv;
    for (let o = off + S.size; o < off + len; o += ALG) {
      requireZero(c, o + A_RESERVED, o + ALG, 'sadb_alg_reserved');
      algs.push({
        id: c.bytes[o + ID] as number,
        ivlen: c.bytes[o + IVLEN] as number,
        minbits: dv.getUint16(o + MINBITS, true),
        maxbits: dv.getUint16(o + MAXBITS, true),
      });
    }
    return { type: type as SupportedExt['type'], algs };
  },
  size(e, off) {
    if (!Array.isArray(e.algs)) invalid(off, 'supported algs must be an array');
    for (let i = 0; i < e.algs.length; i++) {
      const a = e.algs[i] as SadbAlg;
      const o = off + S.size + i * ALG;
      if (a === null || typeof a !== 'object') invalid(o, 'sadb_alg must be an object');
      checkU8(a.id, o + ID, 'sadb_alg_id');
      checkU8(a.ivlen, o + IVLEN, 'sadb_alg_ivlen');
      checkU16(a.minbits, o + MINBITS, 'sadb_alg_minbits');
      checkU16(a.maxbits, o + MAXBITS, 'sadb_alg_maxbits');
    }
    return S.size + e.algs.length * ALG;
  },
  write(c, off, e) {
    const dv = c.dv;
    for (let i = 0; i < e.algs.length; i++) {
      const a = e.algs[i] as SadbAlg;
      const o = off + S.size + i * ALG;
      c.bytes[o + ID] = a.id;
      c.bytes[o + IVLEN] = a.ivlen;
      dv.setUint16(o + MINBITS, a.minbits, true);
      dv.setUint16(o + MAXBITS, a.maxbits, true);
    }
  },
};
