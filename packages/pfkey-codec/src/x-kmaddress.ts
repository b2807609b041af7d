/**
 * @module
 * SADB_X_EXT_KMADDRESS, `struct sadb_x_kmaddress` (Linux 2.6.28+, draft-ebalard-mext-pfkey-enhanced-migrate):
 * the addresses IKE should use with the peer after a MIGRATE, as a local then a remote sockaddr of one
 * family right after the 8-byte header, 40 bytes for AF_INET and 64 for AF_INET6 (reference §2.3). Linux
 * only passes it on; `sadb_x_kmaddress_reserved` goes through the kernel unchanged, so the model keeps it.
 */

import { SADB_X_EXT_KMADDRESS } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { KmaddressExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkSockaddr, readSockaddrPair, sockaddrLen, writeSockaddr } from './sockaddr.js';
import { checkU32 } from './wire.js';

const L = LAYOUT.sadb_x_kmaddress;
const RESERVED = L.fields.sadb_x_kmaddress_reserved.offset;
const PAIR = L.size;

export const kmaddressCodec: ExtCodec<KmaddressExt> = {
  decode(c, off, len) {
    const [local, remote] = readSockaddrPair(c, off + PAIR, off + len, 'sadb_x_kmaddress');
    return { type: SADB_X_EXT_KMADDRESS, reserved: c.dv.getUint32(off + RESERVED, true), local, remote };
  },
  size(e, off) {
    checkU32(e.reserved, off + RESERVED, 'sadb_x_kmaddress_reserved');
    const len = checkSockaddr(e.local, off + PAIR, 'sadb_x_kmaddress local');
    checkSockaddr(e.remote, off + PAIR + len, 'sadb_x_kmaddress remote');
    if (e.remote.family !== e.local.family)
      invalid(off + PAIR + len, 'sadb_x_kmaddress local and remote must have the same family');
    return PAIR + 2 * len;
  },
  write(c, off, e) {
    c.dv.setUint32(off + RESERVED, e.reserved, true);
    writeSockaddr(c, off + PAIR, e.local);
    writeSockaddr(c, off + PAIR + sockaddrLen(e.local.family), e.remote);
  },
};
