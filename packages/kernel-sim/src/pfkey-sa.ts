/**
 * SA data between PF_KEY extensions and core's model (RFC 2367 sections 2.3.1-2.3.4, af_key.c
 * pfkey_msg2xfrm_state and pfkey_xfrm_state2msg): sadb_sa, the three sadb_lifetime, keys, sadb_x_sa2 and
 * the NAT-T extensions (RFC 3948 UDP encapsulation). Lifetime `allocations` carry the packet limit, as
 * Linux reads them.
 *
 * Two things PF_KEY on Linux cannot say and the simulation needs, both in the codec's table of this
 * project's private numbers: 64-bit sequence numbers as SADB_X_SAFLAGS_ESN (FreeBSD's flag) in sadb_sa_flags,
 * and a replay window wider than sadb_sa_replay's 8 bits in SADB_X_EXT_SA_REPLAY (type 33, shaped like
 * FreeBSD's sadb_x_sa_replay); sadb_sa_replay then carries the window capped at 255. A real Linux kernel
 * ignores both (unknown flags, extension types above its maximum).
 */
import type { LifetimeLimits, SaData, SaId, SaState, SecurityAssociation, UdpEncap } from '@mip6sec/core';
import {
  type AddressExt,
  getExtension,
  type KeyExt,
  type LifetimeExt,
  type NatTPortExt,
  type PfkeyExtension,
  type PfkeyMessage,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_SRC,
  SADB_EXT_KEY_AUTH,
  SADB_EXT_KEY_ENCRYPT,
  SADB_EXT_LIFETIME_CURRENT,
  SADB_EXT_LIFETIME_HARD,
  SADB_EXT_LIFETIME_SOFT,
  SADB_EXT_SA,
  SADB_SASTATE_DEAD,
  SADB_SASTATE_DYING,
  SADB_SASTATE_LARVAL,
  SADB_SASTATE_MATURE,
  SADB_X_EXT_NAT_T_DPORT,
  SADB_X_EXT_NAT_T_OA,
  SADB_X_EXT_NAT_T_SPORT,
  SADB_X_EXT_NAT_T_TYPE,
  SADB_X_EXT_SA_REPLAY,
  SADB_X_EXT_SA2,
  SADB_X_SAFLAGS_ESN,
  type Sa2Ext,
  type SaExt,
  type SaReplayExt,
} from '@mip6sec/pfkey-codec';
import { encById, encId, encKeyBytes, integById, integId, integKeyBytes, isAead } from './algorithms.js';
import { fail } from './errors.js';
import {
  endpointExts,
  ipOf,
  modeNumber,
  modeOf,
  protoOfSatype,
  type SaProto,
  sockaddrOf,
} from './pfkey-convert.js';
import { MAX_REPLAY_WINDOW } from './replay-window.js';

/** UDP_ENCAP_ESPINUDP (linux/udp.h), the sadb_x_nat_t_type of RFC 3948 encapsulation. */
export const UDP_ENCAP_ESPINUDP = 2;

const STATE_NUM: Readonly<Record<SaState, number>> = {
  larval: SADB_SASTATE_LARVAL,
  mature: SADB_SASTATE_MATURE,
  dying: SADB_SASTATE_DYING,
  dead: SADB_SASTATE_DEAD,
};
const STATES: readonly SaState[] = ['larval', 'mature', 'dying', 'dead'];

function lifetimeExt(
  type: typeof SADB_EXT_LIFETIME_HARD | typeof SADB_EXT_LIFETIME_SOFT,
  l: LifetimeLimits | undefined,
): LifetimeExt {
  return {
    type,
    allocations: l?.packets ?? 0,
    bytes: BigInt(l?.bytes ?? 0),
    addtime: BigInt(l?.addSeconds ?? 0),
    usetime: 0n,
  };
}

function limitsOf(e: LifetimeExt | undefined): LifetimeLimits | undefined {
  if (!e) return undefined;
  const l = { addSeconds: Number(e.addtime), bytes: Number(e.bytes), packets: e.allocations };
  return l.addSeconds === 0 && l.bytes === 0 && l.packets === 0 ? undefined : l;
}

