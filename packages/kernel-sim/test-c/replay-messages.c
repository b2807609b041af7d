/*
 * The PF_KEY messages of a handover, built with the real structs of <linux/pfkeyv2.h> and <linux/ipsec.h>
 * the way an IKE daemon and a Mobile IPv6 daemon fill them, printed as "NAME<TAB>hex" lines.
 * src/replay-messages.test.ts compiles and runs this, makes a `kernel replay` script of the messages and
 * checks the simulated kernel answers as RFC 2367 and draft-ebalard-mext-pfkey-enhanced-migrate section 5.3
 * (with Linux's errors, kernel-interfaces.md section 2.4) say.
 *
 * The mobile node: home address 2001:db8:aaaa::100, home agent 2001:db8:aaaa::1, care-of address
 * 2001:db8:cccc::5 moving to 2001:db8:dddd::5. One outbound tunnel policy (HoA -> any, ESP tunnel CoA -> HA,
 * reqid 0x42) bound to MSRD MPI 0x1122334455667788, and its SA.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/pfkeyv2.h>
#include <linux/ipsec.h>

/* This project's MSRD reference extension, as @mip6sec/pfkey-codec's README lays it out. */
#define SADB_X_EXT_REF 32
struct sadb_x_ref {
	__u16 sadb_x_ref_len;
	__u16 sadb_x_ref_exttype;
	__u8 sadb_ref_ver;
	__u8 sadb_ref_type;
	__u16 sadb_ref_type_ext;
	__u64 sadb_ref_mpi;
} __attribute__((packed));

#define HOA "2001:db8:aaaa::100"
#define HA "2001:db8:aaaa::1"
#define COA1 "2001:db8:cccc::5"
#define COA2 "2001:db8:dddd::5"
#define REQID 0x42
#define SPI 0x1000

static uint8_t buf[4096];
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

/* Writes an IPv6 sockaddr at p; returns its size. */
static size_t sockaddr6_at(void *p, const char *text)
{
	struct sockaddr_in6 s;
	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	inet_pton(AF_INET6, text, &s.sin6_addr);
	memcpy(p, &s, sizeof(s));
	return sizeof(s);
}

#define ALIGN8(n) ((((n) - 1) | 7) + 1)

static void address(uint16_t exttype, uint8_t proto, uint8_t prefixlen, const char *text)
{
	size_t len = sizeof(struct sadb_address) + ALIGN8(sizeof(struct sockaddr_in6));
	struct sadb_address *a = put(len);
	a->sadb_address_len = len / 8;
	a->sadb_address_exttype = exttype;
	a->sadb_address_proto = proto;
	a->sadb_address_prefixlen = prefixlen;
	sockaddr6_at(a + 1, text);
}

static struct sadb_x_policy *policy(uint8_t dir)
{
	struct sadb_x_policy *p = put(sizeof(*p));
	p->sadb_x_policy_len = sizeof(*p) / 8;
	p->sadb_x_policy_exttype = SADB_X_EXT_POLICY;
	p->sadb_x_policy_type = IPSEC_POLICY_IPSEC;
	p->sadb_x_policy_dir = dir;
	return p;
}

/* Appends an ESP tunnel ipsecrequest with its endpoint pair to the policy extension pol. */
static void tunnel_request(struct sadb_x_policy *pol, const char *src, const char *dst)
{
	size_t len = sizeof(struct sadb_x_ipsecrequest) + 2 * sizeof(struct sockaddr_in6);
	struct sadb_x_ipsecrequest *rq = put(len);
	rq->sadb_x_ipsecrequest_len = len;
	rq->sadb_x_ipsecrequest_proto = IPPROTO_ESP;
	rq->sadb_x_ipsecrequest_mode = IPSEC_MODE_TUNNEL;
	rq->sadb_x_ipsecrequest_level = IPSEC_LEVEL_UNIQUE;
	rq->sadb_x_ipsecrequest_reqid = REQID;
	uint8_t *p = (uint8_t *)(rq + 1);
	p += sockaddr6_at(p, src);
	sockaddr6_at(p, dst);
	pol->sadb_x_policy_len += len / 8;
}

static void kmaddress(const char *local, const char *remote)
{
	size_t len = sizeof(struct sadb_x_kmaddress) + ALIGN8(2 * sizeof(struct sockaddr_in6));
	struct sadb_x_kmaddress *k = put(len);
	k->sadb_x_kmaddress_len = len / 8;
	k->sadb_x_kmaddress_exttype = SADB_X_EXT_KMADDRESS;
	uint8_t *p = (uint8_t *)(k + 1);
	p += sockaddr6_at(p, local);
	sockaddr6_at(p, remote);
}

static void lifetime(uint16_t exttype, uint64_t addtime)
{
	struct sadb_lifetime *l = put(sizeof(*l));
	l->sadb_lifetime_len = sizeof(*l) / 8;
	l->sadb_lifetime_exttype = exttype;
	l->sadb_lifetime_addtime = addtime;
}

/* MIGRATE of the tunnel policy's selector from src_old to src_new (the HA end stays). */
static void migrate(const char *name, const char *selector_src, const char *src_old, const char *src_new)
{
	begin(SADB_X_MIGRATE, SADB_SATYPE_ESP, 3, 600);
	kmaddress(src_new, HA);
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 128, selector_src);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 0, "::");
	struct sadb_x_policy *p = policy(IPSEC_DIR_OUTBOUND);
	tunnel_request(p, src_old, HA);
	tunnel_request(p, src_new, HA);
	finish(name);
}

