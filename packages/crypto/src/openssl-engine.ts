/**
 * The native provider's AEAD engine when the @mip6sec/crypto-openssl addon is built: one OpenSSL
 * context per key, so a packet only sets its nonce. Contexts for the allocating CryptoProvider calls
 * are cached per key array (checked against a copy of the bytes, so a key changed in place is never
 * used stale); in-place contexts for the datapath are made once per SA by the caller.
 */
import type { DhKeyPair, HashAlgorithm } from '@mip6sec/core';
import {
  OpensslAead,
  type OpensslAeadAlgorithm,
  OpensslCbc,
  OpensslError,
  OpensslHmac,
  OpensslX25519,
  opensslAddon,
  opensslDigest,
  opensslHmacOnce,
} from '@mip6sec/crypto-openssl';
import type { AeadAlgorithm, AeadContext } from './aead-context.js';
import { AEAD_TAG_LENGTH, checkBytes, checkSealed, copyBytes, isAllZero } from './bytes.js';
import type { CbcContext, HmacContext } from './cbc-hmac-context.js';
import { CryptoError } from './errors.js';

/** The addon's state: usable, with the library it reaches, or the reason it is not. */
export function opensslEngineStatus():
  | { available: true; note: string }
  | { available: false; reason: string } {
  const s = opensslAddon();
  return s.available
    ? { available: true, note: `${s.library} (${s.directory}) through @mip6sec/crypto-openssl` }
    : { available: false, reason: s.reason };
}

function toCryptoError(e: unknown): unknown {
  if (e instanceof OpensslError) {
    return new CryptoError(e.code === 'ENOSYS' ? 'ENOSYS' : e.code === 'EIO' ? 'EIO' : 'EINVAL', e.message, {
      cause: e,
    });
  }
  return e;
}

function keyCheck(algorithm: AeadAlgorithm, key: unknown): Uint8Array {
  return algorithm === 'aes-gcm'
    ? checkBytes('AES key', key, [16, 24, 32])
    : checkBytes('ChaCha20-Poly1305 key', key, [32]);
}

/** An in-place context on the addon, with this package's error type. */
export class OpensslAeadContext implements AeadContext {
  readonly algorithm: AeadAlgorithm;
  readonly engine = 'openssl-addon';
  private readonly aead: OpensslAead;

  constructor(algorithm: AeadAlgorithm, key: Uint8Array) {
    keyCheck(algorithm, key);
    this.algorithm = algorithm;
    try {
      this.aead = new OpensslAead(algorithm satisfies OpensslAeadAlgorithm, key);
    } catch (e) {
      throw toCryptoError(e);
    }
  }

  seal(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    try {
      this.aead.seal(nonce, aad, buf, offset, length);
    } catch (e) {
      throw toCryptoError(e);
    }
  }

  open(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): boolean {
    try {
      return this.aead.open(nonce, aad, buf, offset, length);
    } catch (e) {
      throw toCryptoError(e);
    }
  }
}

/** AES-CBC on the addon. */
export class OpensslCbcContext implements CbcContext {
  readonly engine = 'openssl-addon';
  private readonly cbc: OpensslCbc;

  constructor(key: Uint8Array) {
    checkBytes('AES key', key, [16, 24, 32]);
    try {
      this.cbc = new OpensslCbc(key);
    } catch (e) {
      throw toCryptoError(e);
    }
  }

  encrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    try {
      this.cbc.encrypt(iv, buf, offset, length);
    } catch (e) {
      throw toCryptoError(e);
    }
  }

  decrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    try {
      this.cbc.decrypt(iv, buf, offset, length);
    } catch (e) {
      throw toCryptoError(e);
    }
  }
}

/** HMAC on the addon. */
export class OpensslHmacContext implements HmacContext {
  readonly engine = 'openssl-addon';
  readonly hash: HashAlgorithm;
  private readonly mac: OpensslHmac;

