/**
 * PF_KEY handlers for the SPD (Linux/KAME SADB_X_SPD*, af_key.c pfkey_spdadd and friends) and for
 * SADB_X_MIGRATE. Policy messages carry the selector in ADDRESS_SRC/DST, the lifetimes Linux always adds,
 * the policy with its ipsecrequests, and the MSRD reference (SADB_X_EXT_REF) the policy stores, in every
 * message that describes the policy where the codec's rules place it (SPDADD/SPDUPDATE notifications,
 * SPDGET and SPDDUMP answers; not SPDDELETE). Changes are broadcast to every socket with the request's
 * sequence number and pid.
 */
import type { MigrateBundle, MigrateRequest } from '@mip6sec/core';
import {
  getExtension,
  IPSEC_LEVEL_REQUIRE,
  IPSEC_LEVEL_UNIQUE,
  IPSEC_POLICY_IPSEC,
  type PfkeyExtension,
  type PfkeyMessage,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_SRC,
  SADB_EXT_LIFETIME_CURRENT,
  SADB_EXT_LIFETIME_HARD,
  SADB_EXT_LIFETIME_SOFT,
  SADB_X_EXT_KMADDRESS,
  SADB_X_EXT_POLICY,
  SADB_X_EXT_REF,
  SADB_X_MIGRATE,
  SADB_X_SPDADD,
  SADB_X_SPDDELETE,
  SADB_X_SPDDELETE2,
  SADB_X_SPDDUMP,
  SADB_X_SPDFLUSH,
  SADB_X_SPDGET,
  SADB_X_SPDSETIDX,
  SADB_X_SPDUPDATE,
} from '@mip6sec/pfkey-codec';
import { fail } from './errors.js';
import type { KernelContext } from './kernel-context.js';
import { applyMigrate } from './migrate.js';
import {
  actionOf,
  bundlesFromRequests,
  dirOf,
  ipOf,
  ipsecProtoOf,
  policyExt,
  refExt,
  satypeOf,
  selectorFromExts,
  selectorToExts,
  sockaddrOf,
  storedRefFromExt,
  templateFromRequest,
} from './pfkey-convert.js';
import type { PfkeySocket } from './pfkey-socket.js';
import type { PolicyRecord } from './spd.js';

/**
 * Linux puts the policy's reference count in sadb_msg_reserved of policy messages; the simulation has no
 * references to count and reports the one the SPD holds.
 */
const POLICY_REFCOUNT = 1;

/** The extensions of a policy message (pfkey_xfrm_policy2msg), with the reference where PF_KEY allows it. */
export function policyExtensions(p: PolicyRecord, withRef: boolean): PfkeyExtension[] {
  const zero = { allocations: 0, bytes: 0n, addtime: 0n, usetime: 0n };
  const exts: PfkeyExtension[] = [
    ...selectorToExts(p.selector),
    { type: SADB_EXT_LIFETIME_HARD, ...zero },
    { type: SADB_EXT_LIFETIME_SOFT, ...zero },
    { type: SADB_EXT_LIFETIME_CURRENT, ...zero, addtime: BigInt(Math.floor(p.addedAt / 1000)) },
    policyExt(p),
  ];
  if (withRef && p.ref) exts.push(refExt(p.ref));
  return exts;
}

function policyIdOf(msg: PfkeyMessage) {
  const src = getExtension(msg, SADB_EXT_ADDRESS_SRC)!;
  const dst = getExtension(msg, SADB_EXT_ADDRESS_DST)!;
  const pol = getExtension(msg, SADB_X_EXT_POLICY)!;
  const dir = dirOf(pol.dir);
  if (!dir) fail('EINVAL', `policy direction ${pol.dir}`);
  return { selector: selectorFromExts(src, dst), dir, pol };
}

export function handleSpdAdd(k: KernelContext, _sock: PfkeySocket, msg: PfkeyMessage): void {
  const { selector, dir, pol } = policyIdOf(msg);
  const ref = getExtension(msg, SADB_X_EXT_REF);
  const action = actionOf(pol.policyType);
  const templates = pol.policyType === IPSEC_POLICY_IPSEC ? pol.requests.map(templateFromRequest) : [];
  const update = msg.type === SADB_X_SPDUPDATE;
  const { policy } = k.spd.add(
    { selector, dir },
    { action, priority: pol.priority >>> 0, templates, ...(ref ? { ref: storedRefFromExt(ref) } : {}) },
    update,
    k.clock.now(),
  );
  const type = update ? SADB_X_SPDUPDATE : SADB_X_SPDADD;
  k.broadcast(
    {
      type,
      satype: msg.satype,
      reserved: POLICY_REFCOUNT,
      seq: msg.seq,
      pid: msg.pid,
      extensions: policyExtensions(policy, true),
    },
    'all',
  );
}

export function handleSpdDelete(k: KernelContext, _sock: PfkeySocket, msg: PfkeyMessage): void {
  const { selector, dir } = policyIdOf(msg);
  const p = k.spd.delete({ selector, dir });
  k.broadcast(
    {
      type: SADB_X_SPDDELETE,
      satype: msg.satype,
      reserved: POLICY_REFCOUNT,
      seq: msg.seq,
      pid: msg.pid,
      extensions: policyExtensions(p, false),
    },
    'all',
  );
}

