/**
 * @module
 * SADB_X_EXT_KMPRIVATE, `struct sadb_x_kmprivate` (KAME): an 8-byte header followed by data private to the
 * key manager. Linux never reads it; the data is kept as bytes.
 */

import { SADB_X_EXT_KMPRIVATE } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { KmprivateExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, requireZero } from './wire.js';

const L = LAYOUT.sadb_x_kmprivate;
const RESERVED = L.fields.sadb_x_kmprivate_reserved.offset;

export const kmprivateCodec: ExtCodec<KmprivateExt> = {
  decode(c, off, len) {
    requireZero(c, off + RESERVED, off + L.size, 'sadb_x_kmprivate_reserved');
    return { type: SADB_X_EXT_KMPRIVATE, data: c.bytes.subarray(off + L.size, off + len) };
  },
  size(e, off) {
    checkBytes(e.data, off + L.size, 'kmprivate data');
    if (e.data.length % 8 !== 0)
      invalid(off + L.size, `kmprivate data must be a multiple of 8 bytes, got ${e.data.length}`);
    return L.size + e.data.length;
  },
  write(c, off, e) {
    c.bytes.set(e.data, off + L.size);
  },
};
