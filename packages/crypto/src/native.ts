/**
 * CryptoProvider on node:crypto (OpenSSL). The fast one, and the one to use on Node: AES-NI,
 * constant-time OpenSSL code paths, and C-speed MODP. Outputs are plain Uint8Array views of the
 * Buffers node returns (no copy), so `slice` on them copies as callers expect.
 *
 * AES-GCM and ChaCha20-Poly1305 go through the @mip6sec/crypto-openssl addon when it is built (one
 * OpenSSL context per key instead of a node:crypto cipher object per packet), and so do HMAC, hashes
 * and X25519 (no node object per call or per key); `engine` says which is in use and `engineNote`
 * why. Without the addon everything runs on node:crypto.
 *
 * node:crypto is fetched with process.getBuiltinModule (Node >= 20.16) when first needed rather
 * than imported, so this package still loads where there is no node:crypto (a browser running the
 * lab) and the portable provider works there.
 */
import type * as NodeCrypto from 'node:crypto';
import type { CryptoProvider, DhGroup, DhKeyPair, HashAlgorithm } from '@mip6sec/core';
import type { AeadAlgorithm, AeadContext, AeadContextFactory } from './aead-context.js';
import { checkInPlace } from './aead-context.js';
import {
  AEAD_TAG_LENGTH,
  checkBlocks,
  checkBytes,
  checkSealed,
  concatBytes,
  isAllZero,
  leftPad,
} from './bytes.js';
import {
  type CbcContext,
  type CbcHmacContextFactory,
  type HmacContext,
  ProviderCbcContext,
  ProviderHmacContext,
} from './cbc-hmac-context.js';
import { type DhKeyImport, dhGroupInfo } from './dh-groups.js';
import { CryptoError } from './errors.js';
import {
  bigIntToBytes,
  checkModpPrivate,
  checkModpPublic,
  MODP_2048_BYTES,
  MODP_2048_PRIME,
} from './modp.js';
import {
  OpensslAeadContext,
  OpensslCbcContext,
  OpensslHmacContext,
  opensslEngineStatus,
  opensslHash,
  opensslHmac,
  opensslOpen,
  opensslSeal,
  opensslX25519KeyPair,
} from './openssl-engine.js';
import { aesXcbcMac } from './xcbc.js';

let loaded: typeof NodeCrypto | undefined;

/** Whether this runtime has node:crypto, so a NativeCryptoProvider can be made. */
export function hasNodeCrypto(): boolean {
  if (loaded) return true;
  try {
    loaded = globalThis.process?.getBuiltinModule?.('node:crypto');
  } catch {
    loaded = undefined;
  }
  return loaded !== undefined;
}

function nc(): typeof NodeCrypto {
  if (!hasNodeCrypto()) throw new CryptoError('ENOSYS', 'node:crypto is not available in this runtime');
  return loaded!;
}

const AES_KEY_LENGTHS = [16, 24, 32] as const;
const HASHES: readonly HashAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const ZERO_IV = new Uint8Array(16);

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function checkHash(alg: unknown): HashAlgorithm {
  if (!HASHES.includes(alg as HashAlgorithm)) {
    throw new CryptoError('EINVAL', `unsupported hash ${String(alg)}`);
  }
  return alg as HashAlgorithm;
}

function aesName(mode: 'cbc' | 'gcm' | 'ecb', key: unknown): string {
  const k = checkBytes('AES key', key, AES_KEY_LENGTHS);
  return `aes-${k.length * 8}-${mode}`;
}

