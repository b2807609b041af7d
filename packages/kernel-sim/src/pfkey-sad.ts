/**
 * PF_KEY handlers for the SAD (RFC 2367 section 3.1, as af_key.c answers them): SADB_GETSPI, SADB_UPDATE,
 * SADB_ADD, SADB_DELETE, SADB_GET, SADB_DUMP, SADB_FLUSH, SADB_REGISTER and a key manager's failure report
 * (header-only SADB_ACQUIRE), plus the messages the kernel raises itself: SADB_EXPIRE and SADB_ACQUIRE.
 * Handlers throw KernelError with the errno Linux answers; the dispatcher turns it into the error reply.
 */
import type { IpsecRequest, PacketKey } from '@mip6sec/core';
import { ENC_TRANSFORMS } from '@mip6sec/crypto';
import {
  getExtension,
  IPSEC_DIR_OUTBOUND,
  IPSEC_POLICY_IPSEC,
  type PfkeyExtension,
  type PfkeyMessage,
  type PfkeyMessageInit,
  type ProposalExt,
  SADB_AALG_NONE,
  SADB_ACQUIRE,
  SADB_ADD,
  SADB_DELETE,
  SADB_DUMP,
  SADB_EXPIRE,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_SRC,
  SADB_EXT_PROPOSAL,
  SADB_EXT_SA,
  SADB_EXT_SPIRANGE,
  SADB_EXT_SUPPORTED_AUTH,
  SADB_EXT_SUPPORTED_ENCRYPT,
  SADB_FLUSH,
  SADB_GET,
  SADB_GETSPI,
  SADB_REGISTER,
  SADB_UPDATE,
  SADB_X_EXT_POLICY,
  SADB_X_EXT_SA2,
  type SadbComb,
} from '@mip6sec/pfkey-codec';
import { encId, isAead, supportedAuth, supportedEncrypt } from './algorithms.js';
import { fail } from './errors.js';
import type { KernelContext } from './kernel-context.js';
import type { ExpireKind } from './lifetimes.js';
import {
  endpointExts,
  ipOf,
  modeOf,
  protoOfSatype,
  refExt,
  type SaProto,
  satypeIsAny,
  satypeOf,
} from './pfkey-convert.js';
import { type ParsedSa, type SaView, saExtensions, saFromMessage } from './pfkey-sa.js';
import type { PfkeySocket } from './pfkey-socket.js';
import { DEFAULT_SPI_MAX, DEFAULT_SPI_MIN, newSaRecord, type SaRecord } from './sad.js';
import type { PolicyRecord } from './spd.js';

/**
 * What an SA message says about a record. The record holds every SaData field under its own name,
 * so it is the data itself: copying it into a SecurityAssociation first (as callers outside the
 * kernel get it) cost more than writing the message.
 */
export function saView(r: SaRecord): SaView {
  return {
    id: { src: r.src, dst: r.dst, spi: r.spi, proto: r.proto },
    data: r,
    state: r.state,
    flags: r.flags,
    acqSeq: r.acqSeq,
    current:
      r.usedAt === undefined
        ? { packets: r.packets, bytes: r.bytes, addTime: Math.floor(r.addedAt / 1000) }
        : {
            packets: r.packets,
            bytes: r.bytes,
            addTime: Math.floor(r.addedAt / 1000),
            useTime: Math.floor(r.usedAt / 1000),
          },
  };
}

/**
 * A reply or notification for `msg`: its header with `extensions`. Built whole, in one object
 * shape, rather than by spreading a header (objects made so get a map each, and the codec's reads
 * of them then miss V8's inline caches every time).
 */
function header(msg: PfkeyMessage, extensions: PfkeyExtension[] = [], type = msg.type): PfkeyMessageInit {
  return { type, errno: 0, satype: msg.satype, reserved: 0, seq: msg.seq, pid: msg.pid, extensions };
}