export function handleSpdGetOrDelete2(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const id = getExtension(msg, SADB_X_EXT_POLICY)!.id >>> 0;
  if (msg.type === SADB_X_SPDDELETE2) {
    const p = k.spd.deleteByIndex(id);
    k.broadcast(
      {
        type: SADB_X_SPDDELETE2,
        satype: msg.satype,
        reserved: POLICY_REFCOUNT,
        seq: msg.seq,
        pid: msg.pid,
        extensions: policyExtensions(p, false),
      },
      'all',
    );
    return;
  }
  const p = k.spd.getByIndex(id);
  if (!p) fail('ENOENT', `no policy with index ${id}`);
  k.broadcast(
    {
      type: SADB_X_SPDGET,
      satype: msg.satype,
      reserved: POLICY_REFCOUNT,
      seq: msg.seq,
      pid: msg.pid,
      extensions: policyExtensions(p, true),
    },
    'one',
    sock,
  );
}

/**
 * SADB_X_SPDDUMP, resumable as af_key.c's pfkey_do_dump is: the socket takes messages while its
 * receive queue is no more than two thirds full and asks for more as its reader drains it, so a
 * dump of any size arrives whole. A policy changed meanwhile is sent as it is when its turn comes,
 * one deleted meanwhile not at all.
 */
export function handleSpdDump(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const all = k.spd.dump();
  if (all.length === 0) fail('ENOENT', 'the SPD is empty');
  let i = 0;
  sock.startDump(() => {
    for (; i < all.length; i++) {
      if (!sock.canDump()) return false;
      const p = k.spd.getByIndex(all[i]!.index);
      if (!p) continue;
      k.broadcast(
        {
          type: SADB_X_SPDDUMP,
          satype: msg.satype,
          reserved: POLICY_REFCOUNT,
          seq: all.length - 1 - i,
          pid: msg.pid,
          extensions: policyExtensions(p, true),
        },
        'one',
        sock,
      );
    }
    return true;
  });
}

export function handleSpdFlush(k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage): void {
  const n = k.spd.flush();
  const h = { type: SADB_X_SPDFLUSH, satype: msg.satype, seq: msg.seq, pid: msg.pid };
  k.broadcast(h, 'one', sock);
  if (n > 0) k.broadcast(h, 'all');
}

/** The MigrateRequest a MIGRATE message describes, with bundles in modes the model lacks left out. */
export function migrateRequestOf(msg: PfkeyMessage): MigrateRequest {
  const { selector, dir, pol } = policyIdOf(msg);
  const kma = getExtension(msg, SADB_X_EXT_KMADDRESS);
  const bundles = bundlesFromRequests(pol.requests).filter((b): b is MigrateBundle => b !== undefined);
  return {
    selector,
    dir,
    bundles,
    ...(kma ? { kmaddress: { local: ipOf(kma.local), remote: ipOf(kma.remote) } } : {}),
  };
}

/**
 * SADB_X_MIGRATE (draft-ebalard-mext-pfkey-enhanced-migrate 5.3): applies it, then broadcasts it to every
 * socket the way pfkey_send_migrate writes it (sequence number and pid 0, the selector as requested with
 * the raw protocol and no ports, the requested pairs, the KMADDRESS untouched). No reply on success.
 */
export function handleMigrate(k: KernelContext, _sock: PfkeySocket, msg: PfkeyMessage): void {
  const req = migrateRequestOf(msg);
  const pol = getExtension(msg, SADB_X_EXT_POLICY)!;
  if (req.bundles.length === 0) fail('ENODATA', 'no migrate entry in a simulated mode');
  applyMigrate(k.spd, k.sad, req, k.migrateLookup);
  const kma = getExtension(msg, SADB_X_EXT_KMADDRESS);
  const exts: PfkeyExtension[] = [];
  if (kma) {
    exts.push({
      type: SADB_X_EXT_KMADDRESS,
      reserved: kma.reserved,
      local: sockaddrOf(ipOf(kma.local)),
      remote: sockaddrOf(ipOf(kma.remote)),
    });
  }
  exts.push(...selectorToExts(req.selector, true), {
    type: SADB_X_EXT_POLICY,
    policyType: IPSEC_POLICY_IPSEC,
    dir: pol.dir,
    id: 0,
    priority: 0,
    requests: pol.requests.map((rq) => ({
      proto: rq.proto,
      mode: rq.mode,
      level: rq.reqid !== 0 ? IPSEC_LEVEL_UNIQUE : IPSEC_LEVEL_REQUIRE,
      reqid: rq.reqid,
      ...(rq.src && rq.dst ? { src: sockaddrOf(ipOf(rq.src)), dst: sockaddrOf(ipOf(rq.dst)) } : {}),
    })),
  });
  const firstProto = ipsecProtoOf(pol.requests[0]?.proto ?? 0);
  k.broadcast(
    { type: SADB_X_MIGRATE, satype: firstProto ? satypeOf(firstProto) : 0, extensions: exts },
    'all',
  );
}

export const SPD_HANDLERS = {
  [SADB_X_SPDUPDATE]: handleSpdAdd,
  [SADB_X_SPDADD]: handleSpdAdd,
  [SADB_X_SPDSETIDX]: handleSpdAdd,
  [SADB_X_SPDDELETE]: handleSpdDelete,
  [SADB_X_SPDGET]: handleSpdGetOrDelete2,
  [SADB_X_SPDDELETE2]: handleSpdGetOrDelete2,
  [SADB_X_SPDDUMP]: handleSpdDump,
  [SADB_X_SPDFLUSH]: handleSpdFlush,
  [SADB_X_MIGRATE]: handleMigrate,
} as const;