function run(c: NodeCrypto.Cipher | NodeCrypto.Decipher, data: Uint8Array): Buffer {
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

type AeadName = 'gcm' | 'chacha20-poly1305';

// AEAD keys as node KeyObjects, made once per key: createCipheriv with a KeyObject skips copying and
// checking raw key bytes, a fifth of the cost of one ESP packet. Keyed by the caller's array (an SA keeps
// its key for life) and checked against a copy of the bytes, so a key changed in place is never used stale.
const keyObjects = new WeakMap<
  Uint8Array,
  { readonly bytes: Uint8Array; readonly key: NodeCrypto.KeyObject }
>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function secretKey(key: Uint8Array): NodeCrypto.KeyObject {
  const hit = keyObjects.get(key);
  if (hit && sameBytes(hit.bytes, key)) return hit.key;
  const bytes = key.slice();
  const made = nc().createSecretKey(bytes);
  keyObjects.set(key, { bytes, key: made });
  return made;
}

function seal(
  kind: AeadName,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
): Uint8Array {
  const name = kind === 'gcm' ? aesName('gcm', key) : 'chacha20-poly1305';
  if (kind !== 'gcm') checkBytes('ChaCha20-Poly1305 key', key, [32]);
  checkBytes('nonce', nonce, [12]);
  checkBytes('AAD', aad);
  checkBytes('plaintext', pt);
  const c = nc().createCipheriv(name as 'aes-128-gcm', secretKey(key), nonce, {
    authTagLength: AEAD_TAG_LENGTH,
  });
  c.setAAD(aad);
  // One buffer for ciphertext and tag (both modes are stream ciphers: as many ciphertext bytes as plaintext).
  const out = new Uint8Array(pt.length + AEAD_TAG_LENGTH);
  const ct = c.update(pt);
  out.set(ct);
  out.set(c.final(), ct.length);
  out.set(c.getAuthTag(), pt.length);
  return out;
}

function open(
  kind: AeadName,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  const name = kind === 'gcm' ? aesName('gcm', key) : 'chacha20-poly1305';
  if (kind !== 'gcm') checkBytes('ChaCha20-Poly1305 key', key, [32]);
  checkBytes('nonce', nonce, [12]);
  checkBytes('AAD', aad);
  checkSealed(sealed);
  const split = sealed.length - AEAD_TAG_LENGTH;
  const d = nc().createDecipheriv(name as 'aes-128-gcm', secretKey(key), nonce, {
    authTagLength: AEAD_TAG_LENGTH,
  });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(split));
  const out = d.update(sealed.subarray(0, split));
  try {
    d.final();
  } catch (cause) {
    // Unauthenticated plaintext must not outlive the failed check.
    out.fill(0);
    const what = kind === 'gcm' ? 'AES-GCM' : 'ChaCha20-Poly1305';
    throw new CryptoError('EBADMSG', `${what} ICV does not verify`, { cause });
  }
  return view(out);
}

/** The node:crypto engine's in-place context: a KeyObject made once, a cipher object per packet. */
class NodeAeadContext implements AeadContext {
  readonly algorithm: AeadAlgorithm;
  readonly engine = 'node:crypto';
  private readonly kind: AeadName;
  private readonly key: Uint8Array;

  constructor(algorithm: AeadAlgorithm, key: Uint8Array) {
    if (algorithm !== 'aes-gcm' && algorithm !== 'chacha20-poly1305') {
      throw new CryptoError('EINVAL', `unknown AEAD algorithm ${String(algorithm)}`);
    }
    if (algorithm === 'aes-gcm') aesName('gcm', key);
    else checkBytes('ChaCha20-Poly1305 key', key, [32]);
    this.algorithm = algorithm;
    this.kind = algorithm === 'aes-gcm' ? 'gcm' : 'chacha20-poly1305';
    this.key = Uint8Array.from(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    checkInPlace(buf, offset, length);
    buf.set(seal(this.kind, this.key, nonce, aad, buf.subarray(offset, offset + length)), offset);
  }

  open(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): boolean {
    checkInPlace(buf, offset, length);
    try {
      buf.set(
        open(this.kind, this.key, nonce, aad, buf.subarray(offset, offset + length + AEAD_TAG_LENGTH)),
        offset,
      );
      return true;
    } catch (e) {
      if (!(e instanceof CryptoError) || e.code !== 'EBADMSG') throw e;
      buf.fill(0, offset, offset + length);
      return false;
    }
  }
}

/** Which library does the AEAD work: the OpenSSL addon, or node:crypto. */
export type NativeAeadEngine = 'openssl-addon' | 'node:crypto';

export interface NativeCryptoOptions {
  /**
   * 'auto' (default): the addon when it is built and loads, else node:crypto. 'openssl-addon' insists
   * (ENOSYS with the reason when it is missing); 'node:crypto' never uses it.
   */
  readonly engine?: 'auto' | NativeAeadEngine;
}

// RFC 8410 DER framing of a raw X25519 private key: PKCS#8 OneAsymmetricKey, OID 1.3.101.110. Node
// imports raw X25519 keys only in DER/PEM or as JWK.
const X25519_PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
);

/** The raw u-coordinate of an X25519 key's public half, from its RFC 8037 JWK ("x", base64url). */
function x25519PublicOf(key: NodeCrypto.KeyObject): Uint8Array {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new CryptoError('EINVAL', 'X25519 key has no public value');
  return view(Buffer.from(x, 'base64url'));
}

