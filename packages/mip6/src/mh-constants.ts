/**
 * Protocol numbers of Mobile IPv6 (RFC 6275 §6, §12, §13; RFC 3776/4877 for the ICMPv6 types),
 * named as in UMIP's `netinet/ip6mh.h` and Linux `include/net/mip6.h`/`linux/icmpv6.h`, so a grep
 * against either finds them.
 */

/** Next-header values the packet codec walks (RFC 8200 §4). */
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export { IPPROTO_ICMPV6, IPPROTO_MH } from '@mip6sec/core';

/** MH Type values (RFC 6275 §6.1.2–6.1.9). */
export const IP6_MH_TYPE_BRR = 0;
export const IP6_MH_TYPE_HOTI = 1;
export const IP6_MH_TYPE_COTI = 2;
export const IP6_MH_TYPE_HOT = 3;
export const IP6_MH_TYPE_COT = 4;
export const IP6_MH_TYPE_BU = 5;
export const IP6_MH_TYPE_BACK = 6;
export const IP6_MH_TYPE_BERROR = 7;

/** Mobility option types (RFC 6275 §6.2.2–6.2.7). */
export const IP6_MHOPT_PAD1 = 0;
export const IP6_MHOPT_PADN = 1;
export const IP6_MHOPT_BREFRESH = 2;
export const IP6_MHOPT_ALTCOA = 3;
export const IP6_MHOPT_NONCEID = 4;
export const IP6_MHOPT_BAUTH = 5;

/** BU flags in the 16-bit field after the sequence number (RFC 6275 §6.1.7, host order). */
export const IP6_MH_BU_ACK = 0x8000;
export const IP6_MH_BU_HOME = 0x4000;
export const IP6_MH_BU_LLOCAL = 0x2000;
export const IP6_MH_BU_KEYM = 0x1000;
/** BA flags byte (RFC 6275 §6.1.8). */
export const IP6_MH_BA_KEYM = 0x80;

/** Binding Acknowledgement status (RFC 6275 §6.1.8). Values below 128 mean accepted. */
export const IP6_MH_BAS_ACCEPTED = 0;
export const IP6_MH_BAS_PRFX_DISCOV = 1;
export const IP6_MH_BAS_UNSPECIFIED = 128;
export const IP6_MH_BAS_PROHIBIT = 129;
export const IP6_MH_BAS_INSUFFICIENT = 130;
export const IP6_MH_BAS_HA_NOT_SUPPORTED = 131;
export const IP6_MH_BAS_NOT_HOME_SUBNET = 132;
export const IP6_MH_BAS_NOT_HA = 133;
export const IP6_MH_BAS_DAD_FAILED = 134;
export const IP6_MH_BAS_SEQNO_BAD = 135;
export const IP6_MH_BAS_HOME_NI_EXPIRED = 136;
export const IP6_MH_BAS_COA_NI_EXPIRED = 137;
export const IP6_MH_BAS_NI_EXPIRED = 138;
export const IP6_MH_BAS_REG_NOT_ALLOWED = 139;
/** Added by RFC 6275 (not in UMIP, which follows RFC 3775). */
export const IP6_MH_BAS_INVALID_COA = 174;

/** Binding Error status (RFC 6275 §6.1.9). */
export const IP6_MH_BES_UNKNOWN_HAO = 1;
export const IP6_MH_BES_UNKNOWN_MH = 2;

/** Home Address destination option and type 2 routing header (RFC 6275 §6.3, §6.4). */
export const IP6OPT_PAD1 = 0;
export const IP6OPT_PADN = 1;
export const IP6OPT_HOME_ADDRESS = 0xc9;
export const IPV6_RTHDR_TYPE_2 = 2;

/** Mobile prefix discovery (RFC 6275 §6.7, §6.8), protected in transport mode by RFC 3776/4877. */
export const ICMPV6_MOBILE_PREFIX_SOL = 146;
export const ICMPV6_MOBILE_PREFIX_ADV = 147;

/** Protocol constants (RFC 6275 §12), in milliseconds. */
export const INITIAL_BINDACK_TIMEOUT = 1_000;
export const MAX_BINDACK_TIMEOUT = 32_000;
export const MAX_UPDATE_RATE = 3;
/** Configuration variable default (RFC 6275 §13): first home registration leaves room for the HA's DAD. */
export const INITIAL_BINDACK_TIMEOUT_FIRST_REG = 1_500;

/** BU/BA lifetimes and the Binding Refresh Advice count 4-second units (RFC 6275 §6.1.7, §6.2.4). */
export const MH_LIFETIME_UNIT_SECONDS = 4;
/** The largest lifetime a 16-bit field in 4-second units carries: 262 140 s. */
export const MAX_BINDING_LIFETIME = 0xffff * MH_LIFETIME_UNIT_SECONDS;

/** The fixed length (header plus message data, before options) of each known MH type, in octets. */
export const MH_FIXED_LENGTH: Readonly<Record<number, number>> = {
  [IP6_MH_TYPE_BRR]: 8,
  [IP6_MH_TYPE_HOTI]: 16,
  [IP6_MH_TYPE_COTI]: 16,
  [IP6_MH_TYPE_HOT]: 24,
  [IP6_MH_TYPE_COT]: 24,
  [IP6_MH_TYPE_BU]: 12,
  [IP6_MH_TYPE_BACK]: 12,
  [IP6_MH_TYPE_BERROR]: 24,
};

const BA_STATUS_TEXT: Readonly<Record<number, string>> = {
  0: 'Binding Update accepted',
  1: 'Accepted but prefix discovery necessary',
  128: 'Reason unspecified',
  129: 'Administratively prohibited',
  130: 'Insufficient resources',
  131: 'Home registration not supported',
  132: 'Not home subnet',
  133: 'Not home agent for this mobile node',
  134: 'Duplicate Address Detection failed',
  135: 'Sequence number out of window',
  136: 'Expired home nonce index',
  137: 'Expired care-of nonce index',
  138: 'Expired nonces',
  139: 'Registration type change disallowed',
  174: 'Invalid Care-of Address',
};

/** Human text of a BA status, for events and logs. */
export function baStatusText(status: number): string {
  return (
    BA_STATUS_TEXT[status] ?? (status < 128 ? `accepted (status ${status})` : `rejected (status ${status})`)
  );
}

/** Values below 128 mean the BU was accepted (RFC 6275 §6.1.8). */
export function baAccepted(status: number): boolean {
  return status < 128;
}
