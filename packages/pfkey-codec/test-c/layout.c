/*
 * Prints the layout of every struct @mip6sec/pfkey-codec handles, as gcc lays them out from the real
 * <linux/pfkeyv2.h>, <linux/ipsec.h> and <netinet/in.h>, plus the constants the codec names.
 * Output lines (tab separated):
 *   S <struct> <sizeof>
 *   F <struct> <field> <offsetof> <sizeof member>
 *   C <NAME> <value>
 * src/layout.test.ts compiles and runs this and compares it with src/layout.ts and src/constants.ts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/pfkeyv2.h>
#include <linux/ipsec.h>

/* The MSRD reference extension is this project's own: not in any Linux header. */
struct sadb_x_ref {
	__u16 sadb_x_ref_len;
	__u16 sadb_x_ref_exttype;
	__u8 sadb_ref_ver;
	__u8 sadb_ref_type;
	__u16 sadb_ref_type_ext;
	__u64 sadb_ref_mpi;
} __attribute__((packed));

/* So is the wide replay-window extension, shaped like FreeBSD's struct sadb_x_sa_replay. */
struct sadb_x_sa_replay {
	__u16 sadb_x_sa_replay_len;
	__u16 sadb_x_sa_replay_exttype;
	__u32 sadb_x_sa_replay_replay;
} __attribute__((packed));

#define S(s) printf("S\t%s\t%zu\n", #s, sizeof(struct s));
#define F(s, f) printf("F\t%s\t%s\t%zu\t%zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f));
#define C(x) printf("C\t%s\t%lld\n", #x, (long long)(x));

