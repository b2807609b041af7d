/**
 * Between PF_KEY records (@mip6sec/pfkey-codec's model) and core's model: addresses, selectors, policy
 * templates and policies, MIGRATE bundles. Both sides of the socket use it: the kernel to read requests
 * and write replies, the SimKernel adapter to write requests and read replies. Conversion rules follow
 * af_key.c (kernel-interfaces.md section 1.5):
 *
 * - Selector protocol: 255 (IPSEC_ULPROTO_ANY) and 0 both mean any; the DST extension's value is taken.
 * - MH-type selectors: Linux carries the Mobility Header type in the source port of a protocol-135
 *   selector (`sel.sport = htons(type)`), so a non-zero source port on an MH selector is its `mhType`.
 * - Template levels: DEFAULT and REQUIRE are the same to the kernel; on output a template with a reqid
 *   reads UNIQUE, an optional one USE, anything else REQUIRE.
 * - Directions: sadb_x_policy_dir INBOUND 1, OUTBOUND 2, FWD 3.
 */
import {
  type Direction,
  IPPROTO_MH,
  type Ip,
  type IpsecLevel,
  type IpsecMode,
  type IpsecProto,
  type IpsecRequest,
  ipFromBytes,
  ipToBytes,
  type MigrateBundle,
  type MsrdRef,
  type PolicyAction,
  PROTO_ANY,
  type Selector,
} from '@mip6sec/core';
import {
  type AddressExt,
  AF_INET,
  AF_INET6,
  IPPROTO_AH,
  IPPROTO_COMP,
  IPPROTO_ESP,
  IPSEC_DIR_FWD,
  IPSEC_DIR_INBOUND,
  IPSEC_DIR_OUTBOUND,
  IPSEC_LEVEL_DEFAULT,
  IPSEC_LEVEL_REQUIRE,
  IPSEC_LEVEL_UNIQUE,
  IPSEC_LEVEL_USE,
  IPSEC_MODE_ANY,
  IPSEC_MODE_TRANSPORT,
  IPSEC_MODE_TUNNEL,
  IPSEC_POLICY_DISCARD,
  IPSEC_POLICY_IPSEC,
  IPSEC_POLICY_NONE,
  type IpsecRequest as PfkeyRequest,
  type PolicyExt,
  type RefExt,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_SRC,
  SADB_SATYPE_AH,
  SADB_SATYPE_ESP,
  SADB_SATYPE_UNSPEC,
  SADB_X_EXT_POLICY,
  SADB_X_EXT_REF,
  SADB_X_SATYPE_IPCOMP,
  type Sockaddr,
} from '@mip6sec/pfkey-codec';
import { fail } from './errors.js';

export type SaProto = 'esp' | 'ah';

export function ipOf(sa: Sockaddr): Ip {
  return ipFromBytes(sa.addr, 0, sa.family === AF_INET ? 4 : 6);
}

export function sockaddrOf(ip: Ip, port = 0): Sockaddr {
  const addr = ipToBytes(ip);
  return addr.length === 4 ? { family: AF_INET, port, addr } : { family: AF_INET6, port, addr };
}

export function fullLength(ip: Ip): number {
  return ip.includes(':') ? 128 : 32;
}

/** sadb_msg_satype of an SA protocol (pfkey_proto2satype). */
export function satypeOf(proto: IpsecProto): number {
  return proto === 'esp' ? SADB_SATYPE_ESP : proto === 'ah' ? SADB_SATYPE_AH : SADB_X_SATYPE_IPCOMP;
}

/** The SA protocol a satype names; undefined for UNSPEC (any) and those the simulation has no SAs of. */
export function protoOfSatype(satype: number): SaProto | undefined {
  return satype === SADB_SATYPE_ESP ? 'esp' : satype === SADB_SATYPE_AH ? 'ah' : undefined;
}

export function satypeIsAny(satype: number): boolean {
  return satype === SADB_SATYPE_UNSPEC;
}

const PROTO_NUM: Readonly<Record<IpsecProto, number>> = {
  esp: IPPROTO_ESP,
  ah: IPPROTO_AH,
  ipcomp: IPPROTO_COMP,
};

export function ipsecProtoNumber(p: IpsecProto): number {
  return PROTO_NUM[p];
}

export function ipsecProtoOf(n: number): IpsecProto | undefined {
  return n === IPPROTO_ESP ? 'esp' : n === IPPROTO_AH ? 'ah' : n === IPPROTO_COMP ? 'ipcomp' : undefined;
}

