/**
 * @module
 * SADB_X_MIGRATE as draft-ebalard-mext-pfkey-enhanced-migrate Appendix A lays it out and Linux parses and
 * emits it (af_key.c pfkey_migrate / pfkey_send_migrate, reference §2):
 *
 * ```
 * sadb_msg (type SADB_X_MIGRATE)
 * SADB_X_EXT_KMADDRESS   IKE local/remote addresses (optional)
 * SADB_EXT_ADDRESS_SRC   selector source (address, prefix, upper-layer protocol, port)
 * SADB_EXT_ADDRESS_DST   selector destination
 * SADB_X_EXT_POLICY      direction; then per migrated SA/template an old sadb_x_ipsecrequest with the old
 *                        endpoints and a new one with the new endpoints (1..6 pairs)
 * ```
 *
 * `buildMigrate` makes that message from a description; `readMigrate` gives the description back.
 */

import { prefix, sockaddr } from './address-text.js';
import * as K from './constants.js';
import { inputError } from './input-error.js';
import type { AddressExt, IpsecRequest, KmaddressExt, PfkeyMessage, PolicyExt, Sockaddr } from './model.js';
import { PfkeyError } from './pfkey-error.js';

/** An address and prefix: `'2001:db8::1'`, `'2001:db8::/64'`, or a sockaddr with an optional prefix length. */
export type PrefixSpec = string | { address: Sockaddr | string; prefixlen?: number };

/** A sockaddr, or an address in text (port 0). */
export type SockaddrSpec = Sockaddr | string;

export interface SelectorSpec {
  src: PrefixSpec;
  dst: PrefixSpec;
  /** Upper-layer protocol of the selector; default IPSEC_ULPROTO_ANY (255). */
  proto?: number;
}

export interface EndpointPair {
  src: SockaddrSpec;
  dst: SockaddrSpec;
}

/** One migrated SA / template: proto, mode and reqid shared by both halves; old and new endpoints. */
export interface MigrateBundle {
  /** IPPROTO_ESP (50), IPPROTO_AH (51) or IPPROTO_COMP (108). */
  proto: number;
  /** IPSEC_MODE_*. */
  mode: number;
  /** Default 0. */
  reqid?: number;
  /** Default IPSEC_LEVEL_UNIQUE when reqid is set, else IPSEC_LEVEL_REQUIRE (what Linux emits). */
  level?: number;
  old: EndpointPair;
  new: EndpointPair;
}

export interface MigrateSpec {
  selector: SelectorSpec;
  /** IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND or IPSEC_DIR_FWD. */
  dir: number;
  /** Addresses IKE should use from now on (SADB_X_EXT_KMADDRESS); left out when absent. */
  kmaddress?: { local: SockaddrSpec; remote: SockaddrSpec; reserved?: number };
  bundles: MigrateBundle[];
  /** Default: the satype of the first bundle's protocol (ESP 3, AH 2, COMP 9), as Linux sets it. */
  satype?: number;
  seq?: number;
  pid?: number;
}

/** A bundle as `readMigrate` returns it: every field present, every address a sockaddr. */
export interface MigrateBundleView {
  proto: number;
  mode: number;
  reqid: number;
  level: number;
  old: { src: Sockaddr; dst: Sockaddr };
  new: { src: Sockaddr; dst: Sockaddr };
}

/** What `readMigrate` returns: the spec with every address as a sockaddr. */
export interface MigrateView {
  selector: {
    src: { address: Sockaddr; prefixlen: number };
    dst: { address: Sockaddr; prefixlen: number };
    proto: number;
  };
  dir: number;
  kmaddress?: { local: Sockaddr; remote: Sockaddr; reserved: number };
  bundles: MigrateBundleView[];
  satype: number;
  seq: number;
  pid: number;
}

function toSockaddr(s: SockaddrSpec, path: string): Sockaddr {
  return typeof s === 'string' ? sockaddr(s, 0, path) : s;
}

function toPrefix(p: PrefixSpec, path: string): { address: Sockaddr; prefixlen: number } {
  if (typeof p === 'string') return prefix(p, path);
  if (p === null || typeof p !== 'object')
    return inputError(path, 'expected an address string or { address, prefixlen }');
  const address = toSockaddr(p.address, `${path}.address`);
  return { address, prefixlen: p.prefixlen ?? (address.family === K.AF_INET ? 32 : 128) };
}

/** af_key.c pfkey_proto2satype. */
export function protoToSatype(proto: number): number {
  switch (proto) {
    case K.IPPROTO_AH:
      return K.SADB_SATYPE_AH;
    case K.IPPROTO_ESP:
      return K.SADB_SATYPE_ESP;
    case K.IPPROTO_COMP:
      return K.SADB_X_SATYPE_IPCOMP;
    default:
      return K.SADB_SATYPE_UNSPEC;
  }
}

/**
 * Builds an SADB_X_MIGRATE message (extensions in the draft's order). Address text errors throw
 * PfkeyInputError; encode() checks the rest.
 */
