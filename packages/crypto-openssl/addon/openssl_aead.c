/*
 * AEAD seal and open (and AES-CBC, HMAC) on OpenSSL's libcrypto for Node, through Node-API.
 *
 * Why this exists: node:crypto makes a new cipher object for every packet (RFC 4106 nonces change per
 * packet, and createCipheriv is the only way to give one), which costs more than the encryption itself
 * at ESP packet sizes. Here one EVP_CIPHER_CTX per key and direction is keyed once; a packet only
 * re-initialises it with its nonce, which keeps the key schedule. Output goes in place into the
 * caller's Uint8Array (the tag right after the data), so nothing is allocated per packet, and a batch
 * call seals or opens many packets of one buffer in one crossing from JavaScript.
 *
 * The same holds for the ESP suites without an AEAD: AES-CBC (RFC 3602) keyed once per key, in place,
 * and HMAC (RFC 2104; RFC 2404 and RFC 4868 truncate it) keyed once per key, re-initialised per packet.
 *
 * Every argument is checked before OpenSSL sees it; bad input throws an Error whose `code` is
 * EINVAL (or EIO when libcrypto itself fails), never crashes. A tag that does not verify is not an
 * error here: open returns false and zeroes the unauthenticated plaintext.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define TAG_LEN 16
#define NONCE_LEN 12
/* Seal and open tables: one row per packet of these uint32 fields. */
#define ROW_NONCE 0
#define ROW_AAD 1
#define ROW_AAD_LEN 2
#define ROW_DATA 3
#define ROW_DATA_LEN 4
#define ROW_RESULT 5
#define ROW_FIELDS 6

enum alg { ALG_AES_GCM = 1, ALG_CHACHA20_POLY1305 = 2 };

#define MAX_AEAD_KEY 32

typedef struct {
  int alg;
  /*
   * Each direction is keyed when first used: most keys only ever seal (an outbound SA, the SK
   * payloads we send) or only open, and keying a context costs about as much as a short message.
   * The cipher (a reference of our own) and key stay here until then.
   */
  EVP_CIPHER *cipher;
  unsigned char key[MAX_AEAD_KEY];
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  /* Leading nonce bytes fixed per key (an ESP SA's salt, RFC 4106 4); calls give the rest. */
  unsigned char salt[NONCE_LEN];
  size_t salt_len;
  bool disposed;
} aead_ctx;

/* Marks externals made here, one tag per kind, so a foreign external passed back is refused rather than used. */
static const napi_type_tag AEAD_TAG = {0x6d69703673656331ULL, 0x6f70656e73736c61ULL};
static const napi_type_tag CBC_TAG = {0x6d69703673656331ULL, 0x6f70656e73736c63ULL};
static const napi_type_tag HMAC_TAG = {0x6d69703673656331ULL, 0x6f70656e73736c68ULL};
static const napi_type_tag X25519_TAG = {0x6d69703673656331ULL, 0x6f70656e73736c78ULL};

/*
 * What every call would otherwise look up again, kept per Node environment (one per thread, so no
 * locking): the ciphers, digests and HMAC fetched by name (an OpenSSL 3 fetch goes through the
 * provider's method store under a lock, and cost more than keying a context), and one HMAC context
 * per digest for the one-shot MACs, re-keyed by each call. Freed when the environment ends.
 */
#define N_CIPHERS 6
#define N_DIGESTS 4
static const char *const CIPHER_NAMES[N_CIPHERS] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                                                   "ChaCha20-Poly1305", "AES-128-CBC", "AES-256-CBC"};
static const char *const DIGEST_NAMES[N_DIGESTS] = {"SHA1", "SHA256", "SHA384", "SHA512"};

typedef struct {
  EVP_CIPHER *ciphers[N_CIPHERS];
  EVP_MD *digests[N_DIGESTS];
  EVP_MAC *hmac;
  EVP_MAC_CTX *once[N_DIGESTS];
  /* -1 not yet known; 1 when EVP_MAC_init without a key does not restart (openssl#17811, see hmac_ctx). */
  int restart_broken;
} env_cache;

static void finalize_cache(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_cache *c = data;
  for (int i = 0; i < N_CIPHERS; i++) EVP_CIPHER_free(c->ciphers[i]);
  for (int i = 0; i < N_DIGESTS; i++) {
    EVP_MD_free(c->digests[i]);
    EVP_MAC_CTX_free(c->once[i]);
  }
  EVP_MAC_free(c->hmac);
  OPENSSL_free(c);
}

static env_cache *cache_of(napi_env env) {
  void *p = NULL;
  if (napi_get_instance_data(env, &p) != napi_ok) return NULL;
  return p;
}

/* The cipher `name` (one of CIPHER_NAMES), fetched once per environment; NULL if libcrypto lacks it. */
static EVP_CIPHER *cached_cipher(napi_env env, const char *name) {
  env_cache *c = cache_of(env);
  for (int i = 0; c != NULL && i < N_CIPHERS; i++) {
    if (strcmp(CIPHER_NAMES[i], name) != 0) continue;
    if (c->ciphers[i] == NULL) c->ciphers[i] = EVP_CIPHER_fetch(NULL, name, NULL);
    return c->ciphers[i];
  }
  return NULL;
}

