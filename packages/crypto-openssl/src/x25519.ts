/**
 * X25519 (RFC 7748) on OpenSSL's libcrypto: the private key is made (from the DRBG, or from a given
 * 32-byte value) and kept inside libcrypto, its public value is read once, and `derive` multiplies a
 * peer's public value by it. node:crypto can do the same only through KeyObjects and JWK or DER
 * conversions of each public value, which cost a good share of the scalar multiplication itself.
 */
import type { AddonBinding, AddonX25519Key } from './addon.js';
import { fromAddon, OpensslError } from './errors.js';
import { requireBinding } from './require-addon.js';

/** Bytes of an X25519 private value, public value and shared secret. */
export const X25519_LENGTH = 32;

export class OpensslX25519 {
  /** The public value (u-coordinate, little-endian, RFC 7748 section 5). */
  readonly publicKey: Uint8Array;
  private readonly b: AddonBinding;
  private readonly key: AddonX25519Key;

  /**
   * A fresh key, or the one of the 32-byte `privateKey`. Throws OpensslError: ENOSYS without the
   * addon, EINVAL for a private value that is not 32 bytes.
   */
  constructor(privateKey?: Uint8Array) {
    this.b = requireBinding();
    if (privateKey !== undefined && !(privateKey instanceof Uint8Array))
      throw new OpensslError('EINVAL', 'X25519 private value must be a Uint8Array');
    this.publicKey = new Uint8Array(X25519_LENGTH);
    try {
      this.key = this.b.x25519Create(privateKey, this.publicKey);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /**
   * X25519(our private value, `peerPublic`) in a new array, or undefined when libcrypto refuses the
   * peer value: it fails any derivation whose result is all zero (a small-order point, RFC 7748
   * section 6.1). Throws OpensslError('EINVAL') for a peer value that is not 32 bytes.
   */
  derive(peerPublic: Uint8Array): Uint8Array | undefined {
    const out = new Uint8Array(X25519_LENGTH);
    let ok: boolean;
    try {
      ok = this.b.x25519Derive(this.key, peerPublic, out);
    } catch (e) {
      throw fromAddon(e);
    }
    return ok ? out : undefined;
  }
}