function needProto(msg: PfkeyMessage): SaProto {
  const p = protoOfSatype(msg.satype);
  if (!p) fail('EINVAL', `satype ${msg.satype} is not ESP or AH`);
  return p;
}

export function handleRegister(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  if (msg.satype !== 0) {
    const bit = 1 << msg.satype;
    if (sock.registered & bit) fail('EEXIST', `socket already registered for satype ${msg.satype}`);
    sock.registered |= bit;
  }
  k.broadcast(
    header(msg, [
      { type: SADB_EXT_SUPPORTED_AUTH, algs: supportedAuth() },
      { type: SADB_EXT_SUPPORTED_ENCRYPT, algs: supportedEncrypt() },
    ]),
    'registered',
    sock,
  );
}

export function handleGetSpi(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const proto = needProto(msg);
  const src = ipOf(getExtension(msg, SADB_EXT_ADDRESS_SRC)!.address);
  const dst = ipOf(getExtension(msg, SADB_EXT_ADDRESS_DST)!.address);
  const sa2 = getExtension(msg, SADB_X_EXT_SA2);
  const mode = modeOf(sa2?.mode ?? 0);
  if (!mode) fail('EINVAL', 'BEET mode is not simulated');
  const reqid = sa2?.reqid ?? 0;
  // A second GETSPI of the same exchange gets the SPI of the first (xfrm_alloc_spi on a state with one).
  let larval = msg.seq !== 0 ? k.sad.findLarval(proto, msg.seq, src, dst) : undefined;
  if (!larval) {
    const range = getExtension(msg, SADB_EXT_SPIRANGE);
    const min = range ? range.min >>> 0 : DEFAULT_SPI_MIN;
    const max = range ? range.max >>> 0 : DEFAULT_SPI_MAX;
    if (min === 0 && max === 0) fail('EINVAL', 'SPI range 0..0');
    const spi = k.sad.allocateSpi(dst, proto, Math.max(min, 1), max, k.spiRandom);
    larval = newSaRecord({ src, dst, spi, proto }, { mode, reqid }, k.clock.now(), {
      larval: true,
      acqSeq: msg.seq,
    });
    k.sad.insert(larval);
    k.lifetimes.startLarval(larval, k.acquires.acqExpires);
  }
  k.broadcast(header(msg, saExtensions(saView(larval), { withKeys: false })), 'one', sock);
}

export function handleAddOrUpdate(k: KernelContext, _sock: PfkeySocket, msg: PfkeyMessage): void {
  const parsed: ParsedSa = saFromMessage(msg);
  const existing = k.sad.get(parsed.id);
  let record: SaRecord;
  if (msg.type === SADB_ADD) {
    if (existing) fail('EEXIST', `an SA with SPI ${parsed.id.spi.toString(16)} for ${parsed.id.dst} exists`);
    record = insertMature(k, parsed, msg.seq);
  } else {
    if (!existing) fail('ESRCH', `no SA with SPI ${parsed.id.spi.toString(16)} for ${parsed.id.dst}`);
    if (existing.state === 'larval') {
      k.lifetimes.stop(existing);
      k.sad.remove(existing);
      record = insertMature(k, parsed, existing.acqSeq || msg.seq);
      k.acquires.resolve(record.proto, record.mode, record.reqid, record.src, record.dst, msg.seq);
    } else {
      // A mature SA keeps its keys (RFC 2367 3.1.2); lifetimes and encapsulation change (xfrm_state_update).
      record = existing;
      if (parsed.data.soft) record.soft = parsed.data.soft;
      else delete record.soft;
      if (parsed.data.hard) record.hard = parsed.data.hard;
      else delete record.hard;
      if (parsed.data.encap) record.encap = parsed.data.encap;
      k.lifetimes.start(record);
    }
  }
  k.broadcast(header(msg, saExtensions(saView(record), { withKeys: false })), 'all');
}

