/**
 * @module
 * Message-level rules: which extensions a message type needs or refuses, and the per-handler checks Linux
 * makes on what user space sends (net/key/af_key.c, kernel-interfaces.md §1 and §2), plus the shape of what
 * Linux itself emits. Structure (lengths, sockaddrs, duplicates) is checked while decoding; these rules run
 * on the model, after decoding or before encoding, so both directions share them.
 *
 * Origins:
 * - `user`: the message is going to the kernel. Exactly the checks Linux makes on send(): reserved 0,
 *   per-type required extensions and field checks, EOPNOTSUPP for types without a handler, a header-only
 *   SADB_ACQUIRE.
 * - `kernel`: the message came from the kernel. What Linux emits, leniently: `sadb_msg_reserved` may carry a
 *   policy's reference count in SPD messages, error replies (errno set) are header-only copies of any type,
 *   optional extensions are not insisted on.
 * - `any` (default): accepted if either set of rules accepts it.
 *
 * This project's extensions go only where they mean something (`OWN_PLACES`): SADB_X_EXT_REF binds a policy
 * (SPDADD/SPDUPDATE from user space; the kernel also reports it in its SPDADD/SPDUPDATE notifications, SPDGET
 * and SPDDUMP answers and the extended ACQUIRE), SADB_X_EXT_SA_REPLAY describes one SA (ADD/UPDATE from user
 * space; every SA message from the kernel).
 */

import * as K from './constants.js';
import type { ErrnoName } from './errno.js';
import { LAYOUT } from './layout.js';
import type {
  AddressExt,
  IpsecRequest,
  PfkeyExtension,
  PfkeyMessage,
  PolicyExt,
  SaExt,
  Sockaddr,
} from './model.js';
import { extTypeName, msgTypeName } from './names.js';
import { PfkeyError } from './pfkey-error.js';

export type Origin = 'user' | 'kernel' | 'any';

const MSG = LAYOUT.sadb_msg.fields;
const POL = LAYOUT.sadb_x_policy.fields;
const SA = LAYOUT.sadb_sa.fields;
const KEY = LAYOUT.sadb_key.fields;
const SA2 = LAYOUT.sadb_x_sa2.fields;
const RANGE = LAYOUT.sadb_spirange.fields;
const FILTER = LAYOUT.sadb_x_filter.fields;
const RQ = LAYOUT.sadb_x_ipsecrequest;
const ADDRESS_SOCKADDR = LAYOUT.sadb_address.size;

/** The message with each extension's byte offset (absolute, as errors report them) and the message's own. */
interface Ctx {
  readonly m: PfkeyMessage;
  readonly offsets: readonly number[];
  readonly base: number;
}

/**
 * A broken rule. Rules return these instead of PfkeyError because with origin 'any' one side's rules may
 * fail and the other's pass, and an Error captures a stack trace (microseconds) nobody would read.
 */
interface Failure {
  readonly code: ErrnoName;
  readonly offset: number;
  readonly reason: string;
}

function err(code: ErrnoName, offset: number, reason: string): Failure {
  return { code, offset, reason };
}

function find(ctx: Ctx, type: number): number {
  const exts = ctx.m.extensions;
  for (let i = 0; i < exts.length; i++) if ((exts[i] as PfkeyExtension).type === type) return i;
  return -1;
}

function ext<E extends PfkeyExtension>(ctx: Ctx, i: number): E {
  return ctx.m.extensions[i] as E;
}

function at(ctx: Ctx, i: number): number {
  return ctx.offsets[i] as number;
}

function name(ctx: Ctx): string {
  return msgTypeName(ctx.m.type);
}

function need(ctx: Ctx, type: number): Failure | number {
  const i = find(ctx, type);
  return i < 0 ? err('EINVAL', ctx.base, `${name(ctx)} needs ${extTypeName(type)}`) : i;
}

/** af_key.c present_and_same_family: SRC and DST present, same family, AF_INET or AF_INET6. */
function srcDst(ctx: Ctx): Failure | undefined {
  const s = need(ctx, K.SADB_EXT_ADDRESS_SRC);
  if (typeof s !== 'number') return s;
  const d = need(ctx, K.SADB_EXT_ADDRESS_DST);
  if (typeof d !== 'number') return d;
  const sf = ext<AddressExt>(ctx, s).address.family;
  const df = ext<AddressExt>(ctx, d).address.family;
  if (sf !== df) {
    return err(
      'EINVAL',
      at(ctx, d) + ADDRESS_SOCKADDR,
      `${name(ctx)}: ADDRESS_DST family ${df} differs from ADDRESS_SRC family ${sf}`,
    );
  }
  return undefined;
}