int main(void)
{
	S(sadb_msg) F(sadb_msg, sadb_msg_version) F(sadb_msg, sadb_msg_type) F(sadb_msg, sadb_msg_errno)
	F(sadb_msg, sadb_msg_satype) F(sadb_msg, sadb_msg_len) F(sadb_msg, sadb_msg_reserved)
	F(sadb_msg, sadb_msg_seq) F(sadb_msg, sadb_msg_pid)
	S(sadb_ext) F(sadb_ext, sadb_ext_len) F(sadb_ext, sadb_ext_type)
	S(sadb_sa) F(sadb_sa, sadb_sa_len) F(sadb_sa, sadb_sa_exttype) F(sadb_sa, sadb_sa_spi)
	F(sadb_sa, sadb_sa_replay) F(sadb_sa, sadb_sa_state) F(sadb_sa, sadb_sa_auth) F(sadb_sa, sadb_sa_encrypt)
	F(sadb_sa, sadb_sa_flags)
	S(sadb_lifetime) F(sadb_lifetime, sadb_lifetime_len) F(sadb_lifetime, sadb_lifetime_exttype)
	F(sadb_lifetime, sadb_lifetime_allocations) F(sadb_lifetime, sadb_lifetime_bytes)
	F(sadb_lifetime, sadb_lifetime_addtime) F(sadb_lifetime, sadb_lifetime_usetime)
	S(sadb_address) F(sadb_address, sadb_address_len) F(sadb_address, sadb_address_exttype)
	F(sadb_address, sadb_address_proto) F(sadb_address, sadb_address_prefixlen) F(sadb_address, sadb_address_reserved)
	S(sadb_key) F(sadb_key, sadb_key_len) F(sadb_key, sadb_key_exttype) F(sadb_key, sadb_key_bits)
	F(sadb_key, sadb_key_reserved)
	S(sadb_ident) F(sadb_ident, sadb_ident_len) F(sadb_ident, sadb_ident_exttype) F(sadb_ident, sadb_ident_type)
	F(sadb_ident, sadb_ident_reserved) F(sadb_ident, sadb_ident_id)
	S(sadb_sens) F(sadb_sens, sadb_sens_len) F(sadb_sens, sadb_sens_exttype) F(sadb_sens, sadb_sens_dpd)
	F(sadb_sens, sadb_sens_sens_level) F(sadb_sens, sadb_sens_sens_len) F(sadb_sens, sadb_sens_integ_level)
	F(sadb_sens, sadb_sens_integ_len) F(sadb_sens, sadb_sens_reserved)
	S(sadb_prop) F(sadb_prop, sadb_prop_len) F(sadb_prop, sadb_prop_exttype) F(sadb_prop, sadb_prop_replay)
	F(sadb_prop, sadb_prop_reserved)
	S(sadb_comb) F(sadb_comb, sadb_comb_auth) F(sadb_comb, sadb_comb_encrypt) F(sadb_comb, sadb_comb_flags)
	F(sadb_comb, sadb_comb_auth_minbits) F(sadb_comb, sadb_comb_auth_maxbits) F(sadb_comb, sadb_comb_encrypt_minbits)
	F(sadb_comb, sadb_comb_encrypt_maxbits) F(sadb_comb, sadb_comb_reserved) F(sadb_comb, sadb_comb_soft_allocations)
	F(sadb_comb, sadb_comb_hard_allocations) F(sadb_comb, sadb_comb_soft_bytes) F(sadb_comb, sadb_comb_hard_bytes)
	F(sadb_comb, sadb_comb_soft_addtime) F(sadb_comb, sadb_comb_hard_addtime) F(sadb_comb, sadb_comb_soft_usetime)
	F(sadb_comb, sadb_comb_hard_usetime)
	S(sadb_supported) F(sadb_supported, sadb_supported_len) F(sadb_supported, sadb_supported_exttype)
	F(sadb_supported, sadb_supported_reserved)
	S(sadb_alg) F(sadb_alg, sadb_alg_id) F(sadb_alg, sadb_alg_ivlen) F(sadb_alg, sadb_alg_minbits)
	F(sadb_alg, sadb_alg_maxbits) F(sadb_alg, sadb_alg_reserved)
	S(sadb_spirange) F(sadb_spirange, sadb_spirange_len) F(sadb_spirange, sadb_spirange_exttype)
	F(sadb_spirange, sadb_spirange_min) F(sadb_spirange, sadb_spirange_max) F(sadb_spirange, sadb_spirange_reserved)
	S(sadb_x_kmprivate) F(sadb_x_kmprivate, sadb_x_kmprivate_len) F(sadb_x_kmprivate, sadb_x_kmprivate_exttype)
	F(sadb_x_kmprivate, sadb_x_kmprivate_reserved)
	S(sadb_x_sa2) F(sadb_x_sa2, sadb_x_sa2_len) F(sadb_x_sa2, sadb_x_sa2_exttype) F(sadb_x_sa2, sadb_x_sa2_mode)
	F(sadb_x_sa2, sadb_x_sa2_reserved1) F(sadb_x_sa2, sadb_x_sa2_reserved2) F(sadb_x_sa2, sadb_x_sa2_sequence)
	F(sadb_x_sa2, sadb_x_sa2_reqid)
	S(sadb_x_policy) F(sadb_x_policy, sadb_x_policy_len) F(sadb_x_policy, sadb_x_policy_exttype)
	F(sadb_x_policy, sadb_x_policy_type) F(sadb_x_policy, sadb_x_policy_dir) F(sadb_x_policy, sadb_x_policy_reserved)
	F(sadb_x_policy, sadb_x_policy_id) F(sadb_x_policy, sadb_x_policy_priority)
	S(sadb_x_ipsecrequest) F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_len)
	F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_proto) F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_mode)
	F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_level) F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_reserved1)
	F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_reqid) F(sadb_x_ipsecrequest, sadb_x_ipsecrequest_reserved2)
	S(sadb_x_nat_t_type) F(sadb_x_nat_t_type, sadb_x_nat_t_type_len) F(sadb_x_nat_t_type, sadb_x_nat_t_type_exttype)
	F(sadb_x_nat_t_type, sadb_x_nat_t_type_type) F(sadb_x_nat_t_type, sadb_x_nat_t_type_reserved)
	S(sadb_x_nat_t_port) F(sadb_x_nat_t_port, sadb_x_nat_t_port_len) F(sadb_x_nat_t_port, sadb_x_nat_t_port_exttype)
	F(sadb_x_nat_t_port, sadb_x_nat_t_port_port) F(sadb_x_nat_t_port, sadb_x_nat_t_port_reserved)
	S(sadb_x_sec_ctx) F(sadb_x_sec_ctx, sadb_x_sec_len) F(sadb_x_sec_ctx, sadb_x_sec_exttype)
	F(sadb_x_sec_ctx, sadb_x_ctx_alg) F(sadb_x_sec_ctx, sadb_x_ctx_doi) F(sadb_x_sec_ctx, sadb_x_ctx_len)
	S(sadb_x_kmaddress) F(sadb_x_kmaddress, sadb_x_kmaddress_len) F(sadb_x_kmaddress, sadb_x_kmaddress_exttype)
	F(sadb_x_kmaddress, sadb_x_kmaddress_reserved)
	S(sadb_x_filter) F(sadb_x_filter, sadb_x_filter_len) F(sadb_x_filter, sadb_x_filter_exttype)
	F(sadb_x_filter, sadb_x_filter_saddr) F(sadb_x_filter, sadb_x_filter_daddr) F(sadb_x_filter, sadb_x_filter_family)
	F(sadb_x_filter, sadb_x_filter_splen) F(sadb_x_filter, sadb_x_filter_dplen)
	S(sadb_x_ref) F(sadb_x_ref, sadb_x_ref_len) F(sadb_x_ref, sadb_x_ref_exttype) F(sadb_x_ref, sadb_ref_ver)
	F(sadb_x_ref, sadb_ref_type) F(sadb_x_ref, sadb_ref_type_ext) F(sadb_x_ref, sadb_ref_mpi)
	S(sadb_x_sa_replay) F(sadb_x_sa_replay, sadb_x_sa_replay_len) F(sadb_x_sa_replay, sadb_x_sa_replay_exttype)
	F(sadb_x_sa_replay, sadb_x_sa_replay_replay)
	S(sockaddr_in) F(sockaddr_in, sin_family) F(sockaddr_in, sin_port) F(sockaddr_in, sin_addr)
	F(sockaddr_in, sin_zero)
	S(sockaddr_in6) F(sockaddr_in6, sin6_family) F(sockaddr_in6, sin6_port) F(sockaddr_in6, sin6_flowinfo)
	F(sockaddr_in6, sin6_addr) F(sockaddr_in6, sin6_scope_id)

	/* This project's private numbers are in no Linux header today; one that ever defines them must agree. */