/** The window in packets: SADB_X_EXT_SA_REPLAY when present, else sadb_sa_replay. */
function replayFrom(msg: PfkeyMessage, sa: SaExt): number {
  return getExtension(msg, SADB_X_EXT_SA_REPLAY)?.replay ?? sa.replay;
}

export interface SaCounterView {
  readonly state: SaState;
  readonly packets: number;
  readonly bytes: number;
  /** Seconds. */
  readonly addTime: number;
  readonly useTime?: number;
}

/** What an SA message says about one SA: identity, data, and the exchange sequence it belongs to. */
export interface ParsedSa {
  readonly id: SaId;
  readonly data: SaData;
  readonly flags: number;
  /** sadb_x_sa2_sequence (Linux km.seq), 0 when absent. */
  readonly sa2Seq: number;
}

/**
 * Reads SADB_ADD/SADB_UPDATE (af_key.c pfkey_msg2xfrm_state): ENOSYS for an algorithm the simulation
 * lacks, EINVAL for a key of the wrong size or a combination that cannot work.
 */
export function saFromMessage(msg: PfkeyMessage): ParsedSa {
  const sa = getExtension(msg, SADB_EXT_SA);
  const src = getExtension(msg, SADB_EXT_ADDRESS_SRC);
  const dst = getExtension(msg, SADB_EXT_ADDRESS_DST);
  if (!sa || !src || !dst) fail('EINVAL', 'an SA message needs SA, ADDRESS_SRC and ADDRESS_DST');
  const proto = protoOfSatype(msg.satype);
  if (!proto) fail('EINVAL', `satype ${msg.satype} is not ESP or AH`);
  if (sa.spi === 0) fail('EINVAL', 'SPI 0 is reserved (RFC 4303 section 2.1)');
  const integ = integById(sa.auth);
  if (integ === undefined) fail('ENOSYS', `authentication algorithm ${sa.auth} is not supported`);
  const keyA = getExtension(msg, SADB_EXT_KEY_AUTH);
  const keyE = getExtension(msg, SADB_EXT_KEY_ENCRYPT);
  const sa2 = getExtension(msg, SADB_X_EXT_SA2);
  const mode = modeOf(sa2?.mode ?? 0);
  if (!mode) fail('EINVAL', `SA mode ${sa2?.mode} is not transport or tunnel in the simulation`);
  let enc: SaData['enc'] = { alg: 'null', key: new Uint8Array(0) };
  if (proto === 'esp') {
    const alg = encById(sa.encrypt);
    if (alg === undefined) fail('ENOSYS', `encryption algorithm ${sa.encrypt} is not supported`);
    const key = keyE ? keyE.key.slice(0, Math.ceil(keyE.bits / 8)) : new Uint8Array(0);
    if (!encKeyBytes(alg).includes(key.length) || (keyE && keyE.bits !== key.length * 8)) {
      fail(
        'EINVAL',
        `a ${alg} key of ${keyE?.bits ?? 0} bits is not one of ${encKeyBytes(alg)
          .map((n) => n * 8)
          .join('/')}`,
      );
    }
    if (isAead(alg) && integ !== 'none')
      fail('EINVAL', `${alg} is combined mode and takes no authentication algorithm`);
    if (alg === 'null' && integ === 'none') fail('EINVAL', 'ESP with neither encryption nor authentication');
    enc = { alg, key };
  } else if (integ === 'none') {
    fail('EINVAL', 'AH needs an authentication algorithm');
  }
  let integData: SaData['integ'];
  if (integ !== 'none') {
    const key = keyA ? keyA.key.slice(0, Math.ceil(keyA.bits / 8)) : new Uint8Array(0);
    if (key.length !== integKeyBytes(integ) || (keyA && keyA.bits !== key.length * 8)) {
      fail('EINVAL', `a ${integ} key of ${keyA?.bits ?? 0} bits is not ${integKeyBytes(integ) * 8}`);
    }
    integData = { alg: integ, key };
  }
  const replayWindow = replayFrom(msg, sa);
  if (replayWindow > MAX_REPLAY_WINDOW)
    fail('EINVAL', `replay window ${replayWindow} exceeds ${MAX_REPLAY_WINDOW}`);
  const soft = limitsOf(getExtension(msg, SADB_EXT_LIFETIME_SOFT));
  const hard = limitsOf(getExtension(msg, SADB_EXT_LIFETIME_HARD));
  const encap = encapFrom(msg);
  const data: SaData = {
    mode,
    reqid: sa2?.reqid ?? 0,
    enc,
    ...(integData ? { integ: integData } : {}),
    replayWindow,
    esn: (sa.flags & SADB_X_SAFLAGS_ESN) !== 0,
    ...(soft ? { soft } : {}),
    ...(hard ? { hard } : {}),
    ...(encap ? { encap } : {}),
  };
  return {
    id: { src: ipOf(src.address), dst: ipOf(dst.address), spi: sa.spi >>> 0, proto },
    data,
    flags: sa.flags & ~SADB_X_SAFLAGS_ESN,
    sa2Seq: sa2?.sequence ?? 0,
  };
}