function needPolicy(ctx: Ctx): Failure | number {
  return need(ctx, K.SADB_X_EXT_POLICY);
}

/** af_key.c pfkey_satype2proto: only UNSPEC, AH, ESP and IPCOMP name an IPsec protocol. */
function satypeHasProto(satype: number): boolean {
  return (
    satype === K.SADB_SATYPE_UNSPEC ||
    satype === K.SADB_SATYPE_AH ||
    satype === K.SADB_SATYPE_ESP ||
    satype === K.SADB_X_SATYPE_IPCOMP
  );
}

function satypeProto(ctx: Ctx): Failure | undefined {
  return satypeHasProto(ctx.m.satype)
    ? undefined
    : err(
        'EINVAL',
        ctx.base + MSG.sadb_msg_satype.offset,
        `${name(ctx)}: satype ${ctx.m.satype} names no IPsec protocol`,
      );
}

/** af_key.c pfkey_mode_to_xfrm accepts ANY, TRANSPORT, TUNNEL and BEET only. */
function modeMaps(mode: number): boolean {
  return mode <= K.IPSEC_MODE_BEET;
}

function sa2Mode(ctx: Ctx): Failure | undefined {
  const i = find(ctx, K.SADB_X_EXT_SA2);
  if (i < 0) return undefined;
  const mode = ext<{ mode: number } & PfkeyExtension>(ctx, i).mode;
  return modeMaps(mode)
    ? undefined
    : err(
        'EINVAL',
        at(ctx, i) + SA2.sadb_x_sa2_mode.offset,
        `sadb_x_sa2_mode ${mode} has no XFRM mode (only ANY, TRANSPORT, TUNNEL, BEET)`,
      );
}

function first(...checks: (() => Failure | undefined)[]): Failure | undefined {
  for (const check of checks) {
    const e = check();
    if (e) return e;
  }
  return undefined;
}

// ---------------------------------------------------------------- user space -> kernel (af_key.c handlers)

function getspiRules(ctx: Ctx): Failure | undefined {
  return first(
    () => srcDst(ctx),
    () => satypeProto(ctx),
    () => sa2Mode(ctx),
    () => {
      const i = find(ctx, K.SADB_EXT_SPIRANGE);
      if (i < 0) return undefined;
      const r = ext<{ min: number; max: number } & PfkeyExtension>(ctx, i);
      // xfrm_state.c verify_spi_info: min <= max, and IPComp CPIs are 16-bit.
      if (r.min > r.max)
        return err(
          'EINVAL',
          at(ctx, i) + RANGE.sadb_spirange_min.offset,
          `sadb_spirange_min ${r.min} exceeds max ${r.max}`,
        );
      if (ctx.m.satype === K.SADB_X_SATYPE_IPCOMP && r.max > 0xffff) {
        return err(
          'EINVAL',
          at(ctx, i) + RANGE.sadb_spirange_max.offset,
          `IPComp CPI range max ${r.max} exceeds 0xffff`,
        );
      }
      return undefined;
    },
  );
}

