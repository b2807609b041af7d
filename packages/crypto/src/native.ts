/**
 * CryptoProvider on node:crypto (OpenSSL). The fast one, and the one to use on Node: AES-NI,
 * constant-time OpenSSL code paths, and C-speed MODP. Outputs are plain Uint8Array views of the
 * Buffers node returns (no copy), so `slice` on them copies as callers expect.
 *
 * node:crypto is fetched with process.getBuiltinModule (Node >= 20.16) when first needed rather
 * than imported, so this package still loads where there is no node:crypto (a browser running the
 * lab) and the portable provider works there.
 */
import type * as NodeCrypto from 'node:crypto';
import type { CryptoProvider, DhGroup, DhKeyPair, HashAlgorithm } from '@mip6sec/core';
import {
  AEAD_TAG_LENGTH,
  checkBlocks,
  checkBytes,
  checkSealed,
  concatBytes,
  isAllZero,
  leftPad,
} from './bytes.js';
import { type DhKeyImport, dhGroupInfo } from './dh-groups.js';
import { CryptoError } from './errors.js';
import {
  bigIntToBytes,
  checkModpPrivate,
  checkModpPublic,
  MODP_2048_BYTES,
  MODP_2048_PRIME,
} from './modp.js';
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

// RFC 8410 DER framing of a raw X25519 key: PKCS#8 OneAsymmetricKey and SubjectPublicKeyInfo,
// OID 1.3.101.110. Node imports and exports X25519 keys only in these forms (or JWK).
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
const X25519_SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x03,
  0x21,
  0x00,
);

function x25519KeyPair(privateKey?: Uint8Array): DhKeyPair {
  const c = nc();
  let key: NodeCrypto.KeyObject;
  if (privateKey === undefined) {
    key = c.generateKeyPairSync('x25519').privateKey;
  } else {
    checkBytes('X25519 private value', privateKey, [32]);
    key = c.createPrivateKey({
      key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]),
      format: 'der',
      type: 'pkcs8',
    });
  }
  const spki = c.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return {
    group: 31,
    publicKey: view(spki.subarray(X25519_SPKI_PREFIX.length)),
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkBytes('X25519 public value', peerPublic, [32]);
      let secret: Buffer;
      try {
        const publicKey = c.createPublicKey({
          key: Buffer.concat([X25519_SPKI_PREFIX, peerPublic]),
          format: 'der',
          type: 'spki',
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

function keyPair(group: DhGroup, privateKey?: Uint8Array): DhKeyPair {
  const info = dhGroupInfo(group);
  if (info.kind === 'modp') return modpKeyPair(privateKey);
  if (info.kind === 'x25519') return x25519KeyPair(privateKey);
  return ecpKeyPair(group as 19 | 20, privateKey);
}

export class NativeCryptoProvider implements CryptoProvider, DhKeyImport {
  readonly name = 'native';

  /** Throws CryptoError('ENOSYS') where the runtime has no node:crypto. */
  constructor() {
    nc();
  }

  randomBytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new CryptoError('EINVAL', `random length must be a non-negative integer, got ${length}`);
    }
    return view(nc().randomBytes(length));
  }

  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    return view(nc().createHash(checkHash(alg)).update(checkBytes('hash data', data)).digest());
  }

  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
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
    return seal('gcm', key, nonce, aad, plaintext);
  }

  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    return open('gcm', key, nonce, aad, sealed);
  }

  chacha20Poly1305Seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array {
    return seal('chacha20-poly1305', key, nonce, aad, plaintext);
  }

  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    return open('chacha20-poly1305', key, nonce, aad, sealed);
  }

  dh(group: DhGroup): DhKeyPair {
    return keyPair(group);
  }

  dhFromPrivateKey(group: DhGroup, privateKey: Uint8Array): DhKeyPair {
    return keyPair(group, checkBytes('DH private value', privateKey));
  }
}