/* Index of a digest name in DIGEST_NAMES, or -1. */
static int digest_index(const char *name) {
  for (int i = 0; i < N_DIGESTS; i++)
    if (strcmp(DIGEST_NAMES[i], name) == 0) return i;
  return -1;
}

static EVP_MD *cached_digest(napi_env env, int i) {
  env_cache *c = cache_of(env);
  if (c == NULL) return NULL;
  if (c->digests[i] == NULL) c->digests[i] = EVP_MD_fetch(NULL, DIGEST_NAMES[i], NULL);
  return c->digests[i];
}

static EVP_MAC *cached_hmac(napi_env env) {
  env_cache *c = cache_of(env);
  if (c == NULL) return NULL;
  if (c->hmac == NULL) c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  return c->hmac;
}

#define AES_BLOCK 16
#define MAX_MAC 64

typedef struct {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
} cbc_ctx;

typedef struct {
  EVP_MAC_CTX *mac;
  size_t size;
  /*
   * OpenSSL 3.0 before 3.0.3 took EVP_MAC_init with no key as a silent no-op (openssl#17811) instead of
   * a restart with the same key. Where a self-check at creation shows that, the key is kept (and
   * cleansed on free) and set again per message.
   */
  unsigned char *key;
  size_t key_len;
} hmac_ctx;

static napi_value throw_code(napi_env env, const char *code, const char *msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, code, msg);
  return NULL;
}

__attribute__((format(printf, 3, 4))) static napi_value throw_fmt(napi_env env, const char *code,
                                                                  const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return throw_code(env, code, msg);
}

/* A Uint8Array's bytes; false (with an exception pending) for anything else. */
static bool get_bytes(napi_env env, napi_value v, const char *what, unsigned char **data, size_t *len) {
  napi_typedarray_type type;
  void *p = NULL;
  size_t n = 0;
  if (napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    throw_fmt(env, "EINVAL", "%s must be a Uint8Array", what);
    return false;
  }
  *data = p;
  *len = p == NULL ? 0 : n;
  return true;
}

/* A non-negative integer no larger than `max`. */
static bool get_index(napi_env env, napi_value v, const char *what, size_t max, size_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d != floor(d) || d > (double)max) {
    throw_fmt(env, "EINVAL", "%s must be an integer in [0, %zu]", what, max);
    return false;
  }
  *out = (size_t)d;
  return true;
}

/* The pointer of an external made here with `tag`, or NULL with an exception pending. */
static void *get_external(napi_env env, napi_value v, const napi_type_tag *tag, const char *what) {
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    throw_fmt(env, "EINVAL", "not %s context made by this addon", what);
    return NULL;
  }
  return p;
}

static napi_value make_external(napi_env env, void *p, napi_finalize fin, const napi_type_tag *tag) {
  napi_value out;
  if (napi_create_external(env, p, fin, NULL, &out) != napi_ok) {
    fin(env, p, NULL);
    return throw_code(env, "EIO", "could not create the context object");
  }
  if (napi_type_tag_object(env, out, tag) != napi_ok) return throw_code(env, "EIO", "could not tag the context");
  return out;
}

static aead_ctx *get_ctx(napi_env env, napi_value v) {
  aead_ctx *c = get_external(env, v, &AEAD_TAG, "an AEAD");
  if (c == NULL) return NULL;
  if (c->disposed) {
    throw_code(env, "EINVAL", "AEAD context was disposed");
    return NULL;
  }
  return c;
}

static void free_ctx_ciphers(aead_ctx *c) {
  /* EVP_CIPHER_CTX_free cleanses the key schedule. */
  EVP_CIPHER_CTX_free(c->enc);
  EVP_CIPHER_CTX_free(c->dec);
  EVP_CIPHER_free(c->cipher);
  c->enc = NULL;
  c->dec = NULL;
  c->cipher = NULL;
  c->disposed = true;
  OPENSSL_cleanse(c->key, sizeof c->key);
  OPENSSL_cleanse(c->salt, sizeof c->salt);
}

static void finalize_ctx(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_ctx *c = data;
  free_ctx_ciphers(c);
  OPENSSL_free(c);
}

