/**
 * @module
 * Builders for the messages a key manager or a (simulated) kernel sends most, in the extension order Linux
 * uses: SADB_ADD/UPDATE of an SA with keys and lifetimes (RFC 2367 §3.1.4), SADB_X_SPDADD/UPDATE of a
 * policy, optionally bound to an MSRD MPI by SADB_X_EXT_REF, the kernel's (extended) SADB_ACQUIRE
 * (af_key.c pfkey_send_acquire: SRC, DST, X_POLICY, PROPOSAL, then X_REF), and the header-only error reply
 * (af_key.c pfkey_error). Text addresses are accepted wherever a sockaddr is.
 */

import { prefix, sockaddr } from './address-text.js';
import * as K from './constants.js';
import { ERRNO, type ErrnoName } from './errno.js';
import { inputError } from './input-error.js';
import { type PrefixSpec, protoToSatype, type SockaddrSpec } from './migrate-message.js';
import type { IpsecRequest, PfkeyExtension, PfkeyMessage, SadbComb, Sockaddr } from './model.js';

function sa(s: SockaddrSpec, path: string): Sockaddr {
  return typeof s === 'string' ? sockaddr(s, 0, path) : s;
}

function pfx(p: PrefixSpec, path: string): { address: Sockaddr; prefixlen: number } {
  if (typeof p === 'string') return prefix(p, path);
  if (p === null || typeof p !== 'object')
    return inputError(path, 'expected an address string or { address, prefixlen }');
  const address = sa(p.address, `${path}.address`);
  return { address, prefixlen: p.prefixlen ?? (address.family === K.AF_INET ? 32 : 128) };
}

function header(type: number, satype: number, seq = 0, pid = 0): PfkeyMessage {
  return { type, errno: 0, satype, reserved: 0, seq, pid, extensions: [] };
}

/** A lifetime as the kernel counts it: packets, bytes, seconds after add, seconds after first use. */
export interface LifetimeSpec {
  allocations?: number;
  bytes?: bigint;
  addtime?: bigint;
  usetime?: bigint;
}

function lifetime(type: 2 | 3 | 4, l: LifetimeSpec): PfkeyExtension {
  return {
    type,
    allocations: l.allocations ?? 0,
    bytes: l.bytes ?? 0n,
    addtime: l.addtime ?? 0n,
    usetime: l.usetime ?? 0n,
  };
}

export interface AddSpec {
  /** SADB_SATYPE_ESP, SADB_SATYPE_AH or SADB_X_SATYPE_IPCOMP. */
  satype: number;
  spi: number;
  src: SockaddrSpec;
  dst: SockaddrSpec;
  /** SADB_AALG_* and its key (bits default to 8 x key bytes). */
  auth?: { alg: number; key: Uint8Array; bits?: number };
  /** SADB_EALG_* (or SADB_X_CALG_* for IPComp) and its key; IPComp needs no key. */
  encrypt?: { alg: number; key?: Uint8Array; bits?: number };
  /** IPSEC_MODE_*; default TRANSPORT. */
  mode?: number;
  reqid?: number;
  replay?: number;
  /** SADB_SASTATE_*; default MATURE (RFC 2367 §3.1.4; Linux ignores it). */
  state?: number;
  flags?: number;
  /** Hard and soft lifetimes; Linux wants both or neither. */
  hard?: LifetimeSpec;
  soft?: LifetimeSpec;
  /** Build SADB_UPDATE instead of SADB_ADD. */
  update?: boolean;
  seq?: number;
  pid?: number;
}

