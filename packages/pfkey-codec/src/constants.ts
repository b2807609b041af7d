/**
 * @module
 * PF_KEY v2 numbers, named exactly as in `include/uapi/linux/pfkeyv2.h` and `include/uapi/linux/ipsec.h`
 * (RFC 2367 §2.3 and §3, plus the Linux/KAME `SADB_X_*` additions). The layout test compiles a C program
 * against the machine's real headers and checks every value here that the header defines.
 *
 * What is not in any Linux header says so: this project's private PF_KEY numbers (the MSRD reference
 * extension `SADB_X_EXT_REF`, and the section "This project's private numbers" at the end: ChaCha20-Poly1305,
 * the ESN flag and the wide replay-window extension) and `UNKNOWN_EXTENSION` (the model's tag for an
 * extension type the codec keeps as opaque bytes). `SADB_EXT_MAX` counts this project's extension types;
 * Linux's own value is `SADB_EXT_MAX_LINUX`.
 */

/** `socket(AF_KEY, SOCK_RAW, PF_KEY_V2)`; also the only valid `sadb_msg_version`. */
export const PF_KEY_V2 = 2;
export const PFKEYV2_REVISION = 199806;
/** Address families (Linux values, <sys/socket.h>). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_KEY = 15;

// Message types (sadb_msg_type), RFC 2367 §2.3.2 and Linux.
export const SADB_RESERVED = 0;
export const SADB_GETSPI = 1;
export const SADB_UPDATE = 2;
export const SADB_ADD = 3;
export const SADB_DELETE = 4;
export const SADB_GET = 5;
export const SADB_ACQUIRE = 6;
export const SADB_REGISTER = 7;
export const SADB_EXPIRE = 8;
export const SADB_FLUSH = 9;
export const SADB_DUMP = 10;
export const SADB_X_PROMISC = 11;
export const SADB_X_PCHANGE = 12;
export const SADB_X_SPDUPDATE = 13;
export const SADB_X_SPDADD = 14;
export const SADB_X_SPDDELETE = 15;
export const SADB_X_SPDGET = 16;
export const SADB_X_SPDACQUIRE = 17;
export const SADB_X_SPDDUMP = 18;
export const SADB_X_SPDFLUSH = 19;
export const SADB_X_SPDSETIDX = 20;
export const SADB_X_SPDEXPIRE = 21;
export const SADB_X_SPDDELETE2 = 22;
export const SADB_X_NAT_T_NEW_MAPPING = 23;
export const SADB_X_MIGRATE = 24;
export const SADB_MAX = 24;

// Security association flags (sadb_sa_flags).
export const SADB_SAFLAGS_PFS = 1;
export const SADB_SAFLAGS_NOPMTUDISC = 0x20000000;
export const SADB_SAFLAGS_DECAP_DSCP = 0x40000000;
export const SADB_SAFLAGS_NOECN = 0x80000000;

// Security association states (sadb_sa_state).
export const SADB_SASTATE_LARVAL = 0;
export const SADB_SASTATE_MATURE = 1;
export const SADB_SASTATE_DYING = 2;
export const SADB_SASTATE_DEAD = 3;
export const SADB_SASTATE_MAX = 3;

// Security association types (sadb_msg_satype).
export const SADB_SATYPE_UNSPEC = 0;
export const SADB_SATYPE_AH = 2;
export const SADB_SATYPE_ESP = 3;
export const SADB_SATYPE_RSVP = 5;
export const SADB_SATYPE_OSPFV2 = 6;
export const SADB_SATYPE_RIPV2 = 7;
export const SADB_SATYPE_MIP = 8;
export const SADB_X_SATYPE_IPCOMP = 9;
export const SADB_SATYPE_MAX = 9;

// Authentication algorithms (sadb_sa_auth, sadb_comb_auth, sadb_alg_id in SUPPORTED_AUTH).
export const SADB_AALG_NONE = 0;
export const SADB_AALG_MD5HMAC = 2;
export const SADB_AALG_SHA1HMAC = 3;
export const SADB_X_AALG_SHA2_256HMAC = 5;
export const SADB_X_AALG_SHA2_384HMAC = 6;
export const SADB_X_AALG_SHA2_512HMAC = 7;
export const SADB_X_AALG_RIPEMD160HMAC = 8;
export const SADB_X_AALG_AES_XCBC_MAC = 9;
export const SADB_X_AALG_SM3_256HMAC = 10;
export const SADB_X_AALG_NULL = 251;
export const SADB_AALG_MAX = 251;

// Encryption algorithms (sadb_sa_encrypt, sadb_comb_encrypt, sadb_alg_id in SUPPORTED_ENCRYPT).
export const SADB_EALG_NONE = 0;
export const SADB_EALG_DESCBC = 2;
export const SADB_EALG_3DESCBC = 3;
export const SADB_X_EALG_CASTCBC = 6;
export const SADB_X_EALG_BLOWFISHCBC = 7;
export const SADB_EALG_NULL = 11;
export const SADB_X_EALG_AESCBC = 12;
export const SADB_X_EALG_AESCTR = 13;
export const SADB_X_EALG_AES_CCM_ICV8 = 14;
export const SADB_X_EALG_AES_CCM_ICV12 = 15;
export const SADB_X_EALG_AES_CCM_ICV16 = 16;
export const SADB_X_EALG_AES_GCM_ICV8 = 18;
export const SADB_X_EALG_AES_GCM_ICV12 = 19;
export const SADB_X_EALG_AES_GCM_ICV16 = 20;
export const SADB_X_EALG_CAMELLIACBC = 22;
export const SADB_X_EALG_NULL_AES_GMAC = 23;
export const SADB_X_EALG_SM4CBC = 24;
export const SADB_EALG_MAX = 253;
export const SADB_X_EALG_SERPENTCBC = 252;
export const SADB_X_EALG_TWOFISHCBC = 253;

// Compression algorithms: sadb_sa_encrypt carries these when the satype is SADB_X_SATYPE_IPCOMP (KAME).
export const SADB_X_CALG_NONE = 0;
export const SADB_X_CALG_OUI = 1;
export const SADB_X_CALG_DEFLATE = 2;
export const SADB_X_CALG_LZS = 3;
export const SADB_X_CALG_LZJH = 4;
export const SADB_X_CALG_MAX = 4;

// Extension types (sadb_ext_type), RFC 2367 §2.3 and Linux.
export const SADB_EXT_RESERVED = 0;
export const SADB_EXT_SA = 1;
export const SADB_EXT_LIFETIME_CURRENT = 2;
export const SADB_EXT_LIFETIME_HARD = 3;
export const SADB_EXT_LIFETIME_SOFT = 4;
export const SADB_EXT_ADDRESS_SRC = 5;
export const SADB_EXT_ADDRESS_DST = 6;
export const SADB_EXT_ADDRESS_PROXY = 7;
export const SADB_EXT_KEY_AUTH = 8;
export const SADB_EXT_KEY_ENCRYPT = 9;
export const SADB_EXT_IDENTITY_SRC = 10;
export const SADB_EXT_IDENTITY_DST = 11;
export const SADB_EXT_SENSITIVITY = 12;
export const SADB_EXT_PROPOSAL = 13;
export const SADB_EXT_SUPPORTED_AUTH = 14;
export const SADB_EXT_SUPPORTED_ENCRYPT = 15;
export const SADB_EXT_SPIRANGE = 16;
export const SADB_X_EXT_KMPRIVATE = 17;
export const SADB_X_EXT_POLICY = 18;
export const SADB_X_EXT_SA2 = 19;
export const SADB_X_EXT_NAT_T_TYPE = 20;
export const SADB_X_EXT_NAT_T_SPORT = 21;
export const SADB_X_EXT_NAT_T_DPORT = 22;
export const SADB_X_EXT_NAT_T_OA = 23;
export const SADB_X_EXT_SEC_CTX = 24;
export const SADB_X_EXT_KMADDRESS = 25;
export const SADB_X_EXT_FILTER = 26;
/** Linux's `SADB_EXT_MAX`: the highest extension type af_key.c indexes; it skips higher types unread. */
export const SADB_EXT_MAX_LINUX = 26;
/**
 * MSRD reference extension (binding an ACQUIRE or a policy to a Mobility Policy Index). Not in Linux: the
 * value 32 is this project's, chosen above Linux's range with room for the kernel to grow. See `x-ref.ts`.
 */