static EVP_CIPHER_CTX *keyed(const EVP_CIPHER *cipher, const unsigned char *key, int enc) {
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  if (x == NULL) return NULL;
  if (EVP_CipherInit_ex(x, cipher, NULL, NULL, NULL, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
      EVP_CipherInit_ex(x, NULL, NULL, key, NULL, enc) != 1) {
    EVP_CIPHER_CTX_free(x);
    return NULL;
  }
  return x;
}

/* aeadCreate(alg, key, salt?) -> context. alg 1: AES-GCM (16, 24 or 32-byte key), 2: ChaCha20-Poly1305. */
static napi_value aead_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_code(env, "EINVAL", "aeadCreate(alg, key, salt?) needs an algorithm and a key");
  int32_t alg = 0;
  if (napi_get_value_int32(env, argv[0], &alg) != napi_ok)
    return throw_code(env, "EINVAL", "algorithm must be a number");
  unsigned char *key, *salt = NULL;
  size_t key_len, salt_len = 0;
  if (!get_bytes(env, argv[1], "key", &key, &key_len)) return NULL;
  if (argc > 2) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t != napi_undefined && !get_bytes(env, argv[2], "salt", &salt, &salt_len)) return NULL;
    if (salt_len >= NONCE_LEN)
      return throw_fmt(env, "EINVAL", "salt must be shorter than 12 bytes, got %zu", salt_len);
  }
  const char *name = NULL;
  if (alg == ALG_AES_GCM) {
    name = key_len == 16 ? "AES-128-GCM" : key_len == 24 ? "AES-192-GCM" : key_len == 32 ? "AES-256-GCM" : NULL;
    if (name == NULL) return throw_fmt(env, "EINVAL", "AES-GCM key must be 16, 24 or 32 bytes, got %zu", key_len);
  } else if (alg == ALG_CHACHA20_POLY1305) {
    if (key_len != 32) return throw_fmt(env, "EINVAL", "ChaCha20-Poly1305 key must be 32 bytes, got %zu", key_len);
    name = "ChaCha20-Poly1305";
  } else {
    return throw_code(env, "EINVAL", "unknown AEAD algorithm");
  }
  EVP_CIPHER *cipher = cached_cipher(env, name);
  if (cipher == NULL || EVP_CIPHER_up_ref(cipher) != 1) return throw_fmt(env, "EIO", "libcrypto has no %s", name);
  aead_ctx *c = OPENSSL_zalloc(sizeof *c);
  if (c == NULL) {
    EVP_CIPHER_free(cipher);
    return throw_code(env, "EIO", "out of memory");
  }
  c->alg = alg;
  c->cipher = cipher;
  memcpy(c->key, key, key_len);
  if (salt_len > 0) memcpy(c->salt, salt, salt_len);
  c->salt_len = salt_len;
  return make_external(env, c, finalize_ctx, &AEAD_TAG);
}

/* aeadDispose(ctx): frees the cipher state now rather than at garbage collection. */
static napi_value aead_dispose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_code(env, "EINVAL", "aeadDispose(ctx) needs a context");
  aead_ctx *c = get_external(env, argv[0], &AEAD_TAG, "an AEAD");
  if (c == NULL) return NULL;
  free_ctx_ciphers(c);
  return NULL;
}

/* The context of one direction (1: seal), keyed now if this is its first use; NULL if libcrypto fails. */
static EVP_CIPHER_CTX *direction(aead_ctx *c, int enc) {
  EVP_CIPHER_CTX **x = enc ? &c->enc : &c->dec;
  if (*x == NULL) *x = keyed(c->cipher, c->key, enc);
  return *x;
}

static void full_nonce(const aead_ctx *c, const unsigned char *nonce, unsigned char out[NONCE_LEN]) {
  memcpy(out, c->salt, c->salt_len);
  memcpy(out + c->salt_len, nonce, NONCE_LEN - c->salt_len);
}

/* One packet: data[0, len) in place, tag at data[len, len + 16). Returns 1 sealed, 0 on a libcrypto failure. */
static int seal_one(aead_ctx *c, const unsigned char *nonce, const unsigned char *aad, size_t aad_len,
                    unsigned char *data, size_t len) {
  unsigned char iv[NONCE_LEN];
  int n = 0;
  full_nonce(c, nonce, iv);
  EVP_CIPHER_CTX *x = c->enc;
  if (EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv) != 1) return 0;
  if (aad_len > 0 && EVP_EncryptUpdate(x, NULL, &n, aad, (int)aad_len) != 1) return 0;
  int done = 0;
  if (len > 0) {
    if (EVP_EncryptUpdate(x, data, &n, data, (int)len) != 1) return 0;
    done = n;
  }
  if (EVP_EncryptFinal_ex(x, data + done, &n) != 1) return 0;
  return EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, data + len) == 1;
}

/* Returns 1 when the tag verified (data now plaintext), 0 when not (data zeroed). */
static int open_one(aead_ctx *c, const unsigned char *nonce, const unsigned char *aad, size_t aad_len,
                    unsigned char *data, size_t len) {
  unsigned char iv[NONCE_LEN];
  int n = 0;
  full_nonce(c, nonce, iv);
  EVP_CIPHER_CTX *x = c->dec;
  int ok = EVP_DecryptInit_ex(x, NULL, NULL, NULL, iv) == 1 &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, data + len) == 1 &&
           (aad_len == 0 || EVP_DecryptUpdate(x, NULL, &n, aad, (int)aad_len) == 1);
  int done = 0;
  if (ok && len > 0) {
    ok = EVP_DecryptUpdate(x, data, &n, data, (int)len) == 1;
    done = n;
  }
  if (ok) ok = EVP_DecryptFinal_ex(x, data + done, &n) > 0;
  if (!ok) OPENSSL_cleanse(data, len); /* unauthenticated plaintext must not outlive the check */
  return ok;
}

/* Arguments of a one-packet call: (ctx, nonce, aad, buf, offset, length). */
typedef struct {
  aead_ctx *c;
  unsigned char *nonce, *aad, *data;
  size_t aad_len, len;
} one_args;