/** af_key.c pfkey_msg2xfrm_state, the checks before any algorithm lookup. */
function addRules(ctx: Ctx): Failure | undefined {
  const m = ctx.m;
  const s = need(ctx, K.SADB_EXT_SA);
  if (typeof s !== 'number') return s;
  const e = srcDst(ctx);
  if (e) return e;
  const keyA = find(ctx, K.SADB_EXT_KEY_AUTH);
  const keyE = find(ctx, K.SADB_EXT_KEY_ENCRYPT);
  if (m.satype === K.SADB_SATYPE_ESP && keyE < 0)
    return err('EINVAL', ctx.base, `${name(ctx)} of an ESP SA needs SADB_EXT_KEY_ENCRYPT`);
  if (m.satype === K.SADB_SATYPE_AH && keyA < 0)
    return err('EINVAL', ctx.base, `${name(ctx)} of an AH SA needs SADB_EXT_KEY_AUTH`);
  if (find(ctx, K.SADB_EXT_LIFETIME_HARD) < 0 !== find(ctx, K.SADB_EXT_LIFETIME_SOFT) < 0) {
    return err(
      'EINVAL',
      ctx.base,
      `${name(ctx)} needs SADB_EXT_LIFETIME_HARD and SADB_EXT_LIFETIME_SOFT together or neither`,
    );
  }
  const sp = satypeProto(ctx);
  if (sp) return sp;
  const sa = ext<SaExt>(ctx, s);
  const so = at(ctx, s);
  if (sa.auth > K.SADB_AALG_MAX)
    return err('EINVAL', so + SA.sadb_sa_auth.offset, `sadb_sa_auth ${sa.auth} exceeds SADB_AALG_MAX`);
  if (m.satype === K.SADB_X_SATYPE_IPCOMP && sa.encrypt > K.SADB_X_CALG_MAX) {
    return err(
      'EINVAL',
      so + SA.sadb_sa_encrypt.offset,
      `sadb_sa_encrypt ${sa.encrypt} exceeds SADB_X_CALG_MAX for IPComp`,
    );
  }
  if (sa.encrypt > K.SADB_EALG_MAX)
    return err(
      'EINVAL',
      so + SA.sadb_sa_encrypt.offset,
      `sadb_sa_encrypt ${sa.encrypt} exceeds SADB_EALG_MAX`,
    );
  if (
    keyA >= 0 &&
    sa.auth !== K.SADB_X_AALG_NULL &&
    ext<{ bits: number } & PfkeyExtension>(ctx, keyA).bits === 0
  ) {
    return err(
      'EINVAL',
      at(ctx, keyA) + KEY.sadb_key_bits.offset,
      'SADB_EXT_KEY_AUTH has 0 bits but the algorithm is not SADB_X_AALG_NULL',
    );
  }
  if (
    keyE >= 0 &&
    sa.encrypt !== K.SADB_EALG_NULL &&
    ext<{ bits: number } & PfkeyExtension>(ctx, keyE).bits === 0
  ) {
    return err(
      'EINVAL',
      at(ctx, keyE) + KEY.sadb_key_bits.offset,
      'SADB_EXT_KEY_ENCRYPT has 0 bits but the algorithm is not SADB_EALG_NULL',
    );
  }
  return sa2Mode(ctx);
}

/** Valid template protocols (include/net/xfrm.h xfrm_id_proto_valid). */
function templateProtoValid(proto: number): boolean {
  return (
    proto === K.IPPROTO_AH ||
    proto === K.IPPROTO_ESP ||
    proto === K.IPPROTO_COMP ||
    proto === K.IPPROTO_ROUTING ||
    proto === K.IPPROTO_DSTOPTS
  );
}

/** Offset of request `n` inside a policy extension at `polOff`. */
function requestOffset(pol: PolicyExt, polOff: number, n: number): number {
  let o = polOff + LAYOUT.sadb_x_policy.size;
  for (let i = 0; i < n; i++) o += requestLen(pol.requests[i] as IpsecRequest);
  return o;
}

function requestLen(rq: IpsecRequest): number {
  return rq.src === undefined ? RQ.size : RQ.size + 2 * (rq.src.family === K.AF_INET ? 16 : 28);
}

