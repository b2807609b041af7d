/*
 * Builds PF_KEY v2 messages with the real structs of <linux/pfkeyv2.h> and <linux/ipsec.h>, the way a key
 * manager or af_key.c fills them, and prints each as "NAME<TAB>hex". src/c-messages.test.ts compiles and runs
 * this, decodes every message with @mip6sec/pfkey-codec, checks the values set here, and re-encodes.
 * Values that are not 0 are chosen so that byte order mistakes show.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/pfkeyv2.h>
#include <linux/ipsec.h>

/* This project's MSRD reference extension (see src/x-ref.ts). */
#define SADB_X_EXT_REF 32
struct sadb_x_ref {
	__u16 sadb_x_ref_len;
	__u16 sadb_x_ref_exttype;
	__u8 sadb_ref_ver;
	__u8 sadb_ref_type;
	__u16 sadb_ref_type_ext;
	__u64 sadb_ref_mpi;
} __attribute__((packed));

/* This project's private numbers (src/constants.ts): ChaCha20-Poly1305, the ESN flag, the wide replay window. */
#define SADB_X_EALG_CHACHA20_POLY1305 250
#define SADB_X_SAFLAGS_ESN 0x400
#define SADB_X_EXT_SA_REPLAY 33
struct sadb_x_sa_replay {
	__u16 sadb_x_sa_replay_len;
	__u16 sadb_x_sa_replay_exttype;
	__u32 sadb_x_sa_replay_replay;
} __attribute__((packed));

static uint8_t buf[8192];
static size_t pos;
static struct sadb_msg *hdr;

static void *put(size_t n)
{
	void *p = buf + pos;
	memset(p, 0, n);
	pos += n;
	return p;
}

static void begin(uint8_t type, uint8_t satype, uint32_t seq, uint32_t pid)
{
	pos = 0;
	hdr = put(sizeof(*hdr));
	hdr->sadb_msg_version = PF_KEY_V2;
	hdr->sadb_msg_type = type;
	hdr->sadb_msg_satype = satype;
	hdr->sadb_msg_seq = seq;
	hdr->sadb_msg_pid = pid;
}

static void finish(const char *name)
{
	hdr->sadb_msg_len = pos / 8;
	printf("%s\t", name);
	for (size_t i = 0; i < pos; i++)
		printf("%02x", buf[i]);
	printf("\n");
}

/* Writes a sockaddr at p; returns its size (16 or 28). */
static size_t sockaddr_at(void *p, const char *text, uint16_t port)
{
	if (strchr(text, ':')) {
		struct sockaddr_in6 s;
		memset(&s, 0, sizeof(s));
		s.sin6_family = AF_INET6;
		s.sin6_port = htons(port);
		inet_pton(AF_INET6, text, &s.sin6_addr);
		memcpy(p, &s, sizeof(s));
		return sizeof(s);
	}
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	inet_pton(AF_INET, text, &s.sin_addr);
	memcpy(p, &s, sizeof(s));
	return sizeof(s);
}