/** SADB_ADD (or SADB_UPDATE): SA, lifetimes, SRC, DST, keys, SA2. */
export function buildAdd(spec: AddSpec): PfkeyMessage {
  const m = header(spec.update ? K.SADB_UPDATE : K.SADB_ADD, spec.satype, spec.seq, spec.pid);
  const src = sa(spec.src, 'src');
  const full = src.family === K.AF_INET ? 32 : 128;
  m.extensions.push({
    type: K.SADB_EXT_SA,
    spi: spec.spi,
    replay: spec.replay ?? 0,
    state: spec.state ?? K.SADB_SASTATE_MATURE,
    auth: spec.auth?.alg ?? K.SADB_AALG_NONE,
    encrypt: spec.encrypt?.alg ?? K.SADB_EALG_NONE,
    flags: spec.flags ?? 0,
  });
  if (spec.hard) m.extensions.push(lifetime(K.SADB_EXT_LIFETIME_HARD, spec.hard));
  if (spec.soft) m.extensions.push(lifetime(K.SADB_EXT_LIFETIME_SOFT, spec.soft));
  m.extensions.push(
    { type: K.SADB_EXT_ADDRESS_SRC, proto: 0, prefixlen: full, address: src },
    { type: K.SADB_EXT_ADDRESS_DST, proto: 0, prefixlen: full, address: sa(spec.dst, 'dst') },
  );
  if (spec.auth) {
    m.extensions.push({
      type: K.SADB_EXT_KEY_AUTH,
      bits: spec.auth.bits ?? spec.auth.key.length * 8,
      key: spec.auth.key,
    });
  }
  if (spec.encrypt?.key) {
    m.extensions.push({
      type: K.SADB_EXT_KEY_ENCRYPT,
      bits: spec.encrypt.bits ?? spec.encrypt.key.length * 8,
      key: spec.encrypt.key,
    });
  }
  m.extensions.push({
    type: K.SADB_X_EXT_SA2,
    mode: spec.mode ?? K.IPSEC_MODE_TRANSPORT,
    sequence: 0,
    reqid: spec.reqid ?? 0,
  });
  return m;
}

/** One template of a policy: protocol, mode, level, reqid and (tunnel mode) endpoints. */
export interface TemplateSpec {
  proto: number;
  mode: number;
  level?: number;
  reqid?: number;
  src?: SockaddrSpec;
  dst?: SockaddrSpec;
}

/** An MSRD reference (SADB_X_EXT_REF). */
export interface RefSpec {
  mpi: bigint;
  refType?: number;
  refTypeExt?: number;
}

export interface SpdAddSpec {
  selector: { src: PrefixSpec; dst: PrefixSpec; proto?: number };
  /** IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND or IPSEC_DIR_FWD. */
  dir: number;
  /** IPSEC_POLICY_*; default IPSEC. */
  policyType?: number;
  priority?: number;
  id?: number;
  templates?: TemplateSpec[];
  /** Bind the policy to an MSRD MPI. */
  ref?: RefSpec;
  /** Build SADB_X_SPDUPDATE instead of SADB_X_SPDADD. */
  update?: boolean;
  seq?: number;
  pid?: number;
}

function template(t: TemplateSpec, i: number): IpsecRequest {
  const reqid = t.reqid ?? 0;
  const rq: IpsecRequest = {
    proto: t.proto,
    mode: t.mode,
    level: t.level ?? (reqid !== 0 ? K.IPSEC_LEVEL_UNIQUE : K.IPSEC_LEVEL_REQUIRE),
    reqid,
  };
  if ((t.src === undefined) !== (t.dst === undefined))
    inputError(`templates[${i}]`, 'give both src and dst, or neither');
  if (t.src !== undefined && t.dst !== undefined) {
    rq.src = sa(t.src, `templates[${i}].src`);
    rq.dst = sa(t.dst, `templates[${i}].dst`);
  }
  return rq;
}

function ref(r: RefSpec): PfkeyExtension {
  return { type: K.SADB_X_EXT_REF, refType: r.refType ?? 0, refTypeExt: r.refTypeExt ?? 0, mpi: r.mpi };
}