function encapFrom(msg: PfkeyMessage): UdpEncap | undefined {
  const type = getExtension(msg, SADB_X_EXT_NAT_T_TYPE);
  if (!type) return undefined;
  if (type.natType !== UDP_ENCAP_ESPINUDP)
    fail('EINVAL', `NAT-T type ${type.natType} is not UDP_ENCAP_ESPINUDP (2)`);
  const sport = getExtension(msg, SADB_X_EXT_NAT_T_SPORT);
  const dport = getExtension(msg, SADB_X_EXT_NAT_T_DPORT);
  if (!sport || !dport) fail('EINVAL', 'NAT-T needs both NAT_T_SPORT and NAT_T_DPORT');
  const oa = getExtension(msg, SADB_X_EXT_NAT_T_OA);
  return { sport: sport.port, dport: dport.port, ...(oa ? { oa: ipOf(oa.address) } : {}) };
}

export interface SaView {
  readonly id: SaId;
  readonly data: SaData;
  readonly state: SaState;
  readonly flags: number;
  readonly acqSeq: number;
  readonly current?: {
    readonly packets: number;
    readonly bytes: number;
    readonly addTime: number;
    readonly useTime?: number;
  };
}

/**
 * The extensions of an SA message (pfkey_xfrm_state2msg): SA, lifetimes, addresses, keys when `withKeys`,
 * SA2, NAT-T. `lifetimes` picks which lifetime extensions appear (EXPIRE carries CURRENT and the one
 * that expired).
 */
export function saExtensions(
  v: SaView,
  opts: { withKeys: boolean; lifetimes?: readonly ('current' | 'hard' | 'soft')[] },
): PfkeyExtension[] {
  const d = v.data;
  const exts: PfkeyExtension[] = [
    {
      type: SADB_EXT_SA,
      spi: v.id.spi >>> 0,
      replay: Math.min(d.replayWindow, 255),
      state: STATE_NUM[v.state],
      auth: integId(d.integ?.alg ?? 'none'),
      encrypt: v.id.proto === 'esp' ? encId(d.enc.alg) : 0,
      flags: (v.flags | (d.esn ? SADB_X_SAFLAGS_ESN : 0)) >>> 0,
    },
  ];
  const which = opts.lifetimes ?? ['hard', 'soft', 'current'];
  if (which.includes('hard')) exts.push(lifetimeExt(SADB_EXT_LIFETIME_HARD, d.hard));
  if (which.includes('soft')) exts.push(lifetimeExt(SADB_EXT_LIFETIME_SOFT, d.soft));
  if (which.includes('current')) {
    const c = v.current;
    exts.push({
      type: SADB_EXT_LIFETIME_CURRENT,
      allocations: c?.packets ?? 0,
      bytes: BigInt(c?.bytes ?? 0),
      addtime: BigInt(c?.addTime ?? 0),
      usetime: BigInt(c?.useTime ?? 0),
    });
  }
  exts.push(...endpointExts(v.id.src, v.id.dst));
  if (opts.withKeys) {
    if (d.integ) exts.push(keyExt(SADB_EXT_KEY_AUTH, d.integ.key));
    if (v.id.proto === 'esp') exts.push(keyExt(SADB_EXT_KEY_ENCRYPT, d.enc.key));
  }
  exts.push({
    type: SADB_X_EXT_SA2,
    mode: modeNumber(d.mode),
    sequence: v.acqSeq >>> 0,
    reqid: d.reqid >>> 0,
  });
  if (d.encap) {
    exts.push({ type: SADB_X_EXT_NAT_T_TYPE, natType: UDP_ENCAP_ESPINUDP });
    exts.push({ type: SADB_X_EXT_NAT_T_SPORT, port: d.encap.sport } satisfies NatTPortExt);
    exts.push({ type: SADB_X_EXT_NAT_T_DPORT, port: d.encap.dport } satisfies NatTPortExt);
    if (d.encap.oa) {
      exts.push({
        type: SADB_X_EXT_NAT_T_OA,
        proto: 0,
        prefixlen: 0,
        address: sockaddrOf(d.encap.oa),
      } satisfies AddressExt);
    }
  }
  if (d.replayWindow > 255)
    exts.push({ type: SADB_X_EXT_SA_REPLAY, replay: d.replayWindow } satisfies SaReplayExt);
  return exts;
}