/** IPSEC_MODE_* to core; ANY is transport (af_key.c pfkey_mode_to_xfrm). BEET has no core mode. */
export function modeOf(mode: number): IpsecMode | undefined {
  return mode === IPSEC_MODE_ANY || mode === IPSEC_MODE_TRANSPORT
    ? 'transport'
    : mode === IPSEC_MODE_TUNNEL
      ? 'tunnel'
      : undefined;
}

export function modeNumber(mode: IpsecMode): number {
  return mode === 'tunnel' ? IPSEC_MODE_TUNNEL : IPSEC_MODE_TRANSPORT;
}

export function dirOf(dir: number): Direction | undefined {
  return dir === IPSEC_DIR_INBOUND
    ? 'in'
    : dir === IPSEC_DIR_OUTBOUND
      ? 'out'
      : dir === IPSEC_DIR_FWD
        ? 'fwd'
        : undefined;
}

export function dirNumber(dir: Direction): number {
  return dir === 'in' ? IPSEC_DIR_INBOUND : dir === 'out' ? IPSEC_DIR_OUTBOUND : IPSEC_DIR_FWD;
}

export function actionOf(policyType: number): PolicyAction {
  return policyType === IPSEC_POLICY_DISCARD
    ? 'discard'
    : policyType === IPSEC_POLICY_IPSEC
      ? 'protect'
      : 'bypass';
}

export function policyTypeOf(action: PolicyAction): number {
  return action === 'discard'
    ? IPSEC_POLICY_DISCARD
    : action === 'protect'
      ? IPSEC_POLICY_IPSEC
      : IPSEC_POLICY_NONE;
}

/** A selector from SADB_EXT_ADDRESS_SRC/DST (af_key.c pfkey_spdadd): DST's protocol, MH type in sport. */
export function selectorFromExts(src: AddressExt, dst: AddressExt): Selector {
  const proto = dst.proto === 0 ? PROTO_ANY : dst.proto;
  const s = {
    src: { addr: ipOf(src.address), len: src.prefixlen },
    dst: { addr: ipOf(dst.address), len: dst.prefixlen },
    proto,
    srcPort: src.address.port,
    dstPort: dst.address.port,
  };
  if (proto === IPPROTO_MH && s.srcPort !== 0) return { ...s, srcPort: 0, mhType: s.srcPort };
  return s;
}

/**
 * SADB_EXT_ADDRESS_SRC/DST for a selector. `migrateEcho` writes what pfkey_send_migrate writes: the raw
 * XFRM protocol (0 for any) and no ports.
 */
export function selectorToExts(s: Selector, migrateEcho = false): [AddressExt, AddressExt] {
  const proto = migrateEcho ? (s.proto === PROTO_ANY ? 0 : s.proto) : s.proto;
  const sport = migrateEcho ? 0 : s.mhType !== undefined ? s.mhType : s.srcPort;
  const dport = migrateEcho ? 0 : s.dstPort;
  return [
    { type: SADB_EXT_ADDRESS_SRC, proto, prefixlen: s.src.len, address: sockaddrOf(s.src.addr, sport) },
    { type: SADB_EXT_ADDRESS_DST, proto, prefixlen: s.dst.len, address: sockaddrOf(s.dst.addr, dport) },
  ];
}

/** SA endpoint address extensions (proto 0, full prefix, port 0, as af_key.c writes them for SAs). */
export function endpointExts(src: Ip, dst: Ip): [AddressExt, AddressExt] {
  return [
    { type: SADB_EXT_ADDRESS_SRC, proto: 0, prefixlen: fullLength(src), address: sockaddrOf(src) },
    { type: SADB_EXT_ADDRESS_DST, proto: 0, prefixlen: fullLength(dst), address: sockaddrOf(dst) },
  ];
}

const LEVELS: readonly IpsecLevel[] = ['default', 'use', 'require', 'unique'];

export function templateFromRequest(rq: PfkeyRequest): IpsecRequest {
  const proto = ipsecProtoOf(rq.proto);
  if (!proto) fail('EINVAL', `template protocol ${rq.proto} is not ESP, AH or IPComp in the simulation`);
  const mode = modeOf(rq.mode);
  if (!mode) fail('EINVAL', `template mode ${rq.mode} is not transport or tunnel in the simulation`);
  const level = LEVELS[rq.level] ?? 'require';
  return {
    proto,
    mode,
    level: level === 'default' ? 'require' : level,
    reqid: rq.reqid,
    ...(rq.src && rq.dst ? { src: ipOf(rq.src), dst: ipOf(rq.dst) } : {}),
  };
}

