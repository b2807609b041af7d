/**
 * @module
 * The decoded form of a PF_KEY v2 message (RFC 2367 §2): the base header and its extensions in wire order,
 * each a plain record discriminated by `type` (the `SADB_EXT_*` / `SADB_X_EXT_*` value). Lengths never
 * appear: the encoder computes them. Field names follow the C names without their struct prefix, in
 * camelCase; where a C field is itself called `type` it gets a longer name (`policyType`, `identType`,
 * `natType`, `refType`) so `type` stays the discriminant.
 *
 * Byte fields (`addr`, `key`, `data`...) that come out of `decode` are views into the decoded buffer
 * (`subarray`), not copies: change the buffer and they change. Copy them (`slice()`) to keep them longer
 * than the buffer's contents.
 *
 * Integer conventions: u8/u16/u32 are numbers, u64 are bigints. `spi` and ports are the numeric values (the
 * codec handles network byte order); everything else in PF_KEY is host order, little-endian on Linux/x86_64.
 */

import type {
  AF_INET,
  AF_INET6,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_PROXY,
  SADB_EXT_ADDRESS_SRC,
  SADB_EXT_IDENTITY_DST,
  SADB_EXT_IDENTITY_SRC,
  SADB_EXT_KEY_AUTH,
  SADB_EXT_KEY_ENCRYPT,
  SADB_EXT_LIFETIME_CURRENT,
  SADB_EXT_LIFETIME_HARD,
  SADB_EXT_LIFETIME_SOFT,
  SADB_EXT_PROPOSAL,
  SADB_EXT_SA,
  SADB_EXT_SENSITIVITY,
  SADB_EXT_SPIRANGE,
  SADB_EXT_SUPPORTED_AUTH,
  SADB_EXT_SUPPORTED_ENCRYPT,
  SADB_X_EXT_FILTER,
  SADB_X_EXT_KMADDRESS,
  SADB_X_EXT_KMPRIVATE,
  SADB_X_EXT_NAT_T_DPORT,
  SADB_X_EXT_NAT_T_OA,
  SADB_X_EXT_NAT_T_SPORT,
  SADB_X_EXT_NAT_T_TYPE,
  SADB_X_EXT_POLICY,
  SADB_X_EXT_REF,
  SADB_X_EXT_SA_REPLAY,
  SADB_X_EXT_SA2,
  SADB_X_EXT_SEC_CTX,
  UNKNOWN_EXTENSION,
} from './constants.js';

/** `struct sockaddr_in` (16 bytes). `addr` is 4 bytes in network order. */
export interface SockaddrIn {
  family: typeof AF_INET;
  port: number;
  addr: Uint8Array;
}

/** `struct sockaddr_in6` (28 bytes). Linux writes `flowinfo` and `scopeId` as 0 and ignores them on input. */
export interface SockaddrIn6 {
  family: typeof AF_INET6;
  port: number;
  /** `sin6_flowinfo` (network order on the wire); 0 when omitted. */
  flowinfo?: number;
  addr: Uint8Array;
  /** `sin6_scope_id` (host order on the wire); 0 when omitted. */
  scopeId?: number;
}

export type Sockaddr = SockaddrIn | SockaddrIn6;

/** SADB_EXT_SA, `struct sadb_sa` (RFC 2367 §2.3.1). */
export interface SaExt {
  type: typeof SADB_EXT_SA;
  /** SPI (network order on the wire). */
  spi: number;
  replay: number;
  /** `SADB_SASTATE_*`. */
  state: number;
  /** `SADB_AALG_*`. */
  auth: number;
  /** `SADB_EALG_*`, or `SADB_X_CALG_*` when the message satype is SADB_X_SATYPE_IPCOMP. */
  encrypt: number;
  /** `SADB_SAFLAGS_*` bits. */
  flags: number;
}

/** SADB_EXT_LIFETIME_{CURRENT,HARD,SOFT}, `struct sadb_lifetime` (RFC 2367 §2.3.2). */
export interface LifetimeExt {
  type: typeof SADB_EXT_LIFETIME_CURRENT | typeof SADB_EXT_LIFETIME_HARD | typeof SADB_EXT_LIFETIME_SOFT;
  allocations: number;
  bytes: bigint;
  /** Seconds (CURRENT: absolute time of creation; HARD/SOFT: relative). */
  addtime: bigint;
  usetime: bigint;
}

/** SADB_EXT_ADDRESS_{SRC,DST,PROXY} and SADB_X_EXT_NAT_T_OA, `struct sadb_address` + sockaddr (RFC 2367 §2.3.3). */
export interface AddressExt {
  type:
    | typeof SADB_EXT_ADDRESS_SRC
    | typeof SADB_EXT_ADDRESS_DST
    | typeof SADB_EXT_ADDRESS_PROXY
    | typeof SADB_X_EXT_NAT_T_OA;
  /** Upper-layer protocol (IPSEC_ULPROTO_ANY = 255 for any in selectors; 0 in SA messages). */
  proto: number;
  prefixlen: number;
  address: Sockaddr;
}