export function buildMigrate(spec: MigrateSpec): PfkeyMessage {
  if (!Array.isArray(spec.bundles) || spec.bundles.length === 0)
    inputError('bundles', 'at least one bundle is needed');
  const src = toPrefix(spec.selector.src, 'selector.src');
  const dst = toPrefix(spec.selector.dst, 'selector.dst');
  const proto = spec.selector.proto ?? K.IPSEC_ULPROTO_ANY;
  const requests: IpsecRequest[] = [];
  spec.bundles.forEach((b, i) => {
    const reqid = b.reqid ?? 0;
    const level = b.level ?? (reqid !== 0 ? K.IPSEC_LEVEL_UNIQUE : K.IPSEC_LEVEL_REQUIRE);
    const half = (pair: EndpointPair, which: string): IpsecRequest => ({
      proto: b.proto,
      mode: b.mode,
      level,
      reqid,
      src: toSockaddr(pair.src, `bundles[${i}].${which}.src`),
      dst: toSockaddr(pair.dst, `bundles[${i}].${which}.dst`),
    });
    requests.push(half(b.old, 'old'), half(b.new, 'new'));
  });
  const extensions: PfkeyMessage['extensions'] = [];
  if (spec.kmaddress) {
    extensions.push({
      type: K.SADB_X_EXT_KMADDRESS,
      reserved: spec.kmaddress.reserved ?? 0,
      local: toSockaddr(spec.kmaddress.local, 'kmaddress.local'),
      remote: toSockaddr(spec.kmaddress.remote, 'kmaddress.remote'),
    });
  }
  extensions.push(
    { type: K.SADB_EXT_ADDRESS_SRC, proto, prefixlen: src.prefixlen, address: src.address },
    { type: K.SADB_EXT_ADDRESS_DST, proto, prefixlen: dst.prefixlen, address: dst.address },
    {
      type: K.SADB_X_EXT_POLICY,
      policyType: K.IPSEC_POLICY_IPSEC,
      dir: spec.dir,
      id: 0,
      priority: 0,
      requests,
    },
  );
  return {
    type: K.SADB_X_MIGRATE,
    errno: 0,
    satype: spec.satype ?? protoToSatype((spec.bundles[0] as MigrateBundle).proto),
    reserved: 0,
    seq: spec.seq ?? 0,
    pid: spec.pid ?? 0,
    extensions,
  };
}

/**
 * The selector, direction, KM addresses and old/new bundles of a decoded SADB_X_MIGRATE. Throws PfkeyError
 * (EINVAL at byte 1) when `msg` is not a MIGRATE, or EINVAL at byte 0 when it lacks its parts (a message
 * that came through decode() always has them). The selector proto is the DST extension's, as Linux takes it.
 */
export function readMigrate(msg: PfkeyMessage): MigrateView {
  if (msg.type !== K.SADB_X_MIGRATE)
    throw new PfkeyError('EINVAL', 1, `message type ${msg.type} is not SADB_X_MIGRATE`);
  let src: AddressExt | undefined;
  let dst: AddressExt | undefined;
  let pol: PolicyExt | undefined;
  let kma: KmaddressExt | undefined;
  for (const e of msg.extensions) {
    if (e.type === K.SADB_EXT_ADDRESS_SRC) src = e;
    else if (e.type === K.SADB_EXT_ADDRESS_DST) dst = e;
    else if (e.type === K.SADB_X_EXT_POLICY) pol = e;
    else if (e.type === K.SADB_X_EXT_KMADDRESS) kma = e;
  }
  if (!src || !dst || !pol)
    throw new PfkeyError('EINVAL', 0, 'SADB_X_MIGRATE needs ADDRESS_SRC, ADDRESS_DST and X_POLICY');
  const bundles: MigrateView['bundles'] = [];
  for (let i = 0; i + 1 < pol.requests.length; i += 2) {
    const o = pol.requests[i] as IpsecRequest;
    const n = pol.requests[i + 1] as IpsecRequest;
    if (!o.src || !o.dst || !n.src || !n.dst)
      throw new PfkeyError('EINVAL', 0, 'SADB_X_MIGRATE request without its sockaddr pair');
    bundles.push({
      proto: o.proto,
      mode: o.mode,
      reqid: o.reqid,
      level: o.level,
      old: { src: o.src, dst: o.dst },
      new: { src: n.src, dst: n.dst },
    });
  }
  const view: MigrateView = {
    selector: {
      src: { address: src.address, prefixlen: src.prefixlen },
      dst: { address: dst.address, prefixlen: dst.prefixlen },
      proto: dst.proto,
    },
    dir: pol.dir,
    bundles,
    satype: msg.satype,
    seq: msg.seq,
    pid: msg.pid,
  };
  if (kma) view.kmaddress = { local: kma.local, remote: kma.remote, reserved: kma.reserved };
  return view;
}
