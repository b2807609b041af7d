/**
 * @module
 * SADB_X_EXT_POLICY, `struct sadb_x_policy` (KAME/Linux, 16 bytes: type, direction, id, priority) followed by
 * `struct sadb_x_ipsecrequest` records inside the same extension (kernel-interfaces.md §1.6). Each request's
 * `sadb_x_ipsecrequest_len` counts **bytes** (KAME heritage, unlike every other PF_KEY length) and is either
 * 16 (no addresses) or 16 plus a source/destination sockaddr pair (48 for AF_INET, 72 for AF_INET6). In
 * SADB_X_MIGRATE the requests come as old/new pairs (draft-ebalard-mext-pfkey-enhanced-migrate Appendix A,
 * reference §2.2); that pairing is checked by the message rules, not here.
 */

import { SADB_X_EXT_POLICY } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { IpsecRequest, PolicyExt } from './model.js';
import { invalid } from './pfkey-error.js';
import { checkSockaddr, readSockaddrPair, sockaddrLen, writeSockaddr } from './sockaddr.js';
import { type Cursor, checkU8, checkU16, checkU32, requireZero } from './wire.js';

const P = LAYOUT.sadb_x_policy;
const TYPE = P.fields.sadb_x_policy_type.offset;
const DIR = P.fields.sadb_x_policy_dir.offset;
const RESERVED = P.fields.sadb_x_policy_reserved.offset;
const ID = P.fields.sadb_x_policy_id.offset;
const PRIORITY = P.fields.sadb_x_policy_priority.offset;
const R = LAYOUT.sadb_x_ipsecrequest.fields;
const RQ = LAYOUT.sadb_x_ipsecrequest.size;
const RQ_LEN = R.sadb_x_ipsecrequest_len.offset;
const RQ_PROTO = R.sadb_x_ipsecrequest_proto.offset;
const RQ_MODE = R.sadb_x_ipsecrequest_mode.offset;
const RQ_LEVEL = R.sadb_x_ipsecrequest_level.offset;
const RQ_RESERVED1 = R.sadb_x_ipsecrequest_reserved1.offset;
const RQ_REQID = R.sadb_x_ipsecrequest_reqid.offset;
const RQ_RESERVED2 = R.sadb_x_ipsecrequest_reserved2.offset;

function readRequest(c: Cursor, o: number, end: number): [IpsecRequest, number] {
  if (end - o < RQ)
    invalid(
      o,
      `${end - o} bytes left in sadb_x_policy after the last sadb_x_ipsecrequest (need 16 for another)`,
    );
  const dv = c.dv;
  const rqLen = dv.getUint16(o + RQ_LEN, true);
  if (rqLen < RQ || rqLen > end - o) {
    invalid(o + RQ_LEN, `sadb_x_ipsecrequest_len ${rqLen} (bytes) must be 16..${end - o}`);
  }
  requireZero(c, o + RQ_RESERVED1, o + RQ_RESERVED1 + 2, 'sadb_x_ipsecrequest_reserved1');
  requireZero(c, o + RQ_RESERVED2, o + RQ_RESERVED2 + 4, 'sadb_x_ipsecrequest_reserved2');
  const rq: IpsecRequest = {
    proto: dv.getUint16(o + RQ_PROTO, true),
    mode: c.bytes[o + RQ_MODE] as number,
    level: c.bytes[o + RQ_LEVEL] as number,
    reqid: dv.getUint32(o + RQ_REQID, true),
  };
  if (rqLen > RQ) {
    const [src, dst] = readSockaddrPair(c, o + RQ, o + rqLen, 'sadb_x_ipsecrequest');
    rq.src = src;
    rq.dst = dst;
  }
  return [rq, rqLen];
}

/** Bytes one request takes (16, or 16 + its sockaddr pair), after checking it as if written at `o`. */
function requestSize(rq: IpsecRequest, o: number): number {
  if (rq === null || typeof rq !== 'object') invalid(o, 'sadb_x_ipsecrequest must be an object');
  checkU16(rq.proto, o + RQ_PROTO, 'sadb_x_ipsecrequest_proto');
  checkU8(rq.mode, o + RQ_MODE, 'sadb_x_ipsecrequest_mode');
  checkU8(rq.level, o + RQ_LEVEL, 'sadb_x_ipsecrequest_level');
  checkU32(rq.reqid, o + RQ_REQID, 'sadb_x_ipsecrequest_reqid');
  if (rq.src === undefined && rq.dst === undefined) return RQ;
  if (rq.src === undefined || rq.dst === undefined) {
    invalid(o + RQ, 'sadb_x_ipsecrequest needs both src and dst sockaddrs, or neither');
  }
  const len = checkSockaddr(rq.src, o + RQ, 'sadb_x_ipsecrequest src');
  checkSockaddr(rq.dst, o + RQ + len, 'sadb_x_ipsecrequest dst');
  if (rq.dst.family !== rq.src.family)
    invalid(o + RQ + len, 'sadb_x_ipsecrequest src and dst must have the same family');
  return RQ + 2 * len;
}

export const policyCodec: ExtCodec<PolicyExt> = {
  decode(c, off, len) {
    requireZero(c, off + RESERVED, off + RESERVED + 1, 'sadb_x_policy_reserved');
    const dv = c.dv;
    const end = off + len;
    const requests: IpsecRequest[] = [];
    for (let o = off + P.size; o < end; ) {
      const [rq, rqLen] = readRequest(c, o, end);
      requests.push(rq);
      o += rqLen;
    }
    return {
      type: SADB_X_EXT_POLICY,
      policyType: dv.getUint16(off + TYPE, true),
      dir: c.bytes[off + DIR] as number,
      id: dv.getUint32(off + ID, true),
      priority: dv.getUint32(off + PRIORITY, true),
      requests,
    };
  },
  size(e, off) {
    checkU16(e.policyType, off + TYPE, 'sadb_x_policy_type');
    checkU8(e.dir, off + DIR, 'sadb_x_policy_dir');
    checkU32(e.id, off + ID, 'sadb_x_policy_id');
    checkU32(e.priority, off + PRIORITY, 'sadb_x_policy_priority');
    if (!Array.isArray(e.requests)) invalid(off, 'policy requests must be an array');
    let size = P.size;
    for (const rq of e.requests) size += requestSize(rq, off + size);
    return size;
  },
  write(c, off, e) {
    const dv = c.dv;
    dv.setUint16(off + TYPE, e.policyType, true);
    c.bytes[off + DIR] = e.dir;
    dv.setUint32(off + ID, e.id, true);
    dv.setUint32(off + PRIORITY, e.priority, true);
    let o = off + P.size;
    for (const rq of e.requests) {
      const half = rq.src === undefined ? 0 : sockaddrLen(rq.src.family);
      const rqLen = RQ + 2 * half;
      dv.setUint16(o + RQ_LEN, rqLen, true);
      dv.setUint16(o + RQ_PROTO, rq.proto, true);
      c.bytes[o + RQ_MODE] = rq.mode;
      c.bytes[o + RQ_LEVEL] = rq.level;
      dv.setUint32(o + RQ_REQID, rq.reqid, true);
      if (rq.src !== undefined && rq.dst !== undefined) {
        writeSockaddr(c, o + RQ, rq.src);
        writeSockaddr(c, o + RQ + half, rq.dst);
      }
      o += rqLen;
    }
  },
};