/** SADB_EXT_KEY_{AUTH,ENCRYPT}, `struct sadb_key` + key bits (RFC 2367 §2.3.4). */
export interface KeyExt {
  type: typeof SADB_EXT_KEY_AUTH | typeof SADB_EXT_KEY_ENCRYPT;
  /** Key length in bits; `key` holds ceil(bits / 8) bytes. */
  bits: number;
  key: Uint8Array;
}

/** SADB_EXT_IDENTITY_{SRC,DST}, `struct sadb_ident` + identity string (RFC 2367 §2.3.5). */
export interface IdentityExt {
  type: typeof SADB_EXT_IDENTITY_SRC | typeof SADB_EXT_IDENTITY_DST;
  /** `SADB_IDENTTYPE_*`. */
  identType: number;
  id: bigint;
  /** Everything after the 16-byte header: normally a NUL-terminated string zero-padded to 8 bytes. */
  data: Uint8Array;
}

/** SADB_EXT_SENSITIVITY, `struct sadb_sens` + two bitmaps of u64 words (RFC 2367 §2.3.6). */
export interface SensitivityExt {
  type: typeof SADB_EXT_SENSITIVITY;
  dpd: number;
  sensLevel: number;
  /** `sadb_sens_sens_len` words (8 bytes each). */
  sensBitmap: Uint8Array;
  integLevel: number;
  /** `sadb_sens_integ_len` words (8 bytes each). */
  integBitmap: Uint8Array;
}

/** One `struct sadb_comb` (RFC 2367 §2.3.7). */
export interface SadbComb {
  auth: number;
  encrypt: number;
  flags: number;
  authMinbits: number;
  authMaxbits: number;
  encryptMinbits: number;
  encryptMaxbits: number;
  softAllocations: number;
  hardAllocations: number;
  softBytes: bigint;
  hardBytes: bigint;
  softAddtime: bigint;
  hardAddtime: bigint;
  softUsetime: bigint;
  hardUsetime: bigint;
}

/** SADB_EXT_PROPOSAL, `struct sadb_prop` + combs (RFC 2367 §2.3.7). */
export interface ProposalExt {
  type: typeof SADB_EXT_PROPOSAL;
  replay: number;
  combs: SadbComb[];
}

/** One `struct sadb_alg` (RFC 2367 §2.3.8). */
export interface SadbAlg {
  id: number;
  ivlen: number;
  minbits: number;
  maxbits: number;
}

/** SADB_EXT_SUPPORTED_{AUTH,ENCRYPT}, `struct sadb_supported` + algs (RFC 2367 §2.3.8). */
export interface SupportedExt {
  type: typeof SADB_EXT_SUPPORTED_AUTH | typeof SADB_EXT_SUPPORTED_ENCRYPT;
  algs: SadbAlg[];
}

/** SADB_EXT_SPIRANGE, `struct sadb_spirange` (RFC 2367 §2.3.9); host-order SPI bounds. */
export interface SpirangeExt {
  type: typeof SADB_EXT_SPIRANGE;
  min: number;
  max: number;
}

/** SADB_X_EXT_KMPRIVATE, `struct sadb_x_kmprivate` + opaque key-manager data (KAME). */
export interface KmprivateExt {
  type: typeof SADB_X_EXT_KMPRIVATE;
  data: Uint8Array;
}

/** One `struct sadb_x_ipsecrequest` inside SADB_X_EXT_POLICY, with its optional sockaddr pair. */
export interface IpsecRequest {
  /** IP protocol: IPPROTO_ESP 50, IPPROTO_AH 51, IPPROTO_COMP 108. */
  proto: number;
  /** `IPSEC_MODE_*`. */
  mode: number;
  /** `IPSEC_LEVEL_*`. */
  level: number;
  reqid: number;
  /** Tunnel endpoints (source first), as `sadb_x_ipsecrequest_len - 16` bytes of two same-family sockaddrs. */
  src?: Sockaddr;
  dst?: Sockaddr;
}

/** SADB_X_EXT_POLICY, `struct sadb_x_policy` + ipsecrequests (KAME/Linux). */
export interface PolicyExt {
  type: typeof SADB_X_EXT_POLICY;
  /** `IPSEC_POLICY_*`. */
  policyType: number;
  /** `IPSEC_DIR_*`. */
  dir: number;
  /** Linux policy index (low 3 bits = XFRM direction). */
  id: number;
  priority: number;
  requests: IpsecRequest[];
}

/** SADB_X_EXT_SA2, `struct sadb_x_sa2`. */
export interface Sa2Ext {
  type: typeof SADB_X_EXT_SA2;
  /** `IPSEC_MODE_*`. */
  mode: number;
  sequence: number;
  reqid: number;
}