/** SADB_X_SPDADD (or SADB_X_SPDUPDATE): SRC, DST, X_POLICY with its ipsecrequests, then X_REF if given. */
export function buildSpdAdd(spec: SpdAddSpec): PfkeyMessage {
  const m = header(
    spec.update ? K.SADB_X_SPDUPDATE : K.SADB_X_SPDADD,
    K.SADB_SATYPE_UNSPEC,
    spec.seq,
    spec.pid,
  );
  const proto = spec.selector.proto ?? K.IPSEC_ULPROTO_ANY;
  const src = pfx(spec.selector.src, 'selector.src');
  const dst = pfx(spec.selector.dst, 'selector.dst');
  m.extensions.push(
    { type: K.SADB_EXT_ADDRESS_SRC, proto, prefixlen: src.prefixlen, address: src.address },
    { type: K.SADB_EXT_ADDRESS_DST, proto, prefixlen: dst.prefixlen, address: dst.address },
    {
      type: K.SADB_X_EXT_POLICY,
      policyType: spec.policyType ?? K.IPSEC_POLICY_IPSEC,
      dir: spec.dir,
      id: spec.id ?? 0,
      priority: spec.priority ?? 0,
      requests: (spec.templates ?? []).map(template),
    },
  );
  if (spec.ref) m.extensions.push(ref(spec.ref));
  return m;
}

export interface AcquireSpec {
  /** The SA's protocol (IPPROTO_ESP / IPPROTO_AH); sets the satype. */
  proto: number;
  /** SA endpoints (tunnel endpoints or packet addresses). */
  src: SockaddrSpec;
  dst: SockaddrSpec;
  /** The triggering policy's index and priority. */
  policyId: number;
  priority?: number;
  /** Acquire sequence number (af_key.c keeps its own counter). */
  seq: number;
  /** PROPOSAL combs; Linux sends replay 32. */
  combs?: SadbComb[];
  /** Extended ACQUIRE: the MSRD MPI the triggering policy is bound to. */
  ref?: RefSpec;
}

/** The kernel's SADB_ACQUIRE to registered key managers, optionally extended with SADB_X_EXT_REF. */
export function buildAcquire(spec: AcquireSpec): PfkeyMessage {
  const m = header(K.SADB_ACQUIRE, protoToSatype(spec.proto), spec.seq, 0);
  const src = sa(spec.src, 'src');
  const dst = sa(spec.dst, 'dst');
  const full = src.family === K.AF_INET ? 32 : 128;
  m.extensions.push(
    { type: K.SADB_EXT_ADDRESS_SRC, proto: 0, prefixlen: full, address: src },
    { type: K.SADB_EXT_ADDRESS_DST, proto: 0, prefixlen: full, address: dst },
    {
      type: K.SADB_X_EXT_POLICY,
      policyType: K.IPSEC_POLICY_IPSEC,
      dir: K.IPSEC_DIR_OUTBOUND,
      id: spec.policyId,
      priority: spec.priority ?? 0,
      requests: [],
    },
  );
  if (spec.combs) m.extensions.push({ type: K.SADB_EXT_PROPOSAL, replay: 32, combs: spec.combs });
  if (spec.ref) m.extensions.push(ref(spec.ref));
  return m;
}

/**
 * The kernel's answer to a request it refused (af_key.c pfkey_error): the request's header with
 * `sadb_msg_errno` set and no extensions. Errno values of 512 and up become EINVAL, as in Linux.
 */
export function errorReply(
  request: Pick<PfkeyMessage, 'type' | 'satype' | 'seq' | 'pid' | 'reserved'>,
  errno: number | ErrnoName,
): PfkeyMessage {
  let n = typeof errno === 'number' ? errno : ERRNO[errno];
  if (n >= 512) n = ERRNO.EINVAL;
  if (!Number.isInteger(n) || n <= 0 || n > 255)
    inputError('errno', `errno ${String(errno)} is not in 1..255`);
  return {
    type: request.type,
    errno: n,
    satype: request.satype,
    reserved: request.reserved,
    seq: request.seq,
    pid: request.pid,
    extensions: [],
  };
}
