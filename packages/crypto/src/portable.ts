/**
 * CryptoProvider in pure JavaScript on the audited noble libraries: runs wherever ESM runs
 * (browsers for the dashboard, Deno, Bun, a Node without OpenSSL's ChaCha20). It is slower than
 * the native provider, and its MODP group uses bigint arithmetic that is not constant time
 * (see modp.ts). The noble curves and ciphers themselves aim at constant-time operation.
 */

import type { CryptoProvider, DhGroup, DhKeyPair, HashAlgorithm } from '@mip6sec/core';
import { cbc, ecb, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { checkBlocks, checkBytes, checkSealed, concatBytes, isAllZero } from './bytes.js';
import { type DhKeyImport, dhGroupInfo } from './dh-groups.js';
import { CryptoError } from './errors.js';
import { bigintModpKeyPair } from './modp.js';
import { aesXcbcMac } from './xcbc.js';

const HASHES = { sha1, sha256, sha384, sha512 } as const;
const AES_KEY_LENGTHS = [16, 24, 32] as const;
const ZERO_IV = new Uint8Array(16);
/** crypto.getRandomValues fills at most 65536 bytes a call (WebCrypto section 10.1.1). */
const RANDOM_CHUNK = 65536;

function hashFn(alg: unknown): (typeof HASHES)[HashAlgorithm] {
  const fn = Object.hasOwn(HASHES, alg as string) ? HASHES[alg as HashAlgorithm] : undefined;
  if (!fn) throw new CryptoError('EINVAL', `unsupported hash ${String(alg)}`);
  return fn;
}

type Aead = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad?: Uint8Array,
) => {
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
};

function aeadArgs(
  name: string,
  keyLengths: readonly number[],
  key: unknown,
  nonce: unknown,
  aad: unknown,
): void {
  checkBytes(`${name} key`, key, keyLengths);
  checkBytes('nonce', nonce, [12]);
  checkBytes('AAD', aad);
}

function open(
  name: string,
  aead: Aead,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
) {
  checkSealed(sealed);
  try {
    return aead(key, nonce, aad).decrypt(sealed);
  } catch (cause) {
    // Arguments were checked above, so the only failure left is the tag.
    throw new CryptoError('EBADMSG', `${name} ICV does not verify`, { cause });
  }
}

function ecpKeyPair(group: 19 | 20, privateKey?: Uint8Array): DhKeyPair {
  const info = dhGroupInfo(group);
  const curve = group === 19 ? p256 : p384;
  let secret: Uint8Array;
  if (privateKey === undefined) {
    secret = curve.utils.randomSecretKey();
  } else {
    checkBytes(`ECP group ${group} private value`, privateKey, [info.privateLength]);
    if (!curve.utils.isValidSecretKey(privateKey)) {
      throw new CryptoError('EINVAL', `ECP group ${group} private value is not in [1, n-1]`);
    }
    secret = privateKey.slice();
  }
  // noble gives SEC1 04‖x‖y; IKEv2 carries x‖y without the format octet (RFC 5903 section 7).
  const publicKey = curve.getPublicKey(secret, false).subarray(1);
  return {
    group,
    publicKey,
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkBytes(`ECP group ${group} public value`, peerPublic, [info.publicLength]);
      const sec1 = concatBytes(Uint8Array.of(0x04), peerPublic);
      try {
        curve.Point.fromBytes(sec1).assertValidity();
      } catch (cause) {
        throw new CryptoError('EINVAL', `ECP group ${group} public value is not a point on the curve`, {
          cause,
        });
      }
      // The compressed shared point is 02|03 ‖ x; RFC 5903 section 7 keeps x only.
      return curve.getSharedSecret(secret, sec1, true).subarray(1);
    },
  };
}

function x25519KeyPair(privateKey?: Uint8Array): DhKeyPair {
  const secret =
    privateKey === undefined
      ? x25519.utils.randomSecretKey()
      : checkBytes('X25519 private value', privateKey, [32]).slice();
  return {
    group: 31,
    publicKey: x25519.getPublicKey(secret),
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      checkBytes('X25519 public value', peerPublic, [32]);
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(secret, peerPublic);
      } catch (cause) {
        // noble refuses the low-order points, whose result would be all zero, before the ladder.
        throw new CryptoError('EINVAL', 'X25519 public value gives no shared secret', { cause });
      }
      // RFC 8031 section 2: an all-zero g^ir MUST be rejected.
      if (isAllZero(shared)) throw new CryptoError('EINVAL', 'X25519 shared secret is all zero');
      return shared;
    },
  };
}

export class PortableCryptoProvider implements CryptoProvider, DhKeyImport {
  readonly name = 'portable';

  randomBytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new CryptoError('EINVAL', `random length must be a non-negative integer, got ${length}`);
    }
    if (length <= RANDOM_CHUNK) return randomBytes(length);
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += RANDOM_CHUNK) {
      out.set(randomBytes(Math.min(RANDOM_CHUNK, length - at)), at);
    }
    return out;
  }

  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    return hashFn(alg)(checkBytes('hash data', data));
  }

  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(hashFn(alg), checkBytes('HMAC key', key), checkBytes('HMAC data', data));
  }

  aesXcbc(key: Uint8Array, data: Uint8Array, prf?: boolean): Uint8Array {
    return aesXcbcMac(
      (k, blocks) => ecb(k, { disablePadding: true }).encrypt(blocks),
      (k, blocks) => cbc(k, ZERO_IV, { disablePadding: true }).encrypt(blocks),
      key,
      data,
      prf,
    );
  }

  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkBytes('AES key', key, AES_KEY_LENGTHS);
    checkBytes('AES-CBC IV', iv, [16]);
    return cbc(key, iv, { disablePadding: true }).encrypt(checkBlocks('AES-CBC data', data, 16));
  }

  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkBytes('AES key', key, AES_KEY_LENGTHS);
    checkBytes('AES-CBC IV', iv, [16]);
    return cbc(key, iv, { disablePadding: true }).decrypt(checkBlocks('AES-CBC data', data, 16));
  }

  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    aeadArgs('AES', AES_KEY_LENGTHS, key, nonce, aad);
    return gcm(key, nonce, aad).encrypt(checkBytes('plaintext', plaintext));
  }

  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    aeadArgs('AES', AES_KEY_LENGTHS, key, nonce, aad);
    return open('AES-GCM', gcm, key, nonce, aad, sealed);
  }

  chacha20Poly1305Seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array {
    aeadArgs('ChaCha20-Poly1305', [32], key, nonce, aad);
    return chacha20poly1305(key, nonce, aad).encrypt(checkBytes('plaintext', plaintext));
  }

  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    aeadArgs('ChaCha20-Poly1305', [32], key, nonce, aad);
    return open('ChaCha20-Poly1305', chacha20poly1305, key, nonce, aad, sealed);
  }

  dh(group: DhGroup): DhKeyPair {
    return this.#keyPair(group);
  }

  dhFromPrivateKey(group: DhGroup, privateKey: Uint8Array): DhKeyPair {
    return this.#keyPair(group, checkBytes('DH private value', privateKey));
  }

  #keyPair(group: DhGroup, privateKey?: Uint8Array): DhKeyPair {
    const info = dhGroupInfo(group);
    if (info.kind === 'modp') return bigintModpKeyPair((n) => this.randomBytes(n), privateKey);
    if (info.kind === 'x25519') return x25519KeyPair(privateKey);
    return ecpKeyPair(group as 19 | 20, privateKey);
  }
}