#ifdef SADB_X_EALG_CHACHA20_POLY1305
	C(SADB_X_EALG_CHACHA20_POLY1305)
#endif
#ifdef SADB_X_SAFLAGS_ESN
	C(SADB_X_SAFLAGS_ESN)
#endif
#ifdef SADB_X_EXT_SA_REPLAY
	C(SADB_X_EXT_SA_REPLAY)
#endif
#ifdef SADB_X_EXT_REF
	C(SADB_X_EXT_REF)
#endif

	C(PF_KEY_V2) C(PFKEYV2_REVISION) C(AF_INET) C(AF_INET6) C(AF_KEY)
	C(SADB_RESERVED) C(SADB_GETSPI) C(SADB_UPDATE) C(SADB_ADD) C(SADB_DELETE) C(SADB_GET) C(SADB_ACQUIRE)
	C(SADB_REGISTER) C(SADB_EXPIRE) C(SADB_FLUSH) C(SADB_DUMP) C(SADB_X_PROMISC) C(SADB_X_PCHANGE)
	C(SADB_X_SPDUPDATE) C(SADB_X_SPDADD) C(SADB_X_SPDDELETE) C(SADB_X_SPDGET) C(SADB_X_SPDACQUIRE)
	C(SADB_X_SPDDUMP) C(SADB_X_SPDFLUSH) C(SADB_X_SPDSETIDX) C(SADB_X_SPDEXPIRE) C(SADB_X_SPDDELETE2)
	C(SADB_X_NAT_T_NEW_MAPPING) C(SADB_X_MIGRATE) C(SADB_MAX)
	C(SADB_SAFLAGS_PFS) C(SADB_SAFLAGS_NOPMTUDISC) C(SADB_SAFLAGS_DECAP_DSCP) C(SADB_SAFLAGS_NOECN)
	C(SADB_SASTATE_LARVAL) C(SADB_SASTATE_MATURE) C(SADB_SASTATE_DYING) C(SADB_SASTATE_DEAD) C(SADB_SASTATE_MAX)
	C(SADB_SATYPE_UNSPEC) C(SADB_SATYPE_AH) C(SADB_SATYPE_ESP) C(SADB_SATYPE_RSVP) C(SADB_SATYPE_OSPFV2)
	C(SADB_SATYPE_RIPV2) C(SADB_SATYPE_MIP) C(SADB_X_SATYPE_IPCOMP) C(SADB_SATYPE_MAX)
	C(SADB_AALG_NONE) C(SADB_AALG_MD5HMAC) C(SADB_AALG_SHA1HMAC) C(SADB_X_AALG_SHA2_256HMAC)
	C(SADB_X_AALG_SHA2_384HMAC) C(SADB_X_AALG_SHA2_512HMAC) C(SADB_X_AALG_RIPEMD160HMAC)
	C(SADB_X_AALG_AES_XCBC_MAC) C(SADB_X_AALG_SM3_256HMAC) C(SADB_X_AALG_NULL) C(SADB_AALG_MAX)
	C(SADB_EALG_NONE) C(SADB_EALG_DESCBC) C(SADB_EALG_3DESCBC) C(SADB_X_EALG_CASTCBC) C(SADB_X_EALG_BLOWFISHCBC)
	C(SADB_EALG_NULL) C(SADB_X_EALG_AESCBC) C(SADB_X_EALG_AESCTR) C(SADB_X_EALG_AES_CCM_ICV8)
	C(SADB_X_EALG_AES_CCM_ICV12) C(SADB_X_EALG_AES_CCM_ICV16) C(SADB_X_EALG_AES_GCM_ICV8)
	C(SADB_X_EALG_AES_GCM_ICV12) C(SADB_X_EALG_AES_GCM_ICV16) C(SADB_X_EALG_CAMELLIACBC)
	C(SADB_X_EALG_NULL_AES_GMAC) C(SADB_X_EALG_SM4CBC) C(SADB_EALG_MAX) C(SADB_X_EALG_SERPENTCBC)
	C(SADB_X_EALG_TWOFISHCBC)
	C(SADB_X_CALG_NONE) C(SADB_X_CALG_OUI) C(SADB_X_CALG_DEFLATE) C(SADB_X_CALG_LZS) C(SADB_X_CALG_LZJH)
	C(SADB_X_CALG_MAX)
	C(SADB_EXT_RESERVED) C(SADB_EXT_SA) C(SADB_EXT_LIFETIME_CURRENT) C(SADB_EXT_LIFETIME_HARD)
	C(SADB_EXT_LIFETIME_SOFT) C(SADB_EXT_ADDRESS_SRC) C(SADB_EXT_ADDRESS_DST) C(SADB_EXT_ADDRESS_PROXY)
	C(SADB_EXT_KEY_AUTH) C(SADB_EXT_KEY_ENCRYPT) C(SADB_EXT_IDENTITY_SRC) C(SADB_EXT_IDENTITY_DST)
	C(SADB_EXT_SENSITIVITY) C(SADB_EXT_PROPOSAL) C(SADB_EXT_SUPPORTED_AUTH) C(SADB_EXT_SUPPORTED_ENCRYPT)
	C(SADB_EXT_SPIRANGE) C(SADB_X_EXT_KMPRIVATE) C(SADB_X_EXT_POLICY) C(SADB_X_EXT_SA2) C(SADB_X_EXT_NAT_T_TYPE)
	C(SADB_X_EXT_NAT_T_SPORT) C(SADB_X_EXT_NAT_T_DPORT) C(SADB_X_EXT_NAT_T_OA) C(SADB_X_EXT_SEC_CTX)
	C(SADB_X_EXT_KMADDRESS) C(SADB_X_EXT_FILTER) C(SADB_EXT_MAX)
	C(SADB_IDENTTYPE_RESERVED) C(SADB_IDENTTYPE_PREFIX) C(SADB_IDENTTYPE_FQDN) C(SADB_IDENTTYPE_USERFQDN)
	C(SADB_IDENTTYPE_MAX)
	C(IPSEC_PORT_ANY) C(IPSEC_ULPROTO_ANY) C(IPSEC_PROTO_ANY)
	C(IPSEC_MODE_ANY) C(IPSEC_MODE_TRANSPORT) C(IPSEC_MODE_TUNNEL) C(IPSEC_MODE_BEET)
	C(IPSEC_DIR_ANY) C(IPSEC_DIR_INBOUND) C(IPSEC_DIR_OUTBOUND) C(IPSEC_DIR_FWD) C(IPSEC_DIR_MAX)
	C(IPSEC_DIR_INVALID)
	C(IPSEC_POLICY_DISCARD) C(IPSEC_POLICY_NONE) C(IPSEC_POLICY_IPSEC) C(IPSEC_POLICY_ENTRUST)
	C(IPSEC_POLICY_BYPASS)
	C(IPSEC_LEVEL_DEFAULT) C(IPSEC_LEVEL_USE) C(IPSEC_LEVEL_REQUIRE) C(IPSEC_LEVEL_UNIQUE)
	C(IPSEC_MANUAL_REQID_MAX) C(IPSEC_REPLAYWSIZE)
	C(IPPROTO_ICMP) C(IPPROTO_TCP) C(IPPROTO_UDP) C(IPPROTO_ROUTING) C(IPPROTO_ESP) C(IPPROTO_AH)
	C(IPPROTO_ICMPV6) C(IPPROTO_DSTOPTS) C(IPPROTO_COMP) C(IPPROTO_MH)
	printf("C\tPFKEY_SEC_CTX_MAX\t%ld\n", sysconf(_SC_PAGESIZE));

	C(EPERM) C(ENOENT) C(ESRCH) C(EINTR) C(EIO) C(E2BIG) C(EAGAIN) C(ENOMEM) C(EACCES) C(EFAULT) C(EBUSY)
	C(EEXIST) C(ENODEV) C(EINVAL) C(ENOSPC) C(ERANGE) C(ENOSYS) C(ELOOP) C(ENODATA) C(EPROTO) C(EMSGSIZE)
	C(ENOPROTOOPT) C(EPROTONOSUPPORT) C(ESOCKTNOSUPPORT) C(EOPNOTSUPP) C(EAFNOSUPPORT) C(ENOBUFS)
	C(ETIMEDOUT)
	return 0;
}
