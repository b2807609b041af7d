/**
 * @module
 * SADB_EXT_SA, `struct sadb_sa` (RFC 2367 §2.3.1): the SPI (network order) and the SA's replay window,
 * state, algorithms and flags (host order). Fixed 16 bytes.
 */

import { SADB_EXT_SA } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { SaExt } from './model.js';
import { checkU8, checkU32 } from './wire.js';

const L = LAYOUT.sadb_sa;
const SPI = L.fields.sadb_sa_spi.offset;
const REPLAY = L.fields.sadb_sa_replay.offset;
const STATE = L.fields.sadb_sa_state.offset;
const AUTH = L.fields.sadb_sa_auth.offset;
const ENCRYPT = L.fields.sadb_sa_encrypt.offset;
const FLAGS = L.fields.sadb_sa_flags.offset;

export const saCodec: ExtCodec<SaExt> = {
  decode(c, off, len) {
    exactLength(len, L.size, off, 'sadb_sa');
    const b = c.bytes;
    return {
      type: SADB_EXT_SA,
      spi: c.dv.getUint32(off + SPI, false),
      replay: b[off + REPLAY] as number,
      state: b[off + STATE] as number,
      auth: b[off + AUTH] as number,
      encrypt: b[off + ENCRYPT] as number,
      flags: c.dv.getUint32(off + FLAGS, true),
    };
  },
  size(e, off) {
    checkU32(e.spi, off + SPI, 'sadb_sa_spi');
    checkU8(e.replay, off + REPLAY, 'sadb_sa_replay');
    checkU8(e.state, off + STATE, 'sadb_sa_state');
    checkU8(e.auth, off + AUTH, 'sadb_sa_auth');
    checkU8(e.encrypt, off + ENCRYPT, 'sadb_sa_encrypt');
    checkU32(e.flags, off + FLAGS, 'sadb_sa_flags');
    return L.size;
  },
  write(c, off, e) {
    const b = c.bytes;
    c.dv.setUint32(off + SPI, e.spi, false);
    b[off + REPLAY] = e.replay;
    b[off + STATE] = e.state;
    b[off + AUTH] = e.auth;
    b[off + ENCRYPT] = e.encrypt;
    c.dv.setUint32(off + FLAGS, e.flags, true);
  },
};
