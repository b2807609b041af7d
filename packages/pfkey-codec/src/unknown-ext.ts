/**
 * @module
 * Extensions of a type this codec does not know (Linux skips every type above its SADB_EXT_MAX; RFC 2367 §2.3
 * says unknown extensions MUST be ignored). With `unknownExtensions: 'keep'` they are kept byte for byte so
 * a message re-encodes exactly; the model tags them `UNKNOWN_EXTENSION` and keeps the wire type in `exttype`.
 */

import { SADB_EXT_MAX_LINUX, UNKNOWN_EXTENSION } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { EXT_CODECS } from './extensions.js';
import { LAYOUT } from './layout.js';
import type { UnknownExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkBytes, checkU16 } from './wire.js';

const HEADER = LAYOUT.sadb_ext.size;

export const unknownCodec: ExtCodec<UnknownExt> = {
  decode(c, off, len, type) {
    return { type: UNKNOWN_EXTENSION, exttype: type, data: c.bytes.subarray(off + HEADER, off + len) };
  },
  size(e, off) {
    checkU16(e.exttype, off + 2, 'sadb_ext_type');
    if (e.exttype <= SADB_EXT_MAX_LINUX || EXT_CODECS[e.exttype] !== undefined) {
      invalid(
        off + 2,
        `sadb_ext_type ${e.exttype} is reserved or known; an unknown extension needs a type above 26 that this codec does not model (not 32 or 33)`,
      );
    }
    checkBytes(e.data, off + HEADER, 'unknown extension data');
    if ((e.data.length + HEADER) % 8 !== 0) {
      invalid(
        off + HEADER,
        `unknown extension data must make the extension a multiple of 8 bytes (4 + ${e.data.length})`,
      );
    }
    return HEADER + e.data.length;
  },
  write(c, off, e) {
    c.bytes.set(e.data, off + HEADER);
  },
};