static bool get_one(napi_env env, napi_callback_info info, one_args *a) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < 6) {
    throw_code(env, "EINVAL", "expected (ctx, nonce, aad, buf, offset, length)");
    return false;
  }
  if ((a->c = get_ctx(env, argv[0])) == NULL) return false;
  unsigned char *buf;
  size_t nonce_len, buf_len, off;
  if (!get_bytes(env, argv[1], "nonce", &a->nonce, &nonce_len) ||
      !get_bytes(env, argv[2], "AAD", &a->aad, &a->aad_len) || !get_bytes(env, argv[3], "buffer", &buf, &buf_len))
    return false;
  if (nonce_len != NONCE_LEN - a->c->salt_len) {
    throw_fmt(env, "EINVAL", "nonce must be %zu bytes", NONCE_LEN - a->c->salt_len);
    return false;
  }
  if (a->aad_len > INT_MAX) {
    throw_code(env, "EINVAL", "AAD is too long");
    return false;
  }
  if (!get_index(env, argv[4], "offset", buf_len, &off) ||
      !get_index(env, argv[5], "length", INT_MAX - TAG_LEN, &a->len))
    return false;
  if (buf_len - off < a->len + TAG_LEN) {
    throw_fmt(env, "EINVAL", "buffer of %zu bytes holds no room for the data and its 16-byte tag at that offset",
              buf_len);
    return false;
  }
  a->data = buf + off;
  return true;
}

/* aeadSeal(ctx, nonce, aad, buf, offset, length): encrypts buf[offset, +length) in place, tag after it. */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  one_args a;
  if (!get_one(env, info, &a)) return NULL;
  if (direction(a.c, 1) == NULL) return throw_code(env, "EIO", "libcrypto could not key the cipher");
  if (!seal_one(a.c, a.nonce, a.aad, a.aad_len, a.data, a.len))
    return throw_code(env, "EIO", "libcrypto failed to seal");
  return NULL;
}

/* aeadOpen(ctx, nonce, aad, buf, offset, length) -> boolean: decrypts in place when the tag after it verifies. */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  one_args a;
  if (!get_one(env, info, &a)) return NULL;
  if (direction(a.c, 0) == NULL) return throw_code(env, "EIO", "libcrypto could not key the cipher");
  napi_value out;
  napi_get_boolean(env, open_one(a.c, a.nonce, a.aad, a.aad_len, a.data, a.len), &out);
  return out;
}

/*
 * aeadSealBatch / aeadOpenBatch(ctx, buf, table, count): `table` is a Uint32Array of `count` rows of
 * (nonce offset, AAD offset, AAD length, data offset, data length, result), all offsets into `buf`.
 * Every row is checked before any packet is touched. The result field gets 1 (sealed, or verified and
 * decrypted) or 0; the call returns how many rows got 1.
 */
static napi_value batch(napi_env env, napi_callback_info info, bool sealing) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) return throw_code(env, "EINVAL", "expected (ctx, buf, table, count)");
  aead_ctx *c = get_ctx(env, argv[0]);
  if (c == NULL) return NULL;
  unsigned char *buf;
  size_t buf_len, rows_len, count;
  if (!get_bytes(env, argv[1], "buffer", &buf, &buf_len)) return NULL;
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_get_typedarray_info(env, argv[2], &type, &rows_len, &p, NULL, NULL) != napi_ok ||
      type != napi_uint32_array)
    return throw_code(env, "EINVAL", "table must be a Uint32Array");
  uint32_t *rows = p;
  if (!get_index(env, argv[3], "count", rows_len / ROW_FIELDS, &count)) return NULL;
  const size_t nonce_len = NONCE_LEN - c->salt_len;
  for (size_t i = 0; i < count; i++) {
    const uint32_t *r = rows + i * ROW_FIELDS;
    size_t data_len = r[ROW_DATA_LEN];
    if (r[ROW_NONCE] > buf_len || buf_len - r[ROW_NONCE] < nonce_len || r[ROW_AAD] > buf_len ||
        buf_len - r[ROW_AAD] < r[ROW_AAD_LEN] || r[ROW_AAD_LEN] > INT_MAX ||
        data_len > (size_t)INT_MAX - TAG_LEN ||
        r[ROW_DATA] > buf_len || buf_len - r[ROW_DATA] < data_len + TAG_LEN)
      return throw_fmt(env, "EINVAL", "table row %zu does not fit the buffer", i);
  }
  if (count > 0 && direction(c, sealing) == NULL) return throw_code(env, "EIO", "libcrypto could not key the cipher");
  uint32_t good = 0;
  for (size_t i = 0; i < count; i++) {
    uint32_t *r = rows + i * ROW_FIELDS;
    unsigned char *nonce = buf + r[ROW_NONCE], *aad = buf + r[ROW_AAD], *data = buf + r[ROW_DATA];
    int ok = sealing ? seal_one(c, nonce, aad, r[ROW_AAD_LEN], data, r[ROW_DATA_LEN])
                     : open_one(c, nonce, aad, r[ROW_AAD_LEN], data, r[ROW_DATA_LEN]);
    r[ROW_RESULT] = (uint32_t)ok;
    good += (uint32_t)ok;
  }
  napi_value out;
  napi_create_uint32(env, good, &out);
  return out;
}

