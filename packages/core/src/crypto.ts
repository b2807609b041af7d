/**
 * The primitives IKEv2 and ESP need, behind one contract so a portable (pure JS) and a native
 * (node:crypto) implementation can be swapped and cross-checked.
 */

export type HashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** IKEv2 Diffie-Hellman group numbers supported (RFC 7296 3.3.2 transform type 4). */
export type DhGroup = 14 | 19 | 20 | 31;

export interface DhKeyPair {
  readonly group: DhGroup;
  /** Public value as IKEv2 carries it in the KE payload (RFC 7296 / RFC 5903 / RFC 8031 encodings). */
  readonly publicKey: Uint8Array;
  /** Shared secret from the peer's KE data, in IKEv2's encoding; throws CryptoError on a bad value. */
  computeSecret(peerPublic: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  readonly name: string;
  randomBytes(length: number): Uint8Array;
  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  /** Full-length HMAC; callers truncate (IPsec ICVs) where the transform says so. */
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-XCBC-MAC-96 base (RFC 3566) full 128-bit output; with `prf` set, the RFC 4434 PRF key handling. */
  aesXcbc(key: Uint8Array, data: Uint8Array, prf?: boolean): Uint8Array;
  /** AES-CBC without padding: `data` must be a multiple of 16 bytes. */
  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-GCM with a 16-byte ICV appended to the ciphertext; nonce is 12 bytes. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns the plaintext, or throws CryptoError('EBADMSG') when the ICV does not verify. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
  chacha20Poly1305Seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array;
  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
  dh(group: DhGroup): DhKeyPair;
}