function insertMature(k: KernelContext, p: ParsedSa, seq: number): SaRecord {
  const r = newSaRecord(p.id, p.data, k.clock.now(), { flags: p.flags, acqSeq: seq });
  k.sad.insert(r);
  k.lifetimes.start(r);
  k.acquires.resolve(r.proto, r.mode, r.reqid, r.src, r.dst, seq);
  return r;
}

function findSa(k: KernelContext, msg: PfkeyMessage): SaRecord {
  const proto = needProto(msg);
  const sa = getExtension(msg, SADB_EXT_SA)!;
  const dst = ipOf(getExtension(msg, SADB_EXT_ADDRESS_DST)!.address);
  const r = k.sad.get({ dst, spi: sa.spi >>> 0, proto });
  if (!r) fail('ESRCH', `no ${proto} SA with SPI ${(sa.spi >>> 0).toString(16)} for ${dst}`);
  return r;
}

export function handleDelete(k: KernelContext, _sock: PfkeySocket, msg: PfkeyMessage): void {
  const r = findSa(k, msg);
  k.lifetimes.stop(r);
  k.sad.remove(r);
  k.broadcast(header(msg, saExtensions(saView(r), { withKeys: false })), 'all');
}

export function handleGet(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const r = findSa(k, msg);
  k.broadcast(header(msg, saExtensions(saView(r), { withKeys: true })), 'one', sock);
}

export function handleDump(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const proto = satypeIsAny(msg.satype) ? undefined : needProto(msg);
  const all = k.sad.all().filter((r) => proto === undefined || r.proto === proto);
  if (all.length === 0) fail('ENOENT', 'the SAD holds no SA of that type');
  // pfkey_dump_sa counts down: the last message of a dump has sequence number 0. Resumable as the
  // SPD dump is (see handleSpdDump); an SA removed meanwhile is left out.
  let i = 0;
  sock.startDump(() => {
    for (; i < all.length; i++) {
      if (!sock.canDump()) return false;
      const r = all[i]!;
      if (r.state === 'dead') continue;
      k.broadcast(
        {
          type: SADB_DUMP,
          satype: satypeOf(r.proto),
          seq: all.length - 1 - i,
          pid: msg.pid,
          extensions: saExtensions(saView(r), { withKeys: true }),
        },
        'one',
        sock,
      );
    }
    return true;
  });
}

export function handleFlush(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const proto = satypeIsAny(msg.satype) ? undefined : protoOfSatype(msg.satype);
  const gone = satypeIsAny(msg.satype) || proto ? k.sad.flush(proto) : [];
  for (const r of gone) k.lifetimes.stop(r);
  for (const a of k.acquires.entries()) if (proto === undefined || a.proto === proto) k.acquires.remove(a);
  k.broadcast(header(msg, [], SADB_FLUSH), 'one', sock);
  if (gone.length > 0) k.broadcast(header(msg, [], SADB_FLUSH), 'all');
}

/** A key manager reports that it could not get an SA for an ACQUIRE (pfkey_acquire). */
export function handleAcquireFailure(k: KernelContext, _sock: PfkeySocket, msg: PfkeyMessage): void {
  if (msg.errno === 0) return;
  const entry = k.acquires.findBySeq(msg.seq);
  if (entry) entry.failed = true;
}

/** SADB_EXPIRE to registered sockets (key_notify_sa_expire); a hard expiry also removes the SA. */
export function raiseExpire(k: KernelContext, r: SaRecord, kind: ExpireKind): void {
  if (kind === 'hard') {
    k.sad.remove(r);
  }
  k.broadcast(
    {
      type: SADB_EXPIRE,
      satype: satypeOf(r.proto),
      extensions: saExtensions(saView(r), { withKeys: false, lifetimes: ['current', kind] }),
    },
    'registered',
  );
}

