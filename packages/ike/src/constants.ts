/**
 * IKEv2 protocol numbers, one table per registry, named as RFC 7296 section 3 and the IANA
 * "Internet Key Exchange Version 2 (IKEv2) Parameters" registry name them (RFC 4555 and RFC 5026
 * additions included).
 */

/** RFC 7296 section 3.1: Exchange Type. */
export const EXCHANGE = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
} as const;
export type ExchangeName = keyof typeof EXCHANGE;

/** RFC 7296 section 3.1: header flags. */
export const FLAG_RESPONSE = 0x20;
export const FLAG_VERSION = 0x10;
export const FLAG_INITIATOR = 0x08;

export const IKE_HEADER_LENGTH = 28;
export const GENERIC_PAYLOAD_HEADER_LENGTH = 4;
/** MjVer 2, MnVer 0. */
export const IKE_VERSION = 0x20;

/** RFC 7296 section 3.2 (and RFC 7383 for SKF): Next Payload / payload type. */
export const PAYLOAD = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  N: 41,
  D: 42,
  V: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  SKF: 53,
} as const;

/** RFC 7296 section 3.2: the Critical bit of the generic payload header. */
export const PAYLOAD_CRITICAL = 0x80;

/** RFC 7296 section 3.3.1: Protocol ID of proposals, notifies and deletes. */
export const PROTOCOL = {
  NONE: 0,
  IKE: 1,
  AH: 2,
  ESP: 3,
} as const;

/** RFC 7296 section 3.3.2: Transform Type. */
export const TRANSFORM_TYPE = {
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  DH: 4,
  ESN: 5,
} as const;

/** RFC 7296 section 3.3.2 transform type 1 (with RFC 5282, RFC 7634). */
export const ENCR = {
  ENCR_3DES: 3,
  ENCR_NULL: 11,
  ENCR_AES_CBC: 12,
  ENCR_AES_CTR: 13,
  ENCR_AES_CCM_8: 14,
  ENCR_AES_CCM_12: 15,
  ENCR_AES_CCM_16: 16,
  ENCR_AES_GCM_8: 18,
  ENCR_AES_GCM_12: 19,
  ENCR_AES_GCM_16: 20,
  ENCR_CHACHA20_POLY1305: 28,
} as const;

/** Transform type 2. */
export const PRF = {
  PRF_HMAC_MD5: 1,
  PRF_HMAC_SHA1: 2,
  PRF_AES128_XCBC: 4,
  PRF_HMAC_SHA2_256: 5,
  PRF_HMAC_SHA2_384: 6,
  PRF_HMAC_SHA2_512: 7,
  PRF_AES128_CMAC: 8,
} as const;

/** Transform type 3. */
export const AUTH_ALG = {
  NONE: 0,
  AUTH_HMAC_MD5_96: 1,
  AUTH_HMAC_SHA1_96: 2,
  AUTH_AES_XCBC_96: 5,
  AUTH_HMAC_SHA2_256_128: 12,
  AUTH_HMAC_SHA2_384_192: 13,
  AUTH_HMAC_SHA2_512_256: 14,
} as const;

/** Transform type 4: Diffie-Hellman group numbers (RFC 3526, RFC 5903, RFC 8031). */
export const DH_GROUP = {
  NONE: 0,
  MODP_1024: 2,
  MODP_2048: 14,
  MODP_3072: 15,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  CURVE25519: 31,
} as const;

/** Transform type 5. */
export const ESN = {
  NO_ESN: 0,
  ESN: 1,
} as const;

/** RFC 7296 section 3.3.5: the one transform attribute IKEv2 defines. */
export const ATTR_KEY_LENGTH = 14;
/** Attribute Format bit: TV when set, TLV when clear. */
export const ATTR_AF = 0x8000;

/** RFC 7296 section 3.5: ID Type. */
export const ID_TYPE = {
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_RFC822_ADDR: 3,
  ID_IPV6_ADDR: 5,
  ID_DER_ASN1_DN: 9,
  ID_DER_ASN1_GN: 10,
  ID_KEY_ID: 11,
  ID_FC_NAME: 12,
  ID_NULL: 13,
} as const;