static size_t sockaddr_size(const char *text)
{
	return strchr(text, ':') ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

#define ALIGN8(n) ((((n) - 1) | 7) + 1)

static void address(uint16_t exttype, uint8_t proto, uint8_t prefixlen, const char *text, uint16_t port)
{
	size_t len = sizeof(struct sadb_address) + ALIGN8(sockaddr_size(text));
	struct sadb_address *a = put(len);
	a->sadb_address_len = len / 8;
	a->sadb_address_exttype = exttype;
	a->sadb_address_proto = proto;
	a->sadb_address_prefixlen = prefixlen;
	sockaddr_at(a + 1, text, port);
}

static void kmaddress(const char *local, const char *remote)
{
	size_t len = sizeof(struct sadb_x_kmaddress) + ALIGN8(2 * sockaddr_size(local));
	struct sadb_x_kmaddress *k = put(len);
	k->sadb_x_kmaddress_len = len / 8;
	k->sadb_x_kmaddress_exttype = SADB_X_EXT_KMADDRESS;
	uint8_t *p = (uint8_t *)(k + 1);
	p += sockaddr_at(p, local, 0);
	sockaddr_at(p, remote, 0);
}

static struct sadb_x_policy *policy(uint16_t type, uint8_t dir, uint32_t id, uint32_t priority)
{
	struct sadb_x_policy *p = put(sizeof(*p));
	p->sadb_x_policy_len = sizeof(*p) / 8;
	p->sadb_x_policy_exttype = SADB_X_EXT_POLICY;
	p->sadb_x_policy_type = type;
	p->sadb_x_policy_dir = dir;
	p->sadb_x_policy_id = id;
	p->sadb_x_policy_priority = priority;
	return p;
}

/* Appends an ipsecrequest (with a sockaddr pair when src is not NULL) to the policy extension pol. */
static void request(struct sadb_x_policy *pol, uint16_t proto, uint8_t mode, uint8_t level, uint32_t reqid,
		    const char *src, const char *dst)
{
	size_t len = sizeof(struct sadb_x_ipsecrequest) + (src ? 2 * sockaddr_size(src) : 0);
	struct sadb_x_ipsecrequest *rq = put(len);
	rq->sadb_x_ipsecrequest_len = len;
	rq->sadb_x_ipsecrequest_proto = proto;
	rq->sadb_x_ipsecrequest_mode = mode;
	rq->sadb_x_ipsecrequest_level = level;
	rq->sadb_x_ipsecrequest_reqid = reqid;
	if (src) {
		uint8_t *p = (uint8_t *)(rq + 1);
		p += sockaddr_at(p, src, 0);
		sockaddr_at(p, dst, 0);
	}
	pol->sadb_x_policy_len += len / 8;
}

static void lifetime(uint16_t exttype, uint32_t allocations, uint64_t bytes, uint64_t addtime, uint64_t usetime)
{
	struct sadb_lifetime *l = put(sizeof(*l));
	l->sadb_lifetime_len = sizeof(*l) / 8;
	l->sadb_lifetime_exttype = exttype;
	l->sadb_lifetime_allocations = allocations;
	l->sadb_lifetime_bytes = bytes;
	l->sadb_lifetime_addtime = addtime;
	l->sadb_lifetime_usetime = usetime;
}

static void sa(uint32_t spi, uint8_t replay, uint8_t state, uint8_t auth, uint8_t encrypt, uint32_t flags)
{
	struct sadb_sa *s = put(sizeof(*s));
	s->sadb_sa_len = sizeof(*s) / 8;
	s->sadb_sa_exttype = SADB_EXT_SA;
	s->sadb_sa_spi = htonl(spi);
	s->sadb_sa_replay = replay;
	s->sadb_sa_state = state;
	s->sadb_sa_auth = auth;
	s->sadb_sa_encrypt = encrypt;
	s->sadb_sa_flags = flags;
}

static void key(uint16_t exttype, uint16_t bits, uint8_t first)
{
	size_t bytes = (bits + 7) / 8;
	size_t len = sizeof(struct sadb_key) + ALIGN8(bytes);
	struct sadb_key *k = put(len);
	k->sadb_key_len = len / 8;
	k->sadb_key_exttype = exttype;
	k->sadb_key_bits = bits;
	uint8_t *p = (uint8_t *)(k + 1);
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(first + i);
}

static void sa2(uint8_t mode, uint32_t sequence, uint32_t reqid)
{
	struct sadb_x_sa2 *s = put(sizeof(*s));
	s->sadb_x_sa2_len = sizeof(*s) / 8;
	s->sadb_x_sa2_exttype = SADB_X_EXT_SA2;
	s->sadb_x_sa2_mode = mode;
	s->sadb_x_sa2_sequence = sequence;
	s->sadb_x_sa2_reqid = reqid;
}

static void ident(uint16_t exttype, uint16_t type, uint64_t id, const char *text)
{
	size_t len = sizeof(struct sadb_ident) + ALIGN8(strlen(text) + 1);
	struct sadb_ident *i = put(len);
	i->sadb_ident_len = len / 8;
	i->sadb_ident_exttype = exttype;
	i->sadb_ident_type = type;
	i->sadb_ident_id = id;
	memcpy(i + 1, text, strlen(text));
}

static void nat_t_port(uint16_t exttype, uint16_t port)
{
	struct sadb_x_nat_t_port *n = put(sizeof(*n));
	n->sadb_x_nat_t_port_len = sizeof(*n) / 8;
	n->sadb_x_nat_t_port_exttype = exttype;
	n->sadb_x_nat_t_port_port = htons(port);
}

static void ref(uint8_t type, uint16_t type_ext, uint64_t mpi)
{
	struct sadb_x_ref *r = put(sizeof(*r));
	r->sadb_x_ref_len = sizeof(*r) / 8;
	r->sadb_x_ref_exttype = SADB_X_EXT_REF;
	r->sadb_ref_ver = 1;
	r->sadb_ref_type = type;
	r->sadb_ref_type_ext = type_ext;
	r->sadb_ref_mpi = mpi;
}

static void comb(uint8_t auth, uint8_t encrypt, uint16_t amin, uint16_t amax, uint16_t emin, uint16_t emax)
{
	struct sadb_comb *c = put(sizeof(*c));
	c->sadb_comb_auth = auth;
	c->sadb_comb_encrypt = encrypt;
	c->sadb_comb_auth_minbits = amin;
	c->sadb_comb_auth_maxbits = amax;
	c->sadb_comb_encrypt_minbits = emin;
	c->sadb_comb_encrypt_maxbits = emax;
	/* The times af_key.c dump_esp_combs puts in every comb. */
	c->sadb_comb_hard_addtime = 24 * 60 * 60;
	c->sadb_comb_soft_addtime = 20 * 60 * 60;
	c->sadb_comb_hard_usetime = 8 * 60 * 60;
	c->sadb_comb_soft_usetime = 7 * 60 * 60;
}

static void alg(uint8_t id, uint8_t ivlen, uint16_t minbits, uint16_t maxbits)
{
	struct sadb_alg *a = put(sizeof(*a));
	a->sadb_alg_id = id;
	a->sadb_alg_ivlen = ivlen;
	a->sadb_alg_minbits = minbits;
	a->sadb_alg_maxbits = maxbits;
}

int main(void)
{
	/* MIGRATE over IPv6 with KMADDRESS, the Appendix B scenario plus a second (transport) bundle. */
	begin(SADB_X_MIGRATE, SADB_SATYPE_ESP, 0, 0);
	kmaddress("2001:db8:dddd::1", "2001:db8:aaaa::1");
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 128, "2001:db8:aaaa::100", 0);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 0, "::", 0);
	{
		struct sadb_x_policy *p = policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0, 0);
		request(p, IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 0x7e57, "2001:db8:cccc::1", "2001:db8:aaaa::1");
		request(p, IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 0x7e57, "2001:db8:dddd::1", "2001:db8:aaaa::1");
		request(p, IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_UNIQUE, 0x1234, "2001:db8:cccc::1", "2001:db8:aaaa::1");
		request(p, IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_UNIQUE, 0x1234, "2001:db8:dddd::1", "2001:db8:aaaa::1");
	}
	finish("MIGRATE_V6");

	/* MIGRATE over IPv4, a UDP selector with a destination port. */
	begin(SADB_X_MIGRATE, SADB_SATYPE_ESP, 17, 4242);
	kmaddress("192.0.2.77", "198.51.100.1");
	address(SADB_EXT_ADDRESS_SRC, IPPROTO_UDP, 16, "10.1.0.0", 0);
	address(SADB_EXT_ADDRESS_DST, IPPROTO_UDP, 32, "10.2.0.5", 500);
	{
		struct sadb_x_policy *p = policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_INBOUND, 0, 0);
		request(p, IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 42, "198.51.100.1", "192.0.2.10");
		request(p, IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 42, "198.51.100.1", "192.0.2.77");
	}
	finish("MIGRATE_V4");

	/* SPDADD with tunnel requests of both families and a transport one, plus lifetimes. */
	begin(SADB_X_SPDADD, SADB_SATYPE_UNSPEC, 5, 999);
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 64, "2001:db8:1::", 0);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 64, "2001:db8:2::", 0);
	lifetime(SADB_EXT_LIFETIME_HARD, 0, 0, 86400, 0);
	lifetime(SADB_EXT_LIFETIME_SOFT, 0, 0, 72000, 0);
	{
		struct sadb_x_policy *p = policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0, 100);
		request(p, IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 7, "2001:db8:1::1", "2001:db8:2::1");
		request(p, IPPROTO_COMP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_REQUIRE, 0, "192.0.2.1", "192.0.2.2");
		request(p, IPPROTO_AH, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_REQUIRE, 0, NULL, NULL);
	}
	finish("SPDADD_TUNNEL");

	/* SPDUPDATE bound to an MSRD MPI. */
	begin(SADB_X_SPDUPDATE, SADB_SATYPE_UNSPEC, 6, 999);
	address(SADB_EXT_ADDRESS_SRC, 135, 128, "2001:db8:aaaa::100", 0);
	address(SADB_EXT_ADDRESS_DST, 135, 128, "2001:db8:aaaa::1", 0);
	{
		struct sadb_x_policy *p = policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0, 2);
		request(p, IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_UNIQUE, 11, NULL, NULL);
	}
	ref(1, 0x0203, 0x1122334455667788ULL);
	finish("SPDUPDATE_REF");

	/* ADD of an ESP SA: keys (160-bit auth key to exercise padding), lifetimes, SA2, NAT-T, SEC_CTX. */
	begin(SADB_ADD, SADB_SATYPE_ESP, 42, 1234);
	sa(0xc0ffee01, 32, SADB_SASTATE_MATURE, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, SADB_SAFLAGS_NOECN);
	lifetime(SADB_EXT_LIFETIME_HARD, 1000000, 1ULL << 40, 3600, 1800);
	lifetime(SADB_EXT_LIFETIME_SOFT, 900000, 1ULL << 39, 3000, 1500);
	address(SADB_EXT_ADDRESS_SRC, 0, 32, "192.0.2.1", 0);
	address(SADB_EXT_ADDRESS_DST, 0, 32, "198.51.100.7", 0);
	key(SADB_EXT_KEY_AUTH, 160, 0x10);
	key(SADB_EXT_KEY_ENCRYPT, 128, 0xa0);
	sa2(IPSEC_MODE_TUNNEL, 0, 9);
	{
		struct sadb_x_nat_t_type *t = put(sizeof(*t));
		t->sadb_x_nat_t_type_len = sizeof(*t) / 8;
		t->sadb_x_nat_t_type_exttype = SADB_X_EXT_NAT_T_TYPE;
		t->sadb_x_nat_t_type_type = 2;
	}
	nat_t_port(SADB_X_EXT_NAT_T_SPORT, 4500);
	nat_t_port(SADB_X_EXT_NAT_T_DPORT, 4501);
	address(SADB_X_EXT_NAT_T_OA, 0, 32, "10.0.0.9", 0);
	{
		const char *ctx = "system_u:object_r:ipsec_spd_t:s0";
		size_t len = sizeof(struct sadb_x_sec_ctx) + ALIGN8(strlen(ctx));
		struct sadb_x_sec_ctx *s = put(len);
		s->sadb_x_sec_len = len / 8;
		s->sadb_x_sec_exttype = SADB_X_EXT_SEC_CTX;
		s->sadb_x_ctx_alg = 1;
		s->sadb_x_ctx_doi = 1;
		s->sadb_x_ctx_len = strlen(ctx);
		memcpy(s + 1, ctx, strlen(ctx));
	}
	finish("ADD_KEYS");

	/* UPDATE of an AH SA with the extensions Linux ignores: identities, sensitivity, proxy, kmprivate. */
	begin(SADB_UPDATE, SADB_SATYPE_AH, 43, 1234);
	sa(0x00000201, 0, SADB_SASTATE_MATURE, SADB_X_AALG_SHA2_256HMAC, SADB_EALG_NONE, 0);
	address(SADB_EXT_ADDRESS_SRC, 0, 128, "2001:db8::1", 0);
	address(SADB_EXT_ADDRESS_DST, 0, 128, "2001:db8::2", 0);
	address(SADB_EXT_ADDRESS_PROXY, IPPROTO_TCP, 64, "2001:db8:5::", 80);
	key(SADB_EXT_KEY_AUTH, 256, 0x40);
	ident(SADB_EXT_IDENTITY_SRC, SADB_IDENTTYPE_FQDN, 7, "mn.example");
	ident(SADB_EXT_IDENTITY_DST, SADB_IDENTTYPE_USERFQDN, 0, "user@example.org");
	{
		struct sadb_sens *s = put(sizeof(*s) + 16);
		s->sadb_sens_len = (sizeof(*s) + 16) / 8;
		s->sadb_sens_exttype = SADB_EXT_SENSITIVITY;
		s->sadb_sens_dpd = 3;
		s->sadb_sens_sens_level = 4;
		s->sadb_sens_sens_len = 1;
		s->sadb_sens_integ_level = 5;
		s->sadb_sens_integ_len = 1;
		uint8_t *p = (uint8_t *)(s + 1);
		p[0] = 0xf0;
		p[8] = 0x0f;
	}
	{
		struct sadb_x_kmprivate *k = put(sizeof(*k) + 8);
		k->sadb_x_kmprivate_len = (sizeof(*k) + 8) / 8;
		k->sadb_x_kmprivate_exttype = SADB_X_EXT_KMPRIVATE;
		memcpy(k + 1, "kmdata!", 8);
	}
	finish("UPDATE_EXTRAS");

	/* The kernel's ACQUIRE with a proposal (af_key.c pfkey_send_acquire), and an extended one with X_REF. */
	for (int extended = 0; extended <= 1; extended++) {
		begin(SADB_ACQUIRE, SADB_SATYPE_ESP, 7 + extended, 0);
		address(SADB_EXT_ADDRESS_SRC, 0, 128, "2001:db8:1::1", 0);
		address(SADB_EXT_ADDRESS_DST, 0, 128, "2001:db8:77::1", 0);
		policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 9, 10);
		{
			struct sadb_prop *p = put(sizeof(*p));
			p->sadb_prop_len = sizeof(*p) / 8;
			p->sadb_prop_exttype = SADB_EXT_PROPOSAL;
			p->sadb_prop_replay = 32;
			comb(SADB_X_AALG_SHA2_256HMAC, SADB_X_EALG_AESCBC, 256, 256, 128, 256);
			comb(SADB_AALG_SHA1HMAC, SADB_EALG_3DESCBC, 160, 160, 192, 192);
			p->sadb_prop_len += 2 * sizeof(struct sadb_comb) / 8;
		}
		if (extended)
			ref(2, 0, 0xfedcba9876543210ULL);
		finish(extended ? "ACQUIRE_REF" : "ACQUIRE_PROPOSAL");
	}

	/* The kernel's REGISTER reply (af_key.c compose_sadb_supported). */
	begin(SADB_REGISTER, SADB_SATYPE_ESP, 1, 4321);
	{
		struct sadb_supported *s = put(sizeof(*s));
		s->sadb_supported_len = (sizeof(*s) + 3 * sizeof(struct sadb_alg)) / 8;
		s->sadb_supported_exttype = SADB_EXT_SUPPORTED_AUTH;
		alg(SADB_AALG_MD5HMAC, 0, 128, 128);
		alg(SADB_AALG_SHA1HMAC, 0, 160, 160);
		alg(SADB_X_AALG_SHA2_256HMAC, 0, 256, 256);
		s = put(sizeof(*s));
		s->sadb_supported_len = (sizeof(*s) + 2 * sizeof(struct sadb_alg)) / 8;
		s->sadb_supported_exttype = SADB_EXT_SUPPORTED_ENCRYPT;
		alg(SADB_EALG_3DESCBC, 8, 192, 192);
		alg(SADB_X_EALG_AESCBC, 16, 128, 256);
	}
	finish("REGISTER_REPLY");

	/* GETSPI with an SPI range, DUMP with a filter, the kernel's NAT-T mapping and an SPD dump reply. */
	begin(SADB_GETSPI, SADB_SATYPE_ESP, 3, 77);
	address(SADB_EXT_ADDRESS_SRC, 0, 32, "192.0.2.1", 0);
	address(SADB_EXT_ADDRESS_DST, 0, 32, "192.0.2.2", 0);
	sa2(IPSEC_MODE_TRANSPORT, 0, 0);
	{
		struct sadb_spirange *r = put(sizeof(*r));
		r->sadb_spirange_len = sizeof(*r) / 8;
		r->sadb_spirange_exttype = SADB_EXT_SPIRANGE;
		r->sadb_spirange_min = 0x100;
		r->sadb_spirange_max = 0x0fffffff;
	}
	finish("GETSPI_RANGE");

	begin(SADB_DUMP, SADB_SATYPE_UNSPEC, 4, 77);
	{
		struct sadb_x_filter *f = put(sizeof(*f));
		f->sadb_x_filter_len = sizeof(*f) / 8;
		f->sadb_x_filter_exttype = SADB_X_EXT_FILTER;
		inet_pton(AF_INET6, "2001:db8::", f->sadb_x_filter_saddr);
		inet_pton(AF_INET6, "2001:db8:1::", f->sadb_x_filter_daddr);
		f->sadb_x_filter_family = AF_INET6;
		f->sadb_x_filter_splen = 32;
		f->sadb_x_filter_dplen = 48;
	}
	finish("DUMP_FILTER");

	begin(SADB_X_NAT_T_NEW_MAPPING, SADB_SATYPE_ESP, 12, 0);
	sa(0xc0ffee02, 0, 0, 0, 0, 0);
	address(SADB_EXT_ADDRESS_SRC, 0, 32, "192.0.2.1", 0);
	nat_t_port(SADB_X_EXT_NAT_T_SPORT, 4500);
	address(SADB_EXT_ADDRESS_DST, 0, 32, "203.0.113.9", 0);
	nat_t_port(SADB_X_EXT_NAT_T_DPORT, 61234);
	finish("NAT_T_NEW_MAPPING");

	/* pfkey_xfrm_policy2msg: the policy reference count goes in sadb_msg_reserved. */
	begin(SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC, 1, 999);
	hdr->sadb_msg_reserved = 2;
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 0, "::", 0);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 128, "2001:db8:aaaa::100", 0);
	lifetime(SADB_EXT_LIFETIME_HARD, 0, 0, 0, 0);
	lifetime(SADB_EXT_LIFETIME_SOFT, 0, 0, 0, 0);
	lifetime(SADB_EXT_LIFETIME_CURRENT, 0, 0, 1700000000, 0);
	{
		struct sadb_x_policy *p = policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_INBOUND, 16, 100);
		request(p, IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 0x7e57, "2001:db8:cccc::1", "2001:db8:aaaa::1");
	}
	finish("SPDDUMP_REPLY");

	/* The kernel's SPDGET answer for a policy bound to an MPI carries the reference too. */
	begin(SADB_X_SPDGET, SADB_SATYPE_UNSPEC, 2, 999);
	hdr->sadb_msg_reserved = 1;
	address(SADB_EXT_ADDRESS_SRC, 135, 128, "2001:db8:aaaa::100", 0);
	address(SADB_EXT_ADDRESS_DST, 135, 128, "2001:db8:aaaa::1", 0);
	{
		struct sadb_x_policy *p = policy(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0x41, 2);
		request(p, IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_UNIQUE, 11, NULL, NULL);
	}
	ref(1, 0, 0x0102030405060708ULL);
	finish("SPDGET_REF_REPLY");

	/* ADD of a ChaCha20-Poly1305 SA with ESN and a 2048-packet window: this project's private numbers. */
	begin(SADB_ADD, SADB_SATYPE_ESP, 44, 1234);
	sa(0x0c0a0002, 255, SADB_SASTATE_MATURE, SADB_AALG_NONE, SADB_X_EALG_CHACHA20_POLY1305, SADB_X_SAFLAGS_ESN);
	address(SADB_EXT_ADDRESS_SRC, 0, 128, "2001:db8::1", 0);
	address(SADB_EXT_ADDRESS_DST, 0, 128, "2001:db8::2", 0);
	key(SADB_EXT_KEY_ENCRYPT, 288, 0x30);
	sa2(IPSEC_MODE_TUNNEL, 0, 5);
	{
		struct sadb_x_sa_replay *r = put(sizeof(*r));
		r->sadb_x_sa_replay_len = sizeof(*r) / 8;
		r->sadb_x_sa_replay_exttype = SADB_X_EXT_SA_REPLAY;
		r->sadb_x_sa_replay_replay = 2048;
	}
	finish("ADD_PRIVATE");
	return 0;
}