static napi_value aead_seal_batch(napi_env env, napi_callback_info info) { return batch(env, info, true); }
static napi_value aead_open_batch(napi_env env, napi_callback_info info) { return batch(env, info, false); }

/* ---------------------------------------------------------------- AES-CBC */

static void finalize_cbc(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  cbc_ctx *c = data;
  EVP_CIPHER_CTX_free(c->enc);
  EVP_CIPHER_CTX_free(c->dec);
  OPENSSL_free(c);
}

static EVP_CIPHER_CTX *keyed_cbc(const EVP_CIPHER *cipher, const unsigned char *key, int enc) {
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  if (x == NULL) return NULL;
  if (EVP_CipherInit_ex(x, cipher, NULL, key, NULL, enc) != 1 || EVP_CIPHER_CTX_set_padding(x, 0) != 1) {
    EVP_CIPHER_CTX_free(x);
    return NULL;
  }
  return x;
}

/* cbcCreate(key) -> context: AES-CBC without padding, 16, 24 or 32-byte key. */
static napi_value cbc_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_code(env, "EINVAL", "cbcCreate(key) needs a key");
  unsigned char *key;
  size_t key_len;
  if (!get_bytes(env, argv[0], "key", &key, &key_len)) return NULL;
  const char *name = key_len == 16   ? "AES-128-CBC"
                     : key_len == 24 ? "AES-192-CBC"
                     : key_len == 32 ? "AES-256-CBC"
                                     : NULL;
  if (name == NULL) return throw_fmt(env, "EINVAL", "AES-CBC key must be 16, 24 or 32 bytes, got %zu", key_len);
  /* AES-192-CBC is rare enough to be fetched each time rather than cached. */
  EVP_CIPHER *owned = key_len == 24 ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
  const EVP_CIPHER *cipher = key_len == 24 ? owned : cached_cipher(env, name);
  if (cipher == NULL) return throw_fmt(env, "EIO", "libcrypto has no %s", name);
  cbc_ctx *c = OPENSSL_zalloc(sizeof *c);
  if (c == NULL) {
    EVP_CIPHER_free(owned);
    return throw_code(env, "EIO", "out of memory");
  }
  c->enc = keyed_cbc(cipher, key, 1);
  c->dec = keyed_cbc(cipher, key, 0);
  EVP_CIPHER_free(owned); /* the contexts hold their own references */
  if (c->enc == NULL || c->dec == NULL) {
    finalize_cbc(env, c, NULL);
    return throw_fmt(env, "EIO", "libcrypto could not key %s", name);
  }
  return make_external(env, c, finalize_cbc, &CBC_TAG);
}

/* cbcEncrypt / cbcDecrypt(ctx, iv, buf, offset, length): whole blocks of buf, in place. */
static napi_value cbc_run(napi_env env, napi_callback_info info, int enc) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 5) return throw_code(env, "EINVAL", "expected (ctx, iv, buf, offset, length)");
  cbc_ctx *c = get_external(env, argv[0], &CBC_TAG, "an AES-CBC");
  if (c == NULL) return NULL;
  unsigned char *iv, *buf;
  size_t iv_len, buf_len, off, len;
  if (!get_bytes(env, argv[1], "IV", &iv, &iv_len) || !get_bytes(env, argv[2], "buffer", &buf, &buf_len) ||
      !get_index(env, argv[3], "offset", buf_len, &off) || !get_index(env, argv[4], "length", INT_MAX, &len))
    return NULL;
  if (iv_len != AES_BLOCK) return throw_fmt(env, "EINVAL", "AES-CBC IV must be 16 bytes, got %zu", iv_len);
  if (len % AES_BLOCK != 0)
    return throw_fmt(env, "EINVAL", "AES-CBC data must be whole 16-byte blocks, got %zu", len);
  if (buf_len - off < len)
    return throw_fmt(env, "EINVAL", "buffer of %zu bytes holds no %zu bytes at %zu", buf_len, len, off);
  EVP_CIPHER_CTX *x = enc ? c->enc : c->dec;
  unsigned char *p = buf + off;
  int n = 0, m = 0;
  if (EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, enc) != 1 ||
      (len > 0 && EVP_CipherUpdate(x, p, &n, p, (int)len) != 1) ||
      EVP_CipherFinal_ex(x, p + n, &m) != 1)
    return throw_code(env, "EIO", "libcrypto failed on AES-CBC");
  return NULL;
}

static napi_value cbc_encrypt(napi_env env, napi_callback_info info) { return cbc_run(env, info, 1); }
static napi_value cbc_decrypt(napi_env env, napi_callback_info info) { return cbc_run(env, info, 0); }

/* ---------------------------------------------------------------- HMAC */

static void finalize_hmac(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  hmac_ctx *h = data;
  EVP_MAC_CTX_free(h->mac);
  if (h->key != NULL) OPENSSL_clear_free(h->key, h->key_len);
  OPENSSL_free(h);
}