export const SADB_X_EXT_REF = 32;
/**
 * This project's: a replay window wider than `sadb_sa_replay`'s 8 bits (RFC 4303 windows of up to thousands
 * of packets), in an extension shaped like FreeBSD's `struct sadb_x_sa_replay` (a u32 window in packets after
 * the 4-byte header). The type number is this project's, next to `SADB_X_EXT_REF`; Linux skips it unread.
 * See `x-sa-replay.ts`.
 */
export const SADB_X_EXT_SA_REPLAY = 33;
/** Highest extension type this codec knows: Linux's set plus this project's two (REF, SA_REPLAY). */
export const SADB_EXT_MAX = SADB_X_EXT_SA_REPLAY;
/**
 * Model tag (not a wire value) for an extension whose type the codec does not know; the wire type is in its
 * `exttype` field. Negative so it can never collide with a u16 type.
 */
export const UNKNOWN_EXTENSION = -1;

// Identity types (sadb_ident_type).
export const SADB_IDENTTYPE_RESERVED = 0;
export const SADB_IDENTTYPE_PREFIX = 1;
export const SADB_IDENTTYPE_FQDN = 2;
export const SADB_IDENTTYPE_USERFQDN = 3;
export const SADB_IDENTTYPE_MAX = 3;

// linux/ipsec.h
export const IPSEC_PORT_ANY = 0;
export const IPSEC_ULPROTO_ANY = 255;
export const IPSEC_PROTO_ANY = 255;