// Public values go in and out as JWK rather than SubjectPublicKeyInfo DER: OpenSSL's DER decoder
// lookup costs about ten times the X25519 scalar multiplication itself (some 120 us against 10 us
// per import on Node 20), and an IKE SA setup does one import and one export on each end.
function x25519KeyPair(privateKey?: Uint8Array): DhKeyPair {
  const c = nc();
  let key: NodeCrypto.KeyObject;
  let publicKey: Uint8Array;
  if (privateKey === undefined) {
    const pair = c.generateKeyPairSync('x25519');
    key = pair.privateKey;
    publicKey = x25519PublicOf(pair.publicKey);
  } else {
    checkBytes('X25519 private value', privateKey, [32]);
    key = c.createPrivateKey({
      key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]),
      format: 'der',
      type: 'pkcs8',
    });
    publicKey = x25519PublicOf(key);
  }
  return {
    group: 31,
    publicKey,
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkBytes('X25519 public value', peerPublic, [32]);
      let secret: Buffer;
      try {
        const publicKey = c.createPublicKey({
          key: {
            kty: 'OKP',
            crv: 'X25519',
            x: Buffer.from(peerPublic.buffer, peerPublic.byteOffset, 32).toString('base64url'),
          },
          format: 'jwk',
        });
        secret = c.diffieHellman({ privateKey: key, publicKey });
      } catch (cause) {
        // OpenSSL refuses a low-order peer value (its all-zero result) in derivation.
        throw new CryptoError('EINVAL', 'X25519 public value gives no shared secret', { cause });
      }
      // RFC 8031 section 2: an all-zero g^ir MUST be rejected.
      if (isAllZero(secret)) throw new CryptoError('EINVAL', 'X25519 shared secret is all zero');
      return view(secret);
    },
  };
}

function ecpKeyPair(group: 19 | 20, privateKey?: Uint8Array): DhKeyPair {
  const info = dhGroupInfo(group);
  const ecdh = nc().createECDH(group === 19 ? 'prime256v1' : 'secp384r1');
  if (privateKey === undefined) {
    ecdh.generateKeys();
  } else {
    checkBytes(`ECP-${group} private value`, privateKey, [info.privateLength]);
    try {
      ecdh.setPrivateKey(privateKey);
    } catch (cause) {
      throw new CryptoError('EINVAL', `ECP group ${group} private value is not in [1, n-1]`, { cause });
    }
  }
  // Node gives SEC1 04‖x‖y; IKEv2 carries x‖y without the format octet (RFC 5903 section 7).
  const publicKey = view(ecdh.getPublicKey(null, 'uncompressed').subarray(1));
  return {
    group,
    publicKey,
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkBytes(`ECP group ${group} public value`, peerPublic, [info.publicLength]);
      try {
        // OpenSSL decodes the point and checks that it lies on the curve; the result is x only.
        return view(ecdh.computeSecret(concatBytes(Uint8Array.of(0x04), peerPublic)));
      } catch (cause) {
        throw new CryptoError('EINVAL', `ECP group ${group} public value is not a point on the curve`, {
          cause,
        });
      }
    },
  };
}

const MODP_PRIME_BYTES = bigIntToBytes(MODP_2048_PRIME, MODP_2048_BYTES);

function modpKeyPair(privateKey?: Uint8Array): DhKeyPair {
  const dh = nc().createDiffieHellman(MODP_PRIME_BYTES, Uint8Array.of(2));
  if (privateKey !== undefined) {
    checkModpPrivate(privateKey);
    // With a private value set, generateKeys only derives the public value from it.
    dh.setPrivateKey(privateKey);
  }
  dh.generateKeys();
  return {
    group: 14,
    publicKey: leftPad(view(dh.getPublicKey()), MODP_2048_BYTES),
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkModpPublic(peerPublic);
      return leftPad(view(dh.computeSecret(peerPublic)), MODP_2048_BYTES);
    },
  };
}

function keyPair(engine: NativeAeadEngine, group: DhGroup, privateKey?: Uint8Array): DhKeyPair {
  const info = dhGroupInfo(group);
  if (info.kind === 'modp') return modpKeyPair(privateKey);
  if (info.kind === 'x25519')
    return engine === 'openssl-addon' ? opensslX25519KeyPair(privateKey) : x25519KeyPair(privateKey);
  return ecpKeyPair(group as 19 | 20, privateKey);
}

/**
 * Random bytes for small requests (nonces, SPIs, jitter) come out of a pool filled by one
 * randomFillSync call: the call itself costs several times the bytes it gives at these sizes, and
 * an IKE SA setup asks for a handful. Larger requests go to node:crypto directly. Every byte is
 * handed out once, and the handed-out part of the pool is zeroed.
 */
const POOL_SIZE = 4096;
const POOL_MAX_REQUEST = 256;

class RandomPool {
  private readonly pool = new Uint8Array(POOL_SIZE);
  private at = POOL_SIZE;

  take(length: number): Uint8Array {
    if (length > POOL_MAX_REQUEST) return view(nc().randomBytes(length));
    if (this.at + length > POOL_SIZE) {
      nc().randomFillSync(this.pool);
      this.at = 0;
    }
    const out = this.pool.slice(this.at, this.at + length);
    this.pool.fill(0, this.at, this.at + length);
    this.at += length;
    return out;
  }
}

