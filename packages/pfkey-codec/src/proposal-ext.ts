/**
 * @module
 * SADB_EXT_PROPOSAL, `struct sadb_prop` + `struct sadb_comb` records (RFC 2367 §2.3.7): the algorithm
 * combinations the kernel proposes in SADB_ACQUIRE, each 72 bytes (kernel-interfaces.md §1.6). The body after
 * the 8-byte header must be a whole number of combs.
 */

import { SADB_EXT_PROPOSAL } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { LAYOUT } from './layout.js';
import type { ProposalExt, SadbComb } from './model.js';
import { invalid } from './pfkey-error.js';
import { type Cursor, checkU8, checkU16, checkU32, checkU64, requireZero } from './wire.js';

const P = LAYOUT.sadb_prop;
const REPLAY = P.fields.sadb_prop_replay.offset;
const PROP_RESERVED = P.fields.sadb_prop_reserved;
const C = LAYOUT.sadb_comb.fields;
const COMB = LAYOUT.sadb_comb.size;

function readComb(c: Cursor, o: number): SadbComb {
  const dv = c.dv;
  const b = c.bytes;
  requireZero(c, o + C.sadb_comb_reserved.offset, o + C.sadb_comb_reserved.offset + 4, 'sadb_comb_reserved');
  return {
    auth: b[o + C.sadb_comb_auth.offset] as number,
    encrypt: b[o + C.sadb_comb_encrypt.offset] as number,
    flags: dv.getUint16(o + C.sadb_comb_flags.offset, true),
    authMinbits: dv.getUint16(o + C.sadb_comb_auth_minbits.offset, true),
    authMaxbits: dv.getUint16(o + C.sadb_comb_auth_maxbits.offset, true),
    encryptMinbits: dv.getUint16(o + C.sadb_comb_encrypt_minbits.offset, true),
    encryptMaxbits: dv.getUint16(o + C.sadb_comb_encrypt_maxbits.offset, true),
    softAllocations: dv.getUint32(o + C.sadb_comb_soft_allocations.offset, true),
    hardAllocations: dv.getUint32(o + C.sadb_comb_hard_allocations.offset, true),
    softBytes: dv.getBigUint64(o + C.sadb_comb_soft_bytes.offset, true),
    hardBytes: dv.getBigUint64(o + C.sadb_comb_hard_bytes.offset, true),
    softAddtime: dv.getBigUint64(o + C.sadb_comb_soft_addtime.offset, true),
    hardAddtime: dv.getBigUint64(o + C.sadb_comb_hard_addtime.offset, true),
    softUsetime: dv.getBigUint64(o + C.sadb_comb_soft_usetime.offset, true),
    hardUsetime: dv.getBigUint64(o + C.sadb_comb_hard_usetime.offset, true),
  };
}

function checkComb(k: SadbComb, o: number): void {
  if (k === null || typeof k !== 'object') invalid(o, 'sadb_comb must be an object');
  checkU8(k.auth, o + C.sadb_comb_auth.offset, 'sadb_comb_auth');
  checkU8(k.encrypt, o + C.sadb_comb_encrypt.offset, 'sadb_comb_encrypt');
  checkU16(k.flags, o + C.sadb_comb_flags.offset, 'sadb_comb_flags');
  checkU16(k.authMinbits, o + C.sadb_comb_auth_minbits.offset, 'sadb_comb_auth_minbits');
  checkU16(k.authMaxbits, o + C.sadb_comb_auth_maxbits.offset, 'sadb_comb_auth_maxbits');
  checkU16(k.encryptMinbits, o + C.sadb_comb_encrypt_minbits.offset, 'sadb_comb_encrypt_minbits');
  checkU16(k.encryptMaxbits, o + C.sadb_comb_encrypt_maxbits.offset, 'sadb_comb_encrypt_maxbits');
  checkU32(k.softAllocations, o + C.sadb_comb_soft_allocations.offset, 'sadb_comb_soft_allocations');
  checkU32(k.hardAllocations, o + C.sadb_comb_hard_allocations.offset, 'sadb_comb_hard_allocations');
  checkU64(k.softBytes, o + C.sadb_comb_soft_bytes.offset, 'sadb_comb_soft_bytes');
  checkU64(k.hardBytes, o + C.sadb_comb_hard_bytes.offset, 'sadb_comb_hard_bytes');
  checkU64(k.softAddtime, o + C.sadb_comb_soft_addtime.offset, 'sadb_comb_soft_addtime');
  checkU64(k.hardAddtime, o + C.sadb_comb_hard_addtime.offset, 'sadb_comb_hard_addtime');
  checkU64(k.softUsetime, o + C.sadb_comb_soft_usetime.offset, 'sadb_comb_soft_usetime');
  checkU64(k.hardUsetime, o + C.sadb_comb_hard_usetime.offset, 'sadb_comb_hard_usetime');
}