/** RFC 7296 section 3.6: Certificate Encoding. */
export const CERT_ENCODING = {
  X509_CERTIFICATE_SIGNATURE: 4,
  CERTIFICATE_REVOCATION_LIST: 7,
  HASH_AND_URL_X509_CERTIFICATE: 12,
  HASH_AND_URL_X509_BUNDLE: 13,
  RAW_PUBLIC_KEY: 15,
} as const;

/** RFC 7296 section 3.8 (RFC 4754, RFC 7427): Auth Method. */
export const AUTH_METHOD = {
  RSA_DIGITAL_SIGNATURE: 1,
  SHARED_KEY_MESSAGE_INTEGRITY_CODE: 2,
  DSS_DIGITAL_SIGNATURE: 3,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  NULL_AUTHENTICATION: 13,
  DIGITAL_SIGNATURE: 14,
} as const;

/** RFC 7427 section 7 (RFC 8420 for Identity): hash algorithms of SIGNATURE_HASH_ALGORITHMS. */
export const HASH_ALGORITHM = {
  SHA1: 1,
  SHA2_256: 2,
  SHA2_384: 3,
  SHA2_512: 4,
  IDENTITY: 5,
} as const;

/** RFC 7296 section 3.10.1 (RFC 4555, RFC 5026, RFC 7383): Notify Message Types. */
export const NOTIFY = {
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  UNACCEPTABLE_ADDRESSES: 40,
  UNEXPECTED_NAT_DETECTED: 41,
  USE_ASSIGNED_HoA: 42,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  HTTP_CERT_LOOKUP_SUPPORTED: 16392,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  MOBIKE_SUPPORTED: 16396,
  ADDITIONAL_IP4_ADDRESS: 16397,
  ADDITIONAL_IP6_ADDRESS: 16398,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  NO_NATS_ALLOWED: 16402,
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
} as const;
export type NotifyName = keyof typeof NOTIFY;

/** Error notifies are below 16384 (RFC 7296 section 3.10.1). */
export const NOTIFY_STATUS_MIN = 16384;

const notifyNames = new Map<number, NotifyName>(
  Object.entries(NOTIFY).map(([name, value]) => [value, name as NotifyName]),
);

/** The registry name of a notify type, or `NOTIFY_<n>` for one this table does not hold. */
export function notifyName(type: number): string {
  return notifyNames.get(type) ?? `NOTIFY_${type}`;
}

/** RFC 7296 section 3.13.1: TS Type. */
export const TS_TYPE = {
  TS_IPV4_ADDR_RANGE: 7,
  TS_IPV6_ADDR_RANGE: 8,
} as const;

/** RFC 7296 section 3.15: CFG Type. */
export const CFG_TYPE = {
  CFG_REQUEST: 1,
  CFG_REPLY: 2,
  CFG_SET: 3,
  CFG_ACK: 4,
} as const;

/** RFC 7296 section 3.15.1 (RFC 5026 section 4.2.1 for MIP6_HOME_PREFIX): Configuration Attributes. */
export const CFG_ATTR = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
  MIP6_HOME_PREFIX: 16,
} as const;

/** RFC 7296 section 2.15: the PSK pad string, 17 ASCII octets without a terminator. */
export const KEY_PAD = new TextEncoder().encode('Key Pad for IKEv2');

/** RFC 3948 section 2.2: four zero octets before an IKE message on the NAT-T port. */
export const NON_ESP_MARKER_LENGTH = 4;

export const IKE_PORT = 500;
export const NATT_PORT = 4500;

const exchangeNames = new Map<number, ExchangeName>(
  Object.entries(EXCHANGE).map(([name, value]) => [value, name as ExchangeName]),
);

/** The registry name of an exchange type, or `EXCHANGE_<n>`. */
export function exchangeName(type: number): string {
  return exchangeNames.get(type) ?? `EXCHANGE_${type}`;
}