/** af_key.c pfkey_spdadd + parse_ipsecrequests (SADB_X_SPDADD, SADB_X_SPDUPDATE, SADB_X_SPDSETIDX). */
function spdAddRules(ctx: Ctx): Failure | undefined {
  const e = srcDst(ctx);
  if (e) return e;
  const p = needPolicy(ctx);
  if (typeof p !== 'number') return p;
  const pol = ext<PolicyExt>(ctx, p);
  const po = at(ctx, p);
  if (pol.policyType > K.IPSEC_POLICY_IPSEC) {
    return err(
      'EINVAL',
      po + POL.sadb_x_policy_type.offset,
      `sadb_x_policy_type ${pol.policyType} is above IPSEC_POLICY_IPSEC`,
    );
  }
  const d = policyDir(pol, po);
  if (d) return d;
  if (pol.policyType !== K.IPSEC_POLICY_IPSEC) return undefined;
  for (let i = 0; i < pol.requests.length; i++) {
    const rq = pol.requests[i] as IpsecRequest;
    const o = requestOffset(pol, po, i);
    if (i >= K.XFRM_MAX_DEPTH)
      return err('ELOOP', o, `more than ${K.XFRM_MAX_DEPTH} sadb_x_ipsecrequest (XFRM_MAX_DEPTH)`);
    const f = RQ.fields;
    if (rq.mode === K.IPSEC_MODE_ANY)
      return err(
        'EINVAL',
        o + f.sadb_x_ipsecrequest_mode.offset,
        'sadb_x_ipsecrequest_mode must not be IPSEC_MODE_ANY',
      );
    if (!templateProtoValid(rq.proto)) {
      return err(
        'EINVAL',
        o + f.sadb_x_ipsecrequest_proto.offset,
        `sadb_x_ipsecrequest_proto ${rq.proto} is not ESP, AH, COMP, ROUTING or DSTOPTS`,
      );
    }
    if (!modeMaps(rq.mode))
      return err(
        'EINVAL',
        o + f.sadb_x_ipsecrequest_mode.offset,
        `sadb_x_ipsecrequest_mode ${rq.mode} has no XFRM mode`,
      );
    if (
      rq.level === K.IPSEC_LEVEL_USE &&
      (rq.mode === K.IPSEC_MODE_TUNNEL || rq.mode === K.IPSEC_MODE_BEET) &&
      pol.dir === K.IPSEC_DIR_OUTBOUND
    ) {
      return err(
        'EINVAL',
        o + f.sadb_x_ipsecrequest_level.offset,
        'IPSEC_LEVEL_USE is refused for outbound tunnel/BEET templates',
      );
    }
    if (rq.mode === K.IPSEC_MODE_TUNNEL && rq.src === undefined) {
      return err('EINVAL', o, 'a tunnel-mode sadb_x_ipsecrequest needs its source/destination sockaddr pair');
    }
  }
  return undefined;
}

/** SPD handlers want 1 (INBOUND) .. 3 (FWD). */
function policyDir(pol: PolicyExt, po: number): Failure | undefined {
  return pol.dir === K.IPSEC_DIR_ANY || pol.dir >= K.IPSEC_DIR_MAX
    ? err(
        'EINVAL',
        po + POL.sadb_x_policy_dir.offset,
        `sadb_x_policy_dir ${pol.dir} is not INBOUND, OUTBOUND or FWD`,
      )
    : undefined;
}

function sameAddr(a: Sockaddr, b: Sockaddr): boolean {
  if (a.family !== b.family || a.addr.length !== b.addr.length) return false;
  for (let i = 0; i < a.addr.length; i++) if (a.addr[i] !== b.addr[i]) return false;
  return true;
}

function isZeroAddr(a: Sockaddr): boolean {
  for (let i = 0; i < a.addr.length; i++) if (a.addr[i] !== 0) return false;
  return true;
}

/**
 * SADB_X_MIGRATE (af_key.c pfkey_migrate + ipsecrequests_to_migrate, reference §2.1-§2.4): selector SRC/DST,
 * X_POLICY with 1..6 old/new request pairs, each half with its sockaddr pair, proto/mode/reqid equal within a
 * pair. With `user`, also xfrm_migrate's own checks (direction, all-zero new addresses, duplicate entries).
 */