function writeComb(c: Cursor, o: number, k: SadbComb): void {
  const dv = c.dv;
  c.bytes[o + C.sadb_comb_auth.offset] = k.auth;
  c.bytes[o + C.sadb_comb_encrypt.offset] = k.encrypt;
  dv.setUint16(o + C.sadb_comb_flags.offset, k.flags, true);
  dv.setUint16(o + C.sadb_comb_auth_minbits.offset, k.authMinbits, true);
  dv.setUint16(o + C.sadb_comb_auth_maxbits.offset, k.authMaxbits, true);
  dv.setUint16(o + C.sadb_comb_encrypt_minbits.offset, k.encryptMinbits, true);
  dv.setUint16(o + C.sadb_comb_encrypt_maxbits.offset, k.encryptMaxbits, true);
  dv.setUint32(o + C.sadb_comb_soft_allocations.offset, k.softAllocations, true);
  dv.setUint32(o + C.sadb_comb_hard_allocations.offset, k.hardAllocations, true);
  dv.setBigUint64(o + C.sadb_comb_soft_bytes.offset, k.softBytes, true);
  dv.setBigUint64(o + C.sadb_comb_hard_bytes.offset, k.hardBytes, true);
  dv.setBigUint64(o + C.sadb_comb_soft_addtime.offset, k.softAddtime, true);
  dv.setBigUint64(o + C.sadb_comb_hard_addtime.offset, k.hardAddtime, true);
  dv.setBigUint64(o + C.sadb_comb_soft_usetime.offset, k.softUsetime, true);
  dv.setBigUint64(o + C.sadb_comb_hard_usetime.offset, k.hardUsetime, true);
}

export const proposalCodec: ExtCodec<ProposalExt> = {
  decode(c, off, len) {
    const body = len - P.size;
    if (body % COMB !== 0)
      invalid(off, `sadb_prop body of ${body} bytes is not a whole number of 72-byte sadb_comb`);
    requireZero(
      c,
      off + PROP_RESERVED.offset,
      off + PROP_RESERVED.offset + PROP_RESERVED.size,
      'sadb_prop_reserved',
    );
    const combs: SadbComb[] = [];
    for (let o = off + P.size; o < off + len; o += COMB) combs.push(readComb(c, o));
    return { type: SADB_EXT_PROPOSAL, replay: c.bytes[off + REPLAY] as number, combs };
  },
  size(e, off) {
    checkU8(e.replay, off + REPLAY, 'sadb_prop_replay');
    if (!Array.isArray(e.combs)) invalid(off, 'proposal combs must be an array');
    for (let i = 0; i < e.combs.length; i++) checkComb(e.combs[i] as SadbComb, off + P.size + i * COMB);
    return P.size + e.combs.length * COMB;
  },
  write(c, off, e) {
    c.bytes[off + REPLAY] = e.replay;
    for (let i = 0; i < e.combs.length; i++) writeComb(c, off + P.size + i * COMB, e.combs[i] as SadbComb);
  },
};