/** SADB_X_EXT_NAT_T_TYPE, `struct sadb_x_nat_t_type`. */
export interface NatTTypeExt {
  type: typeof SADB_X_EXT_NAT_T_TYPE;
  /** UDP encapsulation type (UDP_ENCAP_ESPINUDP = 2, ..._NON_IKE = 1). */
  natType: number;
}

/** SADB_X_EXT_NAT_T_{SPORT,DPORT}, `struct sadb_x_nat_t_port`. */
export interface NatTPortExt {
  type: typeof SADB_X_EXT_NAT_T_SPORT | typeof SADB_X_EXT_NAT_T_DPORT;
  /** UDP port (network order on the wire). */
  port: number;
}

/** SADB_X_EXT_SEC_CTX, `struct sadb_x_sec_ctx` + context string. */
export interface SecCtxExt {
  type: typeof SADB_X_EXT_SEC_CTX;
  ctxAlg: number;
  ctxDoi: number;
  /** `sadb_x_ctx_len` bytes of LSM context. */
  context: Uint8Array;
}

/** SADB_X_EXT_KMADDRESS, `struct sadb_x_kmaddress` + local and remote sockaddrs (IKE endpoints for MIGRATE). */
export interface KmaddressExt {
  type: typeof SADB_X_EXT_KMADDRESS;
  /** Carried through the kernel unchanged (xfrm_kmaddress.reserved), so kept. */
  reserved: number;
  local: Sockaddr;
  remote: Sockaddr;
}

/** SADB_X_EXT_FILTER, `struct sadb_x_filter` (SADB_DUMP filter). Addresses are xfrm_address_t (16 bytes). */
export interface FilterExt {
  type: typeof SADB_X_EXT_FILTER;
  family: number;
  saddr: Uint8Array;
  daddr: Uint8Array;
  splen: number;
  dplen: number;
}

/** SADB_X_EXT_REF (this project, MSRD): a reference to a Mobility Policy Index; see x-ref.ts. */
export interface RefExt {
  type: typeof SADB_X_EXT_REF;
  refType: number;
  refTypeExt: number;
  /** Mobility Policy Index (host order u64). */
  mpi: bigint;
}

/** SADB_X_EXT_SA_REPLAY (this project): an SA's anti-replay window in packets; see x-sa-replay.ts. */
export interface SaReplayExt {
  type: typeof SADB_X_EXT_SA_REPLAY;
  /** `sadb_x_sa_replay_replay`: window size in packets (host order u32). */
  replay: number;
}

/** An extension type the codec does not know, kept byte for byte (Linux skips such types). */
export interface UnknownExt {
  type: typeof UNKNOWN_EXTENSION;
  /** The wire `sadb_ext_type`. */
  exttype: number;
  /** Everything after the 4-byte sadb_ext header. */
  data: Uint8Array;
}

export type PfkeyExtension =
  | SaExt
  | LifetimeExt
  | AddressExt
  | KeyExt
  | IdentityExt
  | SensitivityExt
  | ProposalExt
  | SupportedExt
  | SpirangeExt
  | KmprivateExt
  | PolicyExt
  | Sa2Ext
  | NatTTypeExt
  | NatTPortExt
  | SecCtxExt
  | KmaddressExt
  | FilterExt
  | RefExt
  | SaReplayExt
  | UnknownExt;

/**
 * Every extension record by each `type` value it can carry: several values share one record (ADDRESS_SRC,
 * ADDRESS_DST, ADDRESS_PROXY and NAT_T_OA are all AddressExt), so each member of a record's `type` union
 * becomes its own key.
 */
export type ExtensionByType = { [E in PfkeyExtension as E['type']]: E };

/** The extension record for a given `type` value (LIFETIME_HARD gives LifetimeExt, and so on). */
export type ExtensionOf<T extends PfkeyExtension['type']> = ExtensionByType[T];

/** A PF_KEY v2 message: `struct sadb_msg` (RFC 2367 §2.3.1) then extensions in wire order. */
export interface PfkeyMessage {
  /** `SADB_*` message type (1..24). `sadb_msg_version` is always PF_KEY_V2 and not stored. */
  type: number;
  /** Error number in kernel replies; 0 otherwise. */
  errno: number;
  /** `SADB_SATYPE_*`. */
  satype: number;
  /**
   * `sadb_msg_reserved`: must be 0 from user space; Linux's SPD messages put the policy's reference count
   * here, so it is kept.
   */
  reserved: number;
  seq: number;
  pid: number;
  extensions: PfkeyExtension[];
}

/** A message as callers write it: header fields other than `type` default to 0, extensions to none. */
export type PfkeyMessageInit = Pick<PfkeyMessage, 'type'> & Partial<Omit<PfkeyMessage, 'type'>>;

/** The first extension of the given type, typed, or undefined. */
export function getExtension<T extends PfkeyExtension['type']>(
  msg: Pick<PfkeyMessage, 'extensions'>,
  type: T,
): ExtensionOf<T> | undefined {
  for (const ext of msg.extensions) if (ext.type === type) return ext as ExtensionOf<T>;
  return undefined;
}