int main(void)
{
	/* The IKE daemon registers for ESP: it will get ACQUIRE and EXPIRE. */
	begin(SADB_REGISTER, SADB_SATYPE_ESP, 1, 500);
	finish("REGISTER");

	/* mip6d: outbound tunnel policy HoA -> any over CoA1 -> HA, bound to an MSRD MPI (SADB_X_EXT_REF). */
	begin(SADB_X_SPDADD, SADB_SATYPE_UNSPEC, 1, 600);
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 128, HOA);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 0, "::");
	{
		struct sadb_x_policy *p = policy(IPSEC_DIR_OUTBOUND);
		tunnel_request(p, COA1, HA);
	}
	{
		struct sadb_x_ref *r = put(sizeof(*r));
		r->sadb_x_ref_len = sizeof(*r) / 8;
		r->sadb_x_ref_exttype = SADB_X_EXT_REF;
		r->sadb_ref_ver = 1;
		r->sadb_ref_type = 1;
		r->sadb_ref_type_ext = 0;
		r->sadb_ref_mpi = 0x1122334455667788ULL;
	}
	finish("SPDADD_REF");

	/* IKE installs the SA the ACQUIRE asked for: AES-GCM-16 with its salt, soft 10 s, hard 20 s. */
	begin(SADB_ADD, SADB_SATYPE_ESP, 2, 500);
	{
		struct sadb_sa *s = put(sizeof(*s));
		s->sadb_sa_len = sizeof(*s) / 8;
		s->sadb_sa_exttype = SADB_EXT_SA;
		s->sadb_sa_spi = htonl(SPI);
		s->sadb_sa_replay = 32;
		s->sadb_sa_state = SADB_SASTATE_MATURE;
		s->sadb_sa_auth = SADB_AALG_NONE;
		s->sadb_sa_encrypt = SADB_X_EALG_AES_GCM_ICV16;
	}
	lifetime(SADB_EXT_LIFETIME_HARD, 20);
	lifetime(SADB_EXT_LIFETIME_SOFT, 10);
	address(SADB_EXT_ADDRESS_SRC, 0, 128, COA1);
	address(SADB_EXT_ADDRESS_DST, 0, 128, HA);
	{
		/* 128-bit AES key + 32-bit salt (RFC 4106 section 8.1). */
		size_t len = sizeof(struct sadb_key) + ALIGN8(20);
		struct sadb_key *k = put(len);
		k->sadb_key_len = len / 8;
		k->sadb_key_exttype = SADB_EXT_KEY_ENCRYPT;
		k->sadb_key_bits = 160;
		uint8_t *p = (uint8_t *)(k + 1);
		for (int i = 0; i < 20; i++)
			p[i] = (uint8_t)(0xa0 + i);
	}
	{
		struct sadb_x_sa2 *s = put(sizeof(*s));
		s->sadb_x_sa2_len = sizeof(*s) / 8;
		s->sadb_x_sa2_exttype = SADB_X_EXT_SA2;
		s->sadb_x_sa2_mode = IPSEC_MODE_TUNNEL;
		s->sadb_x_sa2_reqid = REQID;
	}
	finish("ADD_SA");

	/* The MN moved to CoA2; the second time nothing has the old endpoints any more (ENODATA). */
	migrate("MIGRATE", HOA, COA1, COA2);

	/* A selector no policy has (ENOENT). */
	migrate("MIGRATE_NO_POLICY", "2001:db8:aaaa::200", COA1, COA2);

	/* Malformed: an old ipsecrequest without its new half, an odd request count (EINVAL). */
	begin(SADB_X_MIGRATE, SADB_SATYPE_ESP, 4, 600);
	kmaddress(COA2, HA);
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 128, HOA);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 0, "::");
	{
		struct sadb_x_policy *p = policy(IPSEC_DIR_OUTBOUND);
		tunnel_request(p, COA2, HA);
	}
	finish("MIGRATE_ODD");

	/* Malformed: KMADDRESS with an IPv6 local and an IPv4 remote address (EINVAL). */
	begin(SADB_X_MIGRATE, SADB_SATYPE_ESP, 5, 600);
	{
		size_t len = sizeof(struct sadb_x_kmaddress) +
			     ALIGN8(sizeof(struct sockaddr_in6) + sizeof(struct sockaddr_in));
		struct sadb_x_kmaddress *k = put(len);
		k->sadb_x_kmaddress_len = len / 8;
		k->sadb_x_kmaddress_exttype = SADB_X_EXT_KMADDRESS;
		uint8_t *p = (uint8_t *)(k + 1);
		p += sockaddr6_at(p, COA2);
		struct sockaddr_in s;
		memset(&s, 0, sizeof(s));
		s.sin_family = AF_INET;
		inet_pton(AF_INET, "192.0.2.1", &s.sin_addr);
		memcpy(p, &s, sizeof(s));
	}
	address(SADB_EXT_ADDRESS_SRC, IPSEC_ULPROTO_ANY, 128, HOA);
	address(SADB_EXT_ADDRESS_DST, IPSEC_ULPROTO_ANY, 0, "::");
	{
		struct sadb_x_policy *p = policy(IPSEC_DIR_OUTBOUND);
		tunnel_request(p, COA2, HA);
		tunnel_request(p, COA1, HA);
	}
	finish("MIGRATE_BAD_KMADDRESS");
	return 0;
}