function migrateRules(ctx: Ctx, user: boolean): Failure | undefined {
  const e = srcDst(ctx);
  if (e) return e;
  const p = needPolicy(ctx);
  if (typeof p !== 'number') return p;
  const pol = ext<PolicyExt>(ctx, p);
  const po = at(ctx, p);
  const dirOff = po + POL.sadb_x_policy_dir.offset;
  if (pol.dir >= K.IPSEC_DIR_MAX)
    return err('EINVAL', dirOff, `sadb_x_policy_dir ${pol.dir} is not below IPSEC_DIR_MAX`);
  const rqs = pol.requests;
  const f = RQ.fields;
  const pairs = Math.floor(rqs.length / 2);
  for (let i = 0; i < rqs.length && i < 2 * K.XFRM_MAX_DEPTH; i += 2) {
    const old = rqs[i] as IpsecRequest;
    const o = requestOffset(pol, po, i);
    if (old.src === undefined)
      return err('EINVAL', o, 'MIGRATE: old sadb_x_ipsecrequest has no sockaddr pair');
    const nw = rqs[i + 1];
    if (nw === undefined)
      return err('EINVAL', o, 'MIGRATE: old sadb_x_ipsecrequest has no new request after it');
    const n = o + requestLen(old);
    if (nw.src === undefined)
      return err('EINVAL', n, 'MIGRATE: new sadb_x_ipsecrequest has no sockaddr pair');
    if (old.proto !== nw.proto || old.mode !== nw.mode || old.reqid !== nw.reqid) {
      return err('EINVAL', n, 'MIGRATE: old and new sadb_x_ipsecrequest differ in proto, mode or reqid');
    }
    if (!modeMaps(old.mode))
      return err(
        'EINVAL',
        o + f.sadb_x_ipsecrequest_mode.offset,
        `MIGRATE: mode ${old.mode} has no XFRM mode`,
      );
  }
  if (rqs.length === 0)
    return err('EINVAL', po, 'MIGRATE needs at least one old/new sadb_x_ipsecrequest pair');
  if (pairs > K.XFRM_MAX_DEPTH) {
    return err(
      'EINVAL',
      requestOffset(pol, po, 2 * K.XFRM_MAX_DEPTH),
      `MIGRATE carries more than ${K.XFRM_MAX_DEPTH} pairs (XFRM_MAX_DEPTH)`,
    );
  }
  if (!user) return undefined;
  // xfrm_policy.c xfrm_migrate: dir must be a real XFRM direction (PF_KEY dir - 1 < XFRM_POLICY_MAX).
  if (pol.dir === K.IPSEC_DIR_ANY)
    return err('EINVAL', dirOff, 'MIGRATE: sadb_x_policy_dir IPSEC_DIR_ANY names no policy direction');
  for (let i = 0; i + 1 < rqs.length; i += 2) {
    const nw = rqs[i + 1] as IpsecRequest;
    const n = requestOffset(pol, po, i + 1);
    if (isZeroAddr(nw.src as Sockaddr) || isZeroAddr(nw.dst as Sockaddr)) {
      return err('EINVAL', n + RQ.size, 'MIGRATE: a new endpoint address is all zero');
    }
    const a = rqs[i] as IpsecRequest;
    for (let j = 0; j < i; j += 2) {
      const b = rqs[j] as IpsecRequest;
      if (
        a.proto === b.proto &&
        a.mode === b.mode &&
        a.reqid === b.reqid &&
        sameAddr(a.src as Sockaddr, b.src as Sockaddr) &&
        sameAddr(a.dst as Sockaddr, b.dst as Sockaddr)
      ) {
        return err('EINVAL', requestOffset(pol, po, i), 'MIGRATE: two pairs migrate the same old endpoints');
      }
    }
  }
  return undefined;
}