/* Starts a message: the same key again, without its setup where libcrypto can restart. */
static int hmac_restart(hmac_ctx *h) {
  return EVP_MAC_init(h->mac, h->key, h->key == NULL ? 0 : h->key_len, NULL) == 1;
}

static int hmac_once(hmac_ctx *h, const unsigned char *a, size_t a_len, const unsigned char *b, size_t b_len,
                     unsigned char out[MAX_MAC]) {
  size_t n = 0;
  return hmac_restart(h) && (a_len == 0 || EVP_MAC_update(h->mac, a, a_len) == 1) &&
         (b_len == 0 || EVP_MAC_update(h->mac, b, b_len) == 1) && EVP_MAC_final(h->mac, out, &n, MAX_MAC) == 1 &&
         n == h->size;
}

/* hmacCreate(hash, key) -> context. hash: "SHA1", "SHA256", "SHA384" or "SHA512"; any key length. */
static napi_value hmac_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_code(env, "EINVAL", "hmacCreate(hash, key) needs a hash and a key");
  char hash[16] = {0};
  size_t hash_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], hash, sizeof hash, &hash_len) != napi_ok)
    return throw_code(env, "EINVAL", "hash must be a string");
  if (strcmp(hash, "SHA1") != 0 && strcmp(hash, "SHA256") != 0 && strcmp(hash, "SHA384") != 0 &&
      strcmp(hash, "SHA512") != 0)
    return throw_fmt(env, "EINVAL", "unsupported HMAC hash %s", hash);
  unsigned char *key;
  size_t key_len;
  if (!get_bytes(env, argv[1], "key", &key, &key_len)) return NULL;
  hmac_ctx *h = OPENSSL_zalloc(sizeof *h);
  if (h == NULL) return throw_code(env, "EIO", "out of memory");
  EVP_MAC *mac = cached_hmac(env);
  h->mac = mac == NULL ? NULL : EVP_MAC_CTX_new(mac);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, hash, 0),
                         OSSL_PARAM_construct_end()};
  /* EVP_MAC refuses a NULL key even of length 0: give it a real (empty) one. */
  static const unsigned char empty[1] = {0};
  if (h->mac == NULL || EVP_MAC_init(h->mac, key_len > 0 ? key : empty, key_len, params) != 1) {
    finalize_hmac(env, h, NULL);
    return throw_fmt(env, "EIO", "libcrypto could not key HMAC-%s", hash);
  }
  h->size = EVP_MAC_CTX_get_mac_size(h->mac);
  if (h->size == 0 || h->size > MAX_MAC) {
    finalize_hmac(env, h, NULL);
    return throw_fmt(env, "EIO", "libcrypto gives HMAC-%s of %zu bytes", hash, h->size);
  }
  /*
   * The restart self-check: the same message twice must give the same MAC. The answer is the
   * library's, not the key's, so it is worked out on the first context of an environment only.
   */
  env_cache *cache = cache_of(env);
  int broken = cache == NULL ? -1 : cache->restart_broken;
  if (broken < 0) {
    unsigned char first[MAX_MAC], second[MAX_MAC];
    static const unsigned char probe[] = "mip6sec";
    broken = !hmac_once(h, probe, sizeof probe, NULL, 0, first) ||
             !hmac_once(h, probe, sizeof probe, NULL, 0, second) ||
             CRYPTO_memcmp(first, second, h->size) != 0;
    OPENSSL_cleanse(first, sizeof first);
    OPENSSL_cleanse(second, sizeof second);
    if (cache != NULL) cache->restart_broken = broken;
  }
  if (broken) {
    h->key = OPENSSL_malloc(key_len > 0 ? key_len : 1);
    if (h->key == NULL) {
      finalize_hmac(env, h, NULL);
      return throw_code(env, "EIO", "out of memory");
    }
    if (key_len > 0) memcpy(h->key, key, key_len);
    else h->key[0] = 0;
    h->key_len = key_len;
  }
  return make_external(env, h, finalize_hmac, &HMAC_TAG);
}

/*
 * hmacDigest(ctx, data, offset, length, tail, out): the full HMAC of data[offset, +length) followed by
 * `tail` (ESN's high sequence bits, RFC 4303 2.2.1), into out[0, size). Returns the size.
 */
static napi_value hmac_digest(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) return throw_code(env, "EINVAL", "expected (ctx, data, offset, length, tail, out)");
  hmac_ctx *h = get_external(env, argv[0], &HMAC_TAG, "an HMAC");
  if (h == NULL) return NULL;
  unsigned char *data, *tail, *out;
  size_t data_len, off, len, tail_len, out_len;
  if (!get_bytes(env, argv[1], "data", &data, &data_len) || !get_index(env, argv[2], "offset", data_len, &off) ||
      !get_index(env, argv[3], "length", data_len - off, &len) ||
      !get_bytes(env, argv[4], "tail", &tail, &tail_len) ||
      !get_bytes(env, argv[5], "out", &out, &out_len))
    return NULL;
  if (out_len < h->size)
    return throw_fmt(env, "EINVAL", "out must hold the %zu-byte HMAC, got %zu bytes", h->size, out_len);
  unsigned char mac[MAX_MAC];
  if (!hmac_once(h, data + off, len, tail, tail_len, mac))
    return throw_code(env, "EIO", "libcrypto failed on HMAC");
  memcpy(out, mac, h->size);
  OPENSSL_cleanse(mac, sizeof mac);
  napi_value r;
  napi_create_uint32(env, (uint32_t)h->size, &r);
  return r;
}