export function templateToRequest(t: IpsecRequest): PfkeyRequest {
  const level =
    t.reqid !== 0
      ? IPSEC_LEVEL_UNIQUE
      : t.level === 'use'
        ? IPSEC_LEVEL_USE
        : t.level === 'default'
          ? IPSEC_LEVEL_DEFAULT
          : t.level === 'unique'
            ? IPSEC_LEVEL_UNIQUE
            : IPSEC_LEVEL_REQUIRE;
  return {
    proto: ipsecProtoNumber(t.proto),
    mode: modeNumber(t.mode),
    level,
    reqid: t.reqid,
    ...(t.src !== undefined && t.dst !== undefined ? { src: sockaddrOf(t.src), dst: sockaddrOf(t.dst) } : {}),
  };
}

export interface PolicyFields {
  readonly dir: Direction;
  readonly action: PolicyAction;
  readonly index: number;
  readonly priority: number;
  readonly templates: readonly IpsecRequest[];
}

export function policyExt(p: PolicyFields): PolicyExt {
  return {
    type: SADB_X_EXT_POLICY,
    policyType: policyTypeOf(p.action),
    dir: dirNumber(p.dir),
    id: p.index,
    priority: p.priority,
    requests: p.action === 'protect' ? p.templates.map(templateToRequest) : [],
  };
}

/**
 * The MSRD reference as the kernel stores it: core's two fields plus sadb_ref_type_ext, which the kernel
 * keeps so its answers give back exactly what was written. Only the kernel side holds this shape.
 */
export type StoredRef = MsrdRef & { readonly refTypeExt?: number };

/** Kernel side: the reference to store for a policy, type extension included. */
export function storedRefFromExt(e: RefExt): StoredRef {
  return { mpi: e.mpi, refType: e.refType, refTypeExt: e.refTypeExt };
}

/**
 * Key-manager side (SimKernel): core's MsrdRef, exactly `{ mpi, refType }`; core's model has no field for
 * sadb_ref_type_ext, so it stays in the bytes.
 */
export function msrdRefFromExt(e: RefExt): MsrdRef {
  return { mpi: e.mpi, refType: e.refType };
}

export function refExt(r: StoredRef): RefExt {
  return { type: SADB_X_EXT_REF, refType: r.refType, refTypeExt: r.refTypeExt ?? 0, mpi: r.mpi };
}

/** MIGRATE old/new request pairs as core bundles; pairs in modes the model lacks (BEET) come back undefined. */
export function bundlesFromRequests(requests: readonly PfkeyRequest[]): (MigrateBundle | undefined)[] {
  const out: (MigrateBundle | undefined)[] = [];
  for (let i = 0; i + 1 < requests.length; i += 2) {
    const o = requests[i]!;
    const n = requests[i + 1]!;
    const proto = ipsecProtoOf(o.proto);
    const mode = modeOf(o.mode);
    if (!proto || !mode || !o.src || !o.dst || !n.src || !n.dst) {
      out.push(undefined);
      continue;
    }
    out.push({
      proto,
      mode,
      level: LEVELS[o.level] ?? 'require',
      reqid: o.reqid,
      oldSrc: ipOf(o.src),
      oldDst: ipOf(o.dst),
      newSrc: ipOf(n.src),
      newDst: ipOf(n.dst),
    });
  }
  return out;
}

/** Old/new request pairs for bundles, levels as pfkey_send_migrate writes them. */
export function bundlesToRequests(bundles: readonly MigrateBundle[]): PfkeyRequest[] {
  const out: PfkeyRequest[] = [];
  for (const b of bundles) {
    const half = (src: Ip, dst: Ip): PfkeyRequest => ({
      proto: ipsecProtoNumber(b.proto),
      mode: modeNumber(b.mode),
      level: b.reqid !== 0 ? IPSEC_LEVEL_UNIQUE : IPSEC_LEVEL_REQUIRE,
      reqid: b.reqid,
      src: sockaddrOf(src),
      dst: sockaddrOf(dst),
    });
    out.push(half(b.oldSrc, b.oldDst), half(b.newSrc, b.newDst));
  }
  return out;
}