function userRules(ctx: Ctx): Failure | undefined {
  const m = ctx.m;
  if (m.reserved !== 0) {
    return err(
      'EINVAL',
      ctx.base + MSG.sadb_msg_reserved.offset,
      `sadb_msg_reserved is ${m.reserved}; user space must send 0`,
    );
  }
  switch (m.type) {
    case K.SADB_GETSPI:
      return getspiRules(ctx);
    case K.SADB_UPDATE:
    case K.SADB_ADD:
      return addRules(ctx);
    case K.SADB_DELETE:
    case K.SADB_GET: {
      const s = need(ctx, K.SADB_EXT_SA);
      return typeof s === 'number' ? srcDst(ctx) : s;
    }
    case K.SADB_ACQUIRE:
      // pfkey_acquire: user space only reports an acquire failure, header only.
      return m.extensions.length === 0
        ? undefined
        : err(
            'EOPNOTSUPP',
            ctx.base + MSG.sadb_msg_len.offset,
            'SADB_ACQUIRE from user space must be header-only (an acquire failure report)',
          );
    case K.SADB_REGISTER:
      return m.satype > K.SADB_SATYPE_MAX
        ? err(
            'EINVAL',
            ctx.base + MSG.sadb_msg_satype.offset,
            `SADB_REGISTER: satype ${m.satype} exceeds SADB_SATYPE_MAX`,
          )
        : undefined;
    case K.SADB_FLUSH:
      return satypeProto(ctx);
    case K.SADB_DUMP:
      return first(
        () => satypeProto(ctx),
        () => {
          const i = find(ctx, K.SADB_X_EXT_FILTER);
          if (i < 0) return undefined;
          const f = ext<{ splen: number; dplen: number } & PfkeyExtension>(ctx, i);
          if (f.splen > 128)
            return err(
              'EINVAL',
              at(ctx, i) + FILTER.sadb_x_filter_splen.offset,
              `sadb_x_filter_splen ${f.splen} exceeds 128`,
            );
          if (f.dplen > 128)
            return err(
              'EINVAL',
              at(ctx, i) + FILTER.sadb_x_filter_dplen.offset,
              `sadb_x_filter_dplen ${f.dplen} exceeds 128`,
            );
          return undefined;
        },
      );
    case K.SADB_X_PROMISC:
      return m.extensions.length === 0 && m.satype > 1
        ? err(
            'EINVAL',
            ctx.base + MSG.sadb_msg_satype.offset,
            `SADB_X_PROMISC: satype ${m.satype} must be 0 (off) or 1 (on)`,
          )
        : undefined;
    case K.SADB_X_SPDUPDATE:
    case K.SADB_X_SPDADD:
    case K.SADB_X_SPDSETIDX:
      return spdAddRules(ctx);
    case K.SADB_X_SPDDELETE: {
      const e = srcDst(ctx);
      if (e) return e;
      const p = needPolicy(ctx);
      return typeof p === 'number' ? policyDir(ext<PolicyExt>(ctx, p), at(ctx, p)) : p;
    }
    case K.SADB_X_SPDGET:
    case K.SADB_X_SPDDELETE2: {
      const p = needPolicy(ctx);
      if (typeof p !== 'number') return p;
      // xfrm_policy_id2dir: the index's low 3 bits are the XFRM direction (0..2).
      const id = ext<PolicyExt>(ctx, p).id;
      return (id & 7) >= 3
        ? err(
            'EINVAL',
            at(ctx, p) + POL.sadb_x_policy_id.offset,
            `sadb_x_policy_id ${id} encodes no direction`,
          )
        : undefined;
    }
    case K.SADB_X_SPDDUMP:
    case K.SADB_X_SPDFLUSH:
      return undefined;
    case K.SADB_X_MIGRATE:
      return migrateRules(ctx, true);
    default:
      // SADB_EXPIRE, SADB_X_PCHANGE, SADB_X_SPDACQUIRE, SADB_X_SPDEXPIRE, SADB_X_NAT_T_NEW_MAPPING.
      return err(
        'EOPNOTSUPP',
        ctx.base + MSG.sadb_msg_type.offset,
        `Linux has no handler for ${name(ctx)} sent to the kernel`,
      );
  }
}

// ---------------------------------------------------------------- kernel -> user space (what af_key.c emits)

/** Types whose messages come from pfkey_xfrm_policy2msg, which stores the policy refcount in reserved. */
function carriesRefcount(type: number): boolean {
  return (
    type === K.SADB_X_SPDADD ||
    type === K.SADB_X_SPDUPDATE ||
    type === K.SADB_X_SPDDELETE ||
    type === K.SADB_X_SPDDELETE2 ||
    type === K.SADB_X_SPDGET ||
    type === K.SADB_X_SPDDUMP
  );
}

function needAll(ctx: Ctx, types: readonly number[]): Failure | undefined {
  for (const t of types) {
    const i = need(ctx, t);
    if (typeof i !== 'number') return i;
  }
  return undefined;
}