/* ---------------------------------------------------------------- one-shot HMAC and digests */

/* The hash name argument: "SHA1", "SHA256", "SHA384" or "SHA512"; its index, or -1 with an exception pending. */
static int get_hash(napi_env env, napi_value v) {
  char name[16] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, name, sizeof name, &len) != napi_ok) {
    throw_code(env, "EINVAL", "hash must be a string");
    return -1;
  }
  int i = digest_index(name);
  if (i < 0) throw_fmt(env, "EINVAL", "unsupported hash %s", name);
  return i;
}

/*
 * hmacOnce(hash, key, data, out) -> size: HMAC(key, data) into out[0, size). Keys that are used once
 * (the PRF calls of an IKE SA setup) would pay for a context of their own each; this re-keys one
 * context per digest instead, which a call with a key always does fully (no restart issue here).
 */
static napi_value hmac_once_call(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) return throw_code(env, "EINVAL", "expected (hash, key, data, out)");
  int i = get_hash(env, argv[0]);
  if (i < 0) return NULL;
  unsigned char *key, *data, *out;
  size_t key_len, data_len, out_len;
  if (!get_bytes(env, argv[1], "key", &key, &key_len) || !get_bytes(env, argv[2], "data", &data, &data_len) ||
      !get_bytes(env, argv[3], "out", &out, &out_len))
    return NULL;
  env_cache *c = cache_of(env);
  if (c == NULL) return throw_code(env, "EIO", "addon state is missing");
  if (c->once[i] == NULL) {
    EVP_MAC *mac = cached_hmac(env);
    EVP_MAC_CTX *x = mac == NULL ? NULL : EVP_MAC_CTX_new(mac);
    char digest[16];
    strcpy(digest, DIGEST_NAMES[i]);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (x == NULL || EVP_MAC_CTX_set_params(x, params) != 1) {
      EVP_MAC_CTX_free(x);
      return throw_fmt(env, "EIO", "libcrypto has no HMAC-%s", DIGEST_NAMES[i]);
    }
    c->once[i] = x;
  }
  EVP_MAC_CTX *x = c->once[i];
  /* The context knows its size only once keyed: the digest's is the HMAC's. */
  const EVP_MD *md = cached_digest(env, i);
  size_t size = md == NULL ? 0 : (size_t)EVP_MD_get_size(md);
  if (size == 0 || size > MAX_MAC) return throw_fmt(env, "EIO", "libcrypto has no %s", DIGEST_NAMES[i]);
  if (out_len < size) return throw_fmt(env, "EINVAL", "out must hold the %zu-byte HMAC, got %zu bytes", size, out_len);
  /* EVP_MAC refuses a NULL key even of length 0: give it a real (empty) one. */
  static const unsigned char empty[1] = {0};
  unsigned char mac[MAX_MAC];
  size_t n = 0;
  int ok = EVP_MAC_init(x, key_len > 0 ? key : empty, key_len, NULL) == 1 &&
           (data_len == 0 || EVP_MAC_update(x, data, data_len) == 1) && EVP_MAC_final(x, mac, &n, MAX_MAC) == 1 &&
           n == size;
  /* The context keeps this key's pads until the next call: overwrite them with an empty key's. */
  EVP_MAC_init(x, empty, 0, NULL);
  if (!ok) return throw_code(env, "EIO", "libcrypto failed on HMAC");
  memcpy(out, mac, size);
  OPENSSL_cleanse(mac, sizeof mac);
  napi_value r;
  napi_create_uint32(env, (uint32_t)size, &r);
  return r;
}

/* digest(hash, data, out) -> size: the hash of data into out[0, size). */
static napi_value digest_call(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_code(env, "EINVAL", "expected (hash, data, out)");
  int i = get_hash(env, argv[0]);
  if (i < 0) return NULL;
  unsigned char *data, *out;
  size_t data_len, out_len;
  if (!get_bytes(env, argv[1], "data", &data, &data_len) || !get_bytes(env, argv[2], "out", &out, &out_len))
    return NULL;
  const EVP_MD *md = cached_digest(env, i);
  if (md == NULL) return throw_fmt(env, "EIO", "libcrypto has no %s", DIGEST_NAMES[i]);
  size_t size = (size_t)EVP_MD_get_size(md);
  if (out_len < size) return throw_fmt(env, "EINVAL", "out must hold the %zu-byte hash, got %zu bytes", size, out_len);
  unsigned int n = 0;
  if (EVP_Digest(data_len > 0 ? data : (const unsigned char *)"", data_len, out, &n, md, NULL) != 1 || n != size)
    return throw_code(env, "EIO", "libcrypto failed to hash");
  napi_value r;
  napi_create_uint32(env, n, &r);
  return r;
}