  constructor(hash: HashAlgorithm, key: Uint8Array) {
    checkBytes('HMAC key', key);
    this.hash = hash;
    try {
      this.mac = new OpensslHmac(hash, key);
    } catch (e) {
      throw toCryptoError(e);
    }
  }

  digest(data: Uint8Array, offset: number, length: number, tail?: Uint8Array): Uint8Array {
    try {
      return this.mac.digest(data, offset, length, tail);
    } catch (e) {
      throw toCryptoError(e);
    }
  }
}

const contexts = new WeakMap<
  Uint8Array,
  { readonly algorithm: AeadAlgorithm; readonly bytes: Uint8Array; readonly ctx: OpensslAeadContext }
>();

function cachedContext(algorithm: AeadAlgorithm, key: Uint8Array): OpensslAeadContext {
  const hit = contexts.get(key);
  if (hit && hit.algorithm === algorithm && sameBytes(hit.bytes, key)) return hit.ctx;
  const ctx = new OpensslAeadContext(algorithm, key);
  contexts.set(key, { algorithm, bytes: copyBytes(key), ctx });
  return ctx;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** CryptoProvider's allocating seal: a new array holding ciphertext and tag. */
export function opensslSeal(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  keyCheck(algorithm, key);
  checkBytes('nonce', nonce, [12]);
  checkBytes('AAD', aad);
  checkBytes('plaintext', plaintext);
  const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
  out.set(plaintext);
  cachedContext(algorithm, key).seal(nonce, aad, out, 0, plaintext.length);
  return out;
}

/** CryptoProvider's allocating open: the plaintext, or CryptoError('EBADMSG'). */
export function opensslOpen(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  keyCheck(algorithm, key);
  checkBytes('nonce', nonce, [12]);
  checkBytes('AAD', aad);
  checkSealed(sealed);
  const out = copyBytes(sealed);
  const length = sealed.length - AEAD_TAG_LENGTH;
  if (!cachedContext(algorithm, key).open(nonce, aad, out, 0, length)) {
    const what = algorithm === 'aes-gcm' ? 'AES-GCM' : 'ChaCha20-Poly1305';
    throw new CryptoError('EBADMSG', `${what} ICV does not verify`);
  }
  return out.subarray(0, length);
}

/** HMAC(key, data) on the addon's one-shot context (no context of its own per key). */
export function opensslHmac(hash: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBytes('HMAC key', key);
  checkBytes('HMAC data', data);
  try {
    return opensslHmacOnce(hash, key, data);
  } catch (e) {
    throw toCryptoError(e);
  }
}

/** The hash of `data` on the addon. */
export function opensslHash(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  checkBytes('hash data', data);
  try {
    return opensslDigest(hash, data);
  } catch (e) {
    throw toCryptoError(e);
  }
}

/**
 * An X25519 key pair on the addon (RFC 8031 for IKEv2): the private key stays in libcrypto. An
 * all-zero shared secret is refused, as RFC 7748 section 6.1 and RFC 8031 section 2 require.
 */
export function opensslX25519KeyPair(privateKey?: Uint8Array): DhKeyPair {
  if (privateKey !== undefined) checkBytes('X25519 private value', privateKey, [32]);
  let key: OpensslX25519;
  try {
    key = new OpensslX25519(privateKey);
  } catch (e) {
    throw toCryptoError(e);
  }
  return {
    group: 31,
    publicKey: key.publicKey,
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkBytes('X25519 public value', peerPublic, [32]);
      let secret: Uint8Array | undefined;
      try {
        secret = key.derive(peerPublic);
      } catch (e) {
        throw toCryptoError(e);
      }
      // libcrypto fails a derivation that gives all zeros; the check stays for any other library.
      if (secret === undefined || isAllZero(secret))
        throw new CryptoError('EINVAL', 'X25519 shared secret is all zero');
      return secret;
    },
  };
}