// Lifetimes Linux proposes in every sadb_comb (af_key.c dump_esp_combs).
const COMB_LIFETIMES = {
  softAllocations: 0,
  hardAllocations: 0,
  softBytes: 0n,
  hardBytes: 0n,
  softAddtime: BigInt(20 * 60 * 60),
  hardAddtime: BigInt(24 * 60 * 60),
  softUsetime: BigInt(7 * 60 * 60),
  hardUsetime: BigInt(8 * 60 * 60),
};

/** The SADB_EXT_PROPOSAL of an ACQUIRE: every supported suite for the protocol, NULL encryption left out. */
export function proposal(proto: SaProto): ProposalExt {
  const combs: SadbComb[] = [];
  const auths = supportedAuth();
  if (proto === 'ah') {
    for (const a of auths) {
      combs.push({
        auth: a.id,
        encrypt: 0,
        flags: 0,
        authMinbits: a.minbits,
        authMaxbits: a.maxbits,
        encryptMinbits: 0,
        encryptMaxbits: 0,
        ...COMB_LIFETIMES,
      });
    }
  } else {
    for (const [alg, t] of Object.entries(ENC_TRANSFORMS) as [
      keyof typeof ENC_TRANSFORMS,
      (typeof ENC_TRANSFORMS)[keyof typeof ENC_TRANSFORMS],
    ][]) {
      if (alg === 'null') continue;
      const encryptMinbits = Math.min(...t.keyLengths) * 8;
      const encryptMaxbits = Math.max(...t.keyLengths) * 8;
      const pairs = isAead(alg) ? [{ id: SADB_AALG_NONE, minbits: 0, maxbits: 0 }] : auths;
      for (const a of pairs) {
        combs.push({
          auth: a.id,
          encrypt: encId(alg),
          flags: 0,
          authMinbits: a.minbits,
          authMaxbits: a.maxbits,
          encryptMinbits,
          encryptMaxbits,
          ...COMB_LIFETIMES,
        });
      }
    }
  }
  return { type: SADB_EXT_PROPOSAL, replay: 32, combs };
}

/**
 * Raises SADB_ACQUIRE for a template with no SA (pfkey_send_acquire): addresses, the policy (index and
 * priority, no requests), a proposal, and the policy's MSRD reference when it has one (the extended
 * ACQUIRE). Returns false, recording nothing, when no key manager is registered.
 */
export function raiseAcquire(
  k: KernelContext,
  policy: PolicyRecord,
  t: IpsecRequest,
  src: string,
  dst: string,
  _key: PacketKey,
): boolean {
  if (!k.hasRegistered() || t.proto === 'ipcomp') return false;
  const entry = k.acquires.raise({
    proto: t.proto,
    mode: t.mode,
    reqid: t.reqid,
    src,
    dst,
    policyIndex: policy.index,
  });
  const exts: PfkeyExtension[] = [
    ...endpointExts(src, dst),
    {
      type: SADB_X_EXT_POLICY,
      policyType: IPSEC_POLICY_IPSEC,
      dir: IPSEC_DIR_OUTBOUND,
      id: policy.index,
      priority: policy.priority,
      requests: [],
    },
    proposal(t.proto),
  ];
  if (policy.ref) exts.push(refExt(policy.ref));
  return k.broadcast(
    { type: SADB_ACQUIRE, satype: satypeOf(t.proto), seq: entry.seq, extensions: exts },
    'registered',
  );
}

export const SAD_HANDLERS = {
  [SADB_GETSPI]: handleGetSpi,
  [SADB_UPDATE]: handleAddOrUpdate,
  [SADB_ADD]: handleAddOrUpdate,
  [SADB_DELETE]: handleDelete,
  [SADB_GET]: handleGet,
  [SADB_ACQUIRE]: handleAcquireFailure,
  [SADB_REGISTER]: handleRegister,
  [SADB_FLUSH]: handleFlush,
  [SADB_DUMP]: handleDump,
} as const;
