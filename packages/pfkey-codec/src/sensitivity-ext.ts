/**
 * @module
 * SADB_EXT_SENSITIVITY, `struct sadb_sens` (RFC 2367 §2.3.6): DPD, levels and the lengths (in 64-bit words)
 * of the sensitivity and integrity bitmaps that follow the 16-byte header. The extension must be exactly
 * header + both bitmaps.
 */

import { SADB_EXT_SENSITIVITY } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { SensitivityExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, checkU8, checkU32, requireZero } from './wire.js';

const L = LAYOUT.sadb_sens;
const DPD = L.fields.sadb_sens_dpd.offset;
const SENS_LEVEL = L.fields.sadb_sens_sens_level.offset;
const SENS_LEN = L.fields.sadb_sens_sens_len.offset;
const INTEG_LEVEL = L.fields.sadb_sens_integ_level.offset;
const INTEG_LEN = L.fields.sadb_sens_integ_len.offset;
const RESERVED = L.fields.sadb_sens_reserved.offset;
const BITMAPS = L.size;

function checkBitmap(bitmap: unknown, off: number, field: string): number {
  checkBytes(bitmap, off, field);
  if (bitmap.length % 8 !== 0 || bitmap.length > 255 * 8) {
    invalid(off, `${field} must be whole 64-bit words (at most 255), got ${bitmap.length} bytes`);
  }
  return bitmap.length;
}

export const sensitivityCodec: ExtCodec<SensitivityExt> = {
  decode(c, off, len) {
    const b = c.bytes;
    const sensWords = b[off + SENS_LEN] as number;
    const integWords = b[off + INTEG_LEN] as number;
    const want = BITMAPS + 8 * (sensWords + integWords);
    if (len !== want) {
      invalid(
        off,
        `sadb_sens_len is ${len / 8} words; header and bitmaps of ${sensWords} + ${integWords} words take ${want / 8}`,
      );
    }
    requireZero(c, off + RESERVED, off + BITMAPS, 'sadb_sens_reserved');
    const integStart = off + BITMAPS + 8 * sensWords;
    return {
      type: SADB_EXT_SENSITIVITY,
      dpd: c.dv.getUint32(off + DPD, true),
      sensLevel: b[off + SENS_LEVEL] as number,
      sensBitmap: b.subarray(off + BITMAPS, integStart),
      integLevel: b[off + INTEG_LEVEL] as number,
      integBitmap: b.subarray(integStart, off + len),
    };
  },
  size(e, off) {
    checkU32(e.dpd, off + DPD, 'sadb_sens_dpd');
    checkU8(e.sensLevel, off + SENS_LEVEL, 'sadb_sens_sens_level');
    checkU8(e.integLevel, off + INTEG_LEVEL, 'sadb_sens_integ_level');
    const s = checkBitmap(e.sensBitmap, off + BITMAPS, 'sensitivity bitmap');
    const i = checkBitmap(e.integBitmap, off + BITMAPS + s, 'integrity bitmap');
    return BITMAPS + s + i;
  },
  write(c, off, e) {
    const b = c.bytes;
    c.dv.setUint32(off + DPD, e.dpd, true);
    b[off + SENS_LEVEL] = e.sensLevel;
    b[off + SENS_LEN] = e.sensBitmap.length / 8;
    b[off + INTEG_LEVEL] = e.integLevel;
    b[off + INTEG_LEN] = e.integBitmap.length / 8;
    b.set(e.sensBitmap, off + BITMAPS);
    b.set(e.integBitmap, off + BITMAPS + e.sensBitmap.length);
  },
};