function kernelRules(ctx: Ctx): Failure | undefined {
  const m = ctx.m;
  if (m.reserved !== 0 && !carriesRefcount(m.type)) {
    return err(
      'EINVAL',
      ctx.base + MSG.sadb_msg_reserved.offset,
      `sadb_msg_reserved is ${m.reserved}; Linux sets it only in SPD messages`,
    );
  }
  // Error replies are the request's header with errno set and nothing else; anything goes.
  if (m.errno !== 0) return undefined;
  switch (m.type) {
    case K.SADB_GETSPI:
    case K.SADB_UPDATE:
    case K.SADB_ADD:
    case K.SADB_DELETE:
    case K.SADB_GET:
    case K.SADB_DUMP:
      return needAll(ctx, [K.SADB_EXT_SA]) ?? srcDst(ctx);
    case K.SADB_EXPIRE:
      return (
        needAll(ctx, [K.SADB_EXT_SA]) ??
        srcDst(ctx) ??
        (find(ctx, K.SADB_EXT_LIFETIME_HARD) < 0 && find(ctx, K.SADB_EXT_LIFETIME_SOFT) < 0
          ? err('EINVAL', ctx.base, 'SADB_EXPIRE needs SADB_EXT_LIFETIME_HARD or SADB_EXT_LIFETIME_SOFT')
          : undefined)
      );
    case K.SADB_ACQUIRE:
    case K.SADB_X_SPDUPDATE:
    case K.SADB_X_SPDADD:
    case K.SADB_X_SPDSETIDX:
    case K.SADB_X_SPDDELETE:
    case K.SADB_X_SPDDELETE2:
    case K.SADB_X_SPDGET:
    case K.SADB_X_SPDDUMP:
      return srcDst(ctx) ?? needAll(ctx, [K.SADB_X_EXT_POLICY]);
    case K.SADB_X_NAT_T_NEW_MAPPING:
      return needAll(ctx, [K.SADB_EXT_SA, K.SADB_X_EXT_NAT_T_SPORT, K.SADB_X_EXT_NAT_T_DPORT]) ?? srcDst(ctx);
    case K.SADB_X_MIGRATE:
      return migrateRules(ctx, false);
    default:
      // REGISTER (SUPPORTED_* or header only), FLUSH, SPDFLUSH, PROMISC echoes; PCHANGE, SPDACQUIRE and
      // SPDEXPIRE are never emitted by Linux: structure only.
      return undefined;
  }
}

/** Where this project's extension types may appear, per origin (`user` also covers SADB_ACQUIRE, whose
 * user-space form must be header-only: its rule then answers EOPNOTSUPP as Linux does). */
const OWN_PLACES: ReadonlyMap<
  number,
  { readonly user: readonly number[]; readonly kernel: readonly number[] }
> = new Map([
  [
    K.SADB_X_EXT_REF,
    {
      user: [K.SADB_ACQUIRE, K.SADB_X_SPDADD, K.SADB_X_SPDUPDATE],
      kernel: [K.SADB_ACQUIRE, K.SADB_X_SPDADD, K.SADB_X_SPDUPDATE, K.SADB_X_SPDGET, K.SADB_X_SPDDUMP],
    },
  ],
  [
    K.SADB_X_EXT_SA_REPLAY,
    {
      user: [K.SADB_ADD, K.SADB_UPDATE],
      kernel: [
        K.SADB_GETSPI,
        K.SADB_ADD,
        K.SADB_UPDATE,
        K.SADB_DELETE,
        K.SADB_GET,
        K.SADB_DUMP,
        K.SADB_EXPIRE,
      ],
    },
  ],
]);

function placement(ctx: Ctx, origin: 'user' | 'kernel'): Failure | undefined {
  const exts = ctx.m.extensions;
  for (let i = 0; i < exts.length; i++) {
    const t = (exts[i] as PfkeyExtension).type;
    if (t <= K.SADB_EXT_MAX_LINUX) continue;
    const places = OWN_PLACES.get(t);
    if (!places) continue;
    const allowed = places[origin];
    if (allowed.includes(ctx.m.type)) continue;
    const from = origin === 'user' ? 'from user space' : 'from the kernel';
    const list = allowed.map(msgTypeName).join(', ');
    return err('EINVAL', at(ctx, i), `${extTypeName(t)} ${from} belongs only in ${list}, not ${name(ctx)}`);
  }
  return undefined;
}

function rulesOf(ctx: Ctx, origin: 'user' | 'kernel'): Failure | undefined {
  return placement(ctx, origin) ?? (origin === 'user' ? userRules(ctx) : kernelRules(ctx));
}

/**
 * Applies the message rules for `origin`; throws the PfkeyError Linux's answer corresponds to.
 * `offsets[i]` is where extension i starts and `base` where the message starts, in the caller's buffer.
 */
export function checkMessageRules(
  m: PfkeyMessage,
  offsets: readonly number[],
  base: number,
  origin: Origin,
): void {
  const ctx: Ctx = { m, offsets, base };
  let f: Failure | undefined;
  if (origin !== 'any') f = rulesOf(ctx, origin);
  else {
    const u = rulesOf(ctx, 'user');
    const k = u && rulesOf(ctx, 'kernel');
    // A type with no user-space handler is judged by what the kernel would have sent.
    f = u && k && (u.code === 'EOPNOTSUPP' ? k : u);
  }
  if (f) throw new PfkeyError(f.code, f.offset, f.reason);
}