export class NativeCryptoProvider
  implements CryptoProvider, DhKeyImport, AeadContextFactory, CbcHmacContextFactory
{
  readonly name = 'native';
  /** The AEAD engine in use. */
  readonly engine: NativeAeadEngine;
  /** The library behind the addon engine, or why node:crypto is used. */
  readonly engineNote: string;
  private readonly random = new RandomPool();

  /** Throws CryptoError('ENOSYS') where the runtime has no node:crypto, or the addon engine is demanded and missing. */
  constructor(options: NativeCryptoOptions = {}) {
    nc();
    const wanted = options.engine ?? 'auto';
    if (wanted !== 'auto' && wanted !== 'openssl-addon' && wanted !== 'node:crypto') {
      throw new CryptoError('EINVAL', `unknown AEAD engine ${String(wanted)}`);
    }
    const status = wanted === 'node:crypto' ? undefined : opensslEngineStatus();
    if (status?.available) {
      this.engine = 'openssl-addon';
      this.engineNote = status.note;
    } else if (wanted === 'openssl-addon') {
      throw new CryptoError(
        'ENOSYS',
        `the OpenSSL addon engine is not available: ${status?.available === false ? status.reason : ''}`,
      );
    } else {
      this.engine = 'node:crypto';
      this.engineNote = status ? `OpenSSL addon not used: ${status.reason}` : 'node:crypto chosen';
    }
  }

  /** An in-place AEAD context for `key` (cipher key, no salt) on this provider's engine. */
  aeadContext(algorithm: AeadAlgorithm, key: Uint8Array): AeadContext {
    return this.engine === 'openssl-addon'
      ? new OpensslAeadContext(algorithm, key)
      : new NodeAeadContext(algorithm, key);
  }

  /** An in-place AES-CBC context for `key` on this provider's engine. */
  cbcContext(key: Uint8Array): CbcContext {
    return this.engine === 'openssl-addon' ? new OpensslCbcContext(key) : new ProviderCbcContext(this, key);
  }

  /** An HMAC context for `key` on this provider's engine. */
  hmacContext(hash: HashAlgorithm, key: Uint8Array): HmacContext {
    checkHash(hash);
    return this.engine === 'openssl-addon'
      ? new OpensslHmacContext(hash, key)
      : new ProviderHmacContext(this, hash, key);
  }

  randomBytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new CryptoError('EINVAL', `random length must be a non-negative integer, got ${length}`);
    }
    return this.random.take(length);
  }

  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    if (this.engine === 'openssl-addon') return opensslHash(checkHash(alg), data);
    return view(nc().createHash(checkHash(alg)).update(checkBytes('hash data', data)).digest());
  }

  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    if (this.engine === 'openssl-addon') return opensslHmac(checkHash(alg), key, data);
    const h = nc().createHmac(checkHash(alg), checkBytes('HMAC key', key));
    return view(h.update(checkBytes('HMAC data', data)).digest());
  }

  aesXcbc(key: Uint8Array, data: Uint8Array, prf?: boolean): Uint8Array {
    return aesXcbcMac(
      (k, blocks) => view(run(nc().createCipheriv('aes-128-ecb', k, null), blocks)),
      (k, blocks) => view(run(nc().createCipheriv('aes-128-cbc', k, ZERO_IV), blocks)),
      key,
      data,
      prf,
    );
  }

  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    const name = aesName('cbc', key);
    checkBytes('AES-CBC IV', iv, [16]);
    return view(run(nc().createCipheriv(name, key, iv), checkBlocks('AES-CBC data', data, 16)));
  }

  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    const name = aesName('cbc', key);
    checkBytes('AES-CBC IV', iv, [16]);
    return view(run(nc().createDecipheriv(name, key, iv), checkBlocks('AES-CBC data', data, 16)));
  }

  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.engine === 'openssl-addon') return opensslSeal('aes-gcm', key, nonce, aad, plaintext);
    return seal('gcm', key, nonce, aad, plaintext);
  }

  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (this.engine === 'openssl-addon') return opensslOpen('aes-gcm', key, nonce, aad, sealed);
    return open('gcm', key, nonce, aad, sealed);
  }

  chacha20Poly1305Seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array {
    if (this.engine === 'openssl-addon') return opensslSeal('chacha20-poly1305', key, nonce, aad, plaintext);
    return seal('chacha20-poly1305', key, nonce, aad, plaintext);
  }

  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (this.engine === 'openssl-addon') return opensslOpen('chacha20-poly1305', key, nonce, aad, sealed);
    return open('chacha20-poly1305', key, nonce, aad, sealed);
  }

  dh(group: DhGroup): DhKeyPair {
    return keyPair(this.engine, group);
  }

  dhFromPrivateKey(group: DhGroup, privateKey: Uint8Array): DhKeyPair {
    return keyPair(this.engine, group, checkBytes('DH private value', privateKey));
  }
}
