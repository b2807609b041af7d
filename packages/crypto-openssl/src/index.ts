/**
 * @packageDocumentation
 * AES-GCM and ChaCha20-Poly1305 on OpenSSL's libcrypto through an optional Node-API addon: one cipher
 * context per key, in-place seal and open, and batches of packets per call; AES-CBC and HMAC the same
 * way, for the ESP suites without an AEAD; one-shot HMAC and hashes, and X25519, for IKE's key
 * exchange and key derivation. When the addon is not
 * built or does not load, {@link opensslAddon} says why and `@mip6sec/crypto` falls back to node:crypto.
 *
 * @example
 * ```ts
 * import { OpensslAead, opensslAddon } from '@mip6sec/crypto-openssl';
 * const status = opensslAddon();
 * if (status.available) {
 *   const aead = new OpensslAead('aes-gcm', new Uint8Array(16));
 *   const buf = new Uint8Array(5 + 16);
 *   buf.set(new TextEncoder().encode('hello'));
 *   aead.seal(new Uint8Array(12), new Uint8Array(0), buf, 0, 5); // ciphertext and tag, in place
 *   aead.open(new Uint8Array(12), new Uint8Array(0), buf, 0, 5); // true, 'hello' again
 * } else console.log(status.reason);
 * ```
 */

export { ADDON_ENV, type AddonStatus, opensslAddon } from './addon.js';
export {
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  BATCH_ROW_FIELDS,
  BatchRow,
  OpensslAead,
  type OpensslAeadAlgorithm,
  type OpensslAeadOptions,
} from './aead.js';
export { AES_BLOCK_LENGTH, OpensslCbc } from './cbc.js';
export { OpensslError, type OpensslErrorCode } from './errors.js';
export { OpensslHmac, type OpensslHmacHash, opensslDigest, opensslHmacOnce } from './hmac.js';
export { OpensslX25519, X25519_LENGTH } from './x25519.js';
