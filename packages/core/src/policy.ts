/**
 * Security policies (RFC 4301 4.4.1; PF_KEY sadb_x_policy with its sadb_x_ipsecrequest list).
 */
import type { Ip } from './address.js';
import type { Selector } from './selector.js';
import { selectorKeys } from './selector.js';

export type Direction = 'in' | 'out' | 'fwd';
/** protect = IPSEC, bypass = NONE, discard = DISCARD in linux/ipsec.h. */
export type PolicyAction = 'protect' | 'bypass' | 'discard';
export type IpsecProto = 'esp' | 'ah' | 'ipcomp';
export type IpsecMode = 'transport' | 'tunnel';
export type IpsecLevel = 'default' | 'use' | 'require' | 'unique';

/** One template of a protect policy (sadb_x_ipsecrequest). Tunnel templates carry endpoints. */
export interface IpsecRequest {
  readonly proto: IpsecProto;
  readonly mode: IpsecMode;
  readonly level: IpsecLevel;
  readonly reqid: number;
  /** Tunnel (or explicit transport) endpoints; absent for plain transport mode. */
  readonly src?: Ip;
  readonly dst?: Ip;
}

/** The MSRD reference a policy is bound to (SADB_X_EXT_REF). */
export interface MsrdRef {
  readonly mpi: bigint;
  readonly refType: number;
}

export interface PolicyId {
  readonly selector: Selector;
  readonly dir: Direction;
}

export interface PolicyData {
  readonly action: PolicyAction;
  /** Lower values win (Linux priority semantics). */
  readonly priority: number;
  readonly templates: readonly IpsecRequest[];
  readonly ref?: MsrdRef;
}

export interface SecurityPolicy extends PolicyId, PolicyData {
  /** Kernel-assigned index (sadb_x_policy_id). */
  readonly index: number;
}

export function policyKey(id: PolicyId): string {
  const k = selectorKeys(id.selector);
  // Made once per selector and direction, and shared by every map keyed by it.
  const made = k[id.dir];
  if (made !== undefined) return made;
  const key = `${id.dir} ${k.selector}`;
  k[id.dir] = key;
  return key;
}
