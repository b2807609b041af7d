/**
 * @module
 * SADB_X_EXT_SA_REPLAY (type 33, this project): an anti-replay window wider than `sadb_sa_replay`'s 8 bits.
 * RFC 4303 §3.4.3 lets a receiver keep windows far above 255 packets (Linux's XFRM does, through
 * XFRMA_REPLAY_ESN_VAL, which PF_KEY cannot carry); the simulated kernel holds up to 4096. The shape is
 * FreeBSD's `struct sadb_x_sa_replay`, whose window counts packets:
 *
 * ```
 *  0  u16 sadb_x_sa_replay_len      = 1 (64-bit words, header included)
 *  2  u16 sadb_x_sa_replay_exttype  = 33 (SADB_X_EXT_SA_REPLAY)
 *  4  u32 sadb_x_sa_replay_replay   window in packets
 * ```
 *
 * When present it is the SA's window and `sadb_sa_replay` is the window capped at 255 for readers that do not
 * know the extension. The type number is this project's; Linux skips it unread. It belongs only in the
 * messages that describe one SA (validate.ts).
 */

import { SADB_X_EXT_SA_REPLAY } from './constants.js';
import { type ExtCodec, exactLength } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { SaReplayExt } from './model.js';
import { checkU32 } from './wire.js';

const L = LAYOUT.sadb_x_sa_replay;
const REPLAY = L.fields.sadb_x_sa_replay_replay.offset;

export const saReplayCodec: ExtCodec<SaReplayExt> = {
  decode(c, off, len) {
    exactLength(len, L.size, off, 'sadb_x_sa_replay');
    return { type: SADB_X_EXT_SA_REPLAY, replay: c.dv.getUint32(off + REPLAY, true) };
  },
  size(e, off) {
    checkU32(e.replay, off + REPLAY, 'sadb_x_sa_replay_replay');
    return L.size;
  },
  write(c, off, e) {
    c.dv.setUint32(off + REPLAY, e.replay, true);
  },
};