/* ---------------------------------------------------------------- X25519 (RFC 7748) */

#define X25519_LEN 32

static void finalize_x25519(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_PKEY_free(data); /* clears the private value */
}

/*
 * x25519Create(priv, pub) -> key: an X25519 private key, from the 32-byte `priv` or, when `priv` is
 * undefined, from 32 bytes of libcrypto's private DRBG (as its own key generation takes them); its
 * public value is written to `pub`. The key stays inside libcrypto, so deriving with it later does
 * not work the public value out again.
 */
static napi_value x25519_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_code(env, "EINVAL", "expected (priv, pub)");
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  unsigned char priv[X25519_LEN];
  unsigned char *given = NULL, *pub;
  size_t given_len = 0, pub_len;
  if (t != napi_undefined && !get_bytes(env, argv[0], "private value", &given, &given_len)) return NULL;
  if (!get_bytes(env, argv[1], "public value buffer", &pub, &pub_len)) return NULL;
  if (t != napi_undefined && given_len != X25519_LEN)
    return throw_fmt(env, "EINVAL", "X25519 private value must be 32 bytes, got %zu", given_len);
  if (pub_len < X25519_LEN) return throw_fmt(env, "EINVAL", "public value buffer must hold 32 bytes, got %zu", pub_len);
  if (given != NULL) memcpy(priv, given, X25519_LEN);
  else if (RAND_priv_bytes(priv, X25519_LEN) != 1) return throw_code(env, "EIO", "libcrypto has no random bytes");
  EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, X25519_LEN);
  OPENSSL_cleanse(priv, sizeof priv);
  size_t n = X25519_LEN;
  if (k == NULL || EVP_PKEY_get_raw_public_key(k, pub, &n) != 1 || n != X25519_LEN) {
    EVP_PKEY_free(k);
    return throw_code(env, "EIO", "libcrypto could not make an X25519 key");
  }
  return make_external(env, k, finalize_x25519, &X25519_TAG);
}

/*
 * x25519Derive(key, peer, out) -> boolean: X25519(key, peer) into out[0, 32). False when libcrypto
 * refuses the peer value: it fails a derivation whose result is all zero (a small-order point,
 * RFC 7748 section 6.1); out is then zeroed.
 */
static napi_value x25519_derive(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_code(env, "EINVAL", "expected (key, peer, out)");
  EVP_PKEY *k = get_external(env, argv[0], &X25519_TAG, "an X25519");
  if (k == NULL) return NULL;
  unsigned char *peer, *out;
  size_t peer_len, out_len;
  if (!get_bytes(env, argv[1], "peer public value", &peer, &peer_len) ||
      !get_bytes(env, argv[2], "out", &out, &out_len))
    return NULL;
  if (peer_len != X25519_LEN)
    return throw_fmt(env, "EINVAL", "X25519 public value must be 32 bytes, got %zu", peer_len);
  if (out_len < X25519_LEN) return throw_fmt(env, "EINVAL", "out must hold 32 bytes, got %zu", out_len);
  EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, X25519_LEN);
  if (p == NULL) return throw_code(env, "EIO", "libcrypto could not take the X25519 public value");
  EVP_PKEY_CTX *x = EVP_PKEY_CTX_new(k, NULL);
  size_t n = X25519_LEN;
  int ok = x != NULL && EVP_PKEY_derive_init(x) == 1 && EVP_PKEY_derive_set_peer(x, p) == 1 &&
           EVP_PKEY_derive(x, out, &n) == 1 && n == X25519_LEN;
  EVP_PKEY_CTX_free(x);
  EVP_PKEY_free(p);
  if (!ok) OPENSSL_cleanse(out, X25519_LEN);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

/* info() -> { version, directory }: which libcrypto the calls end up in. */
static napi_value lib_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "version", v);
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_DIR), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "directory", v);
  napi_create_string_utf8(env, OPENSSL_VERSION_TEXT, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "headers", v);
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  const napi_property_descriptor props[] = {
      {"info", NULL, lib_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadCreate", NULL, aead_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadDispose", NULL, aead_dispose, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadSeal", NULL, aead_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadOpen", NULL, aead_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadSealBatch", NULL, aead_seal_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadOpenBatch", NULL, aead_open_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcCreate", NULL, cbc_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcEncrypt", NULL, cbc_encrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcDecrypt", NULL, cbc_decrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacCreate", NULL, hmac_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacDigest", NULL, hmac_digest, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacOnce", NULL, hmac_once_call, NULL, NULL, NULL, napi_enumerable, NULL},
      {"digest", NULL, digest_call, NULL, NULL, NULL, napi_enumerable, NULL},
      {"x25519Create", NULL, x25519_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"x25519Derive", NULL, x25519_derive, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  env_cache *cache = OPENSSL_zalloc(sizeof *cache);
  if (cache == NULL) return NULL;
  cache->restart_broken = -1;
  if (napi_set_instance_data(env, cache, finalize_cache, NULL) != napi_ok) {
    finalize_cache(env, cache, NULL);
    return NULL;
  }
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
