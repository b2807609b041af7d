/**
 * @module
 * SADB_X_EXT_SEC_CTX, `struct sadb_x_sec_ctx` (Linux): an LSM security context of `sadb_x_ctx_len` bytes
 * after the 8-byte header, zero-padded to 8. Linux (af_key.c verify_sec_ctx_len) wants ctx_len <= PAGE_SIZE
 * and the extension exactly ceil((8 + ctx_len) / 8) words long.
 */

import { PFKEY_SEC_CTX_MAX, SADB_X_EXT_SEC_CTX } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { align8, LAYOUT } from './layout.js';
import type { SecCtxExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, checkU8, requireZero } from './wire.js';

const L = LAYOUT.sadb_x_sec_ctx;
const ALG = L.fields.sadb_x_ctx_alg.offset;
const DOI = L.fields.sadb_x_ctx_doi.offset;
const CTX_LEN = L.fields.sadb_x_ctx_len.offset;
const CTX = L.size;

export const secCtxCodec: ExtCodec<SecCtxExt> = {
  decode(c, off, len) {
    const ctxLen = c.dv.getUint16(off + CTX_LEN, true);
    if (ctxLen > PFKEY_SEC_CTX_MAX)
      invalid(off + CTX_LEN, `sadb_x_ctx_len ${ctxLen} exceeds PAGE_SIZE (${PFKEY_SEC_CTX_MAX})`);
    const want = CTX + align8(ctxLen);
    if (len !== want) {
      invalid(
        off,
        `sadb_x_sec_len is ${len / 8} words; a ${ctxLen}-byte context needs exactly ${want / 8} (af_key.c verify_sec_ctx_len)`,
      );
    }
    requireZero(c, off + CTX + ctxLen, off + len, 'sadb_x_sec_ctx padding');
    return {
      type: SADB_X_EXT_SEC_CTX,
      ctxAlg: c.bytes[off + ALG] as number,
      ctxDoi: c.bytes[off + DOI] as number,
      context: c.bytes.subarray(off + CTX, off + CTX + ctxLen),
    };
  },
  size(e, off) {
    checkU8(e.ctxAlg, off + ALG, 'sadb_x_ctx_alg');
    checkU8(e.ctxDoi, off + DOI, 'sadb_x_ctx_doi');
    checkBytes(e.context, off + CTX, 'security context');
    if (e.context.length > PFKEY_SEC_CTX_MAX) {
      invalid(
        off + CTX_LEN,
        `security context of ${e.context.length} bytes exceeds PAGE_SIZE (${PFKEY_SEC_CTX_MAX})`,
      );
    }
    return CTX + align8(e.context.length);
  },
  write(c, off, e) {
    c.bytes[off + ALG] = e.ctxAlg;
    c.bytes[off + DOI] = e.ctxDoi;
    c.dv.setUint16(off + CTX_LEN, e.context.length, true);
    c.bytes.set(e.context, off + CTX);
  },
};