function keyExt(type: typeof SADB_EXT_KEY_AUTH | typeof SADB_EXT_KEY_ENCRYPT, key: Uint8Array): KeyExt {
  return { type, bits: key.length * 8, key };
}

/** Reads an SA message from the kernel (GET, DUMP, ADD/UPDATE notifications, EXPIRE) back into core's view. */
export function saFromKernelMessage(msg: PfkeyMessage): SecurityAssociation {
  const sa = getExtension(msg, SADB_EXT_SA);
  const src = getExtension(msg, SADB_EXT_ADDRESS_SRC);
  const dst = getExtension(msg, SADB_EXT_ADDRESS_DST);
  const proto: SaProto | undefined = protoOfSatype(msg.satype);
  if (!sa || !src || !dst || !proto)
    fail('EINVAL', 'the kernel sent an SA message without SA, addresses or satype');
  const sa2: Sa2Ext | undefined = getExtension(msg, SADB_X_EXT_SA2);
  const keyA = getExtension(msg, SADB_EXT_KEY_AUTH);
  const keyE = getExtension(msg, SADB_EXT_KEY_ENCRYPT);
  const integ = integById(sa.auth);
  const enc = proto === 'esp' ? encById(sa.encrypt) : 'null';
  const cur = getExtension(msg, SADB_EXT_LIFETIME_CURRENT);
  const soft = limitsOf(getExtension(msg, SADB_EXT_LIFETIME_SOFT));
  const hard = limitsOf(getExtension(msg, SADB_EXT_LIFETIME_HARD));
  const encap = getExtension(msg, SADB_X_EXT_NAT_T_TYPE) ? encapFrom(msg) : undefined;
  return {
    src: ipOf(src.address),
    dst: ipOf(dst.address),
    spi: sa.spi >>> 0,
    proto,
    state: STATES[sa.state] ?? 'dead',
    mode: modeOf(sa2?.mode ?? 0) ?? 'transport',
    reqid: sa2?.reqid ?? 0,
    enc: { alg: enc ?? 'null', key: keyE ? keyE.key.slice() : new Uint8Array(0) },
    ...(integ && integ !== 'none'
      ? { integ: { alg: integ, key: keyA ? keyA.key.slice() : new Uint8Array(0) } }
      : {}),
    replayWindow: replayFrom(msg, sa),
    esn: (sa.flags & SADB_X_SAFLAGS_ESN) !== 0,
    ...(soft ? { soft } : {}),
    ...(hard ? { hard } : {}),
    ...(encap ? { encap } : {}),
    current: {
      bytes: Number(cur?.bytes ?? 0n),
      packets: cur?.allocations ?? 0,
      addTime: Number(cur?.addtime ?? 0n),
      ...(cur && cur.usetime !== 0n ? { useTime: Number(cur.usetime) } : {}),
      seq: 0,
    },
  };
}