export const IPSEC_MODE_ANY = 0;
export const IPSEC_MODE_TRANSPORT = 1;
export const IPSEC_MODE_TUNNEL = 2;
export const IPSEC_MODE_BEET = 3;
/** Added with IP-TFS (Linux 6.14); af_key.c cannot map it, so PF_KEY requests using it get EINVAL. */
export const IPSEC_MODE_IPTFS = 4;

export const IPSEC_DIR_ANY = 0;
export const IPSEC_DIR_INBOUND = 1;
export const IPSEC_DIR_OUTBOUND = 2;
export const IPSEC_DIR_FWD = 3;
export const IPSEC_DIR_MAX = 4;
export const IPSEC_DIR_INVALID = 5;

export const IPSEC_POLICY_DISCARD = 0;
export const IPSEC_POLICY_NONE = 1;
export const IPSEC_POLICY_IPSEC = 2;
export const IPSEC_POLICY_ENTRUST = 3;
export const IPSEC_POLICY_BYPASS = 4;

export const IPSEC_LEVEL_DEFAULT = 0;
export const IPSEC_LEVEL_USE = 1;
export const IPSEC_LEVEL_REQUIRE = 2;
export const IPSEC_LEVEL_UNIQUE = 3;

export const IPSEC_MANUAL_REQID_MAX = 0x3fff;
export const IPSEC_REPLAYWSIZE = 32;

// IP protocol numbers that appear in sadb_address_proto and sadb_x_ipsecrequest_proto (<netinet/in.h>).
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_COMP = 108;
export const IPPROTO_MH = 135;

/** Linux XFRM_MAX_DEPTH: templates per policy, and MIGRATE pairs per message. */
export const XFRM_MAX_DEPTH = 6;
/** Linux limit on `sadb_x_ctx_len` (PAGE_SIZE on x86_64). */
export const PFKEY_SEC_CTX_MAX = 4096;

// ---------------------------------------------------------------- This project's private numbers
// Values no Linux header defines, which the simulated kernel and its key managers need to say what Linux's
// PF_KEY cannot. A real Linux kernel ignores each of them (an algorithm it refuses with ENOSYS, an unknown
// flag bit, an extension type above its maximum), so they never change what Linux itself would do. The
// extension types (SADB_X_EXT_REF, SADB_X_EXT_SA_REPLAY) sit with the other extension types above.

/**
 * ChaCha20-Poly1305 (RFC 7634) in `sadb_sa_encrypt`: Linux has no PF_KEY number for it (its XFRM algorithm
 * is not `pfkey_supported`). 250 is from the range RFC 2407 §4.4.4 reserves for private use among
 * cooperating systems, below SADB_X_EALG_SERPENTCBC (252).
 */
export const SADB_X_EALG_CHACHA20_POLY1305 = 250;
/**
 * `sadb_sa_flags` bit: the SA uses 64-bit extended sequence numbers (RFC 4303 §2.2.1). Borrowed from
 * FreeBSD's `SADB_X_SAFLAGS_ESN`, same value; Linux's af_key.c reads only its own flag bits and ignores it.
 */
export const SADB_X_SAFLAGS_ESN = 0x400;
