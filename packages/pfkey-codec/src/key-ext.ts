/**
 * @module
 * SADB_EXT_KEY_{AUTH,ENCRYPT}, `struct sadb_key` + key material (RFC 2367 §2.3.4). `sadb_key_bits` is in
 * bits; ceil(bits/8) key bytes follow the 8-byte header, zero-padded to 8. Linux (af_key.c verify_key_len)
 * needs the extension to be at least that long; this codec wants exactly that long.
 */

import type { ExtCodec } from './ext-codec.js';
import { align8, LAYOUT } from './layout.js';
import type { KeyExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, checkU16, requireZero } from './wire.js';

const L = LAYOUT.sadb_key;
const BITS = L.fields.sadb_key_bits.offset;
const RESERVED = L.fields.sadb_key_reserved.offset;
const KEY = L.size;

export const keyCodec: ExtCodec<KeyExt> = {
  decode(c, off, len, type) {
    const bits = c.dv.getUint16(off + BITS, true);
    const keyBytes = (bits + 7) >> 3;
    const want = KEY + align8(keyBytes);
    if (len < want)
      invalid(
        off,
        `sadb_key_len is ${len / 8} words; ${bits} key bits need ${want / 8} (af_key.c verify_key_len)`,
      );
    if (len !== want)
      invalid(off, `sadb_key_len is ${len / 8} words; ${bits} key bits take exactly ${want / 8}`);
    requireZero(c, off + RESERVED, off + KEY, 'sadb_key_reserved');
    requireZero(c, off + KEY + keyBytes, off + len, 'sadb_key padding');
    return { type: type as KeyExt['type'], bits, key: c.bytes.subarray(off + KEY, off + KEY + keyBytes) };
  },
  size(e, off) {
    checkU16(e.bits, off + BITS, 'sadb_key_bits');
    checkBytes(e.key, off + KEY, 'key');
    if (e.key.length !== (e.bits + 7) >> 3) {
      invalid(
        off + BITS,
        `sadb_key_bits ${e.bits} needs ${(e.bits + 7) >> 3} key bytes, the key has ${e.key.length}`,
      );
    }
    return KEY + align8(e.key.length);
  },
  write(c, off, e) {
    c.dv.setUint16(off + BITS, e.bits, true);
    c.bytes.set(e.key, off + KEY);
  },
};
