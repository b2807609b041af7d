/**
 * What each IPsec/IKEv2 transform needs in bytes, and the truncated ICV of the integrity
 * transforms, so IKE (keymat split, RFC 7296 section 2.14 / 2.17) and ESP (RFC 4303) read key
 * sizes from one table. Names are the EncAlgorithm / IntegAlgorithm names of @mip6sec/core.
 */
import type { CryptoProvider, EncAlgorithm, HashAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import { checkBytes, equalBytes } from './bytes.js';
import { CryptoError } from './errors.js';

export interface EncTransform {
  /** Keymat bytes per key size, salt included (RFC 4106 section 8.1, RFC 7634 section 2). */
  readonly keyLengths: readonly number[];
  /** Trailing keymat bytes that are the nonce salt, not cipher key. */
  readonly saltLength: number;
  /** Bytes of IV carried in each ESP packet / SK payload. */
  readonly ivLength: number;
  /** Bytes of AEAD tag after the ciphertext (0: not an AEAD; integrity comes from an INTEG transform). */
  readonly icvLength: number;
  /** Padding boundary for the ESP trailer: the cipher block, at least 4 (RFC 4303 section 2.4). */
  readonly blockSize: number;
}

export const ENC_TRANSFORMS: Readonly<Record<EncAlgorithm, EncTransform>> = {
  // RFC 2410: ENCR_NULL, no key, no IV.
  null: { keyLengths: [0], saltLength: 0, ivLength: 0, icvLength: 0, blockSize: 4 },
  // RFC 3602: ENCR_AES_CBC.
  'aes-cbc': { keyLengths: [16, 24, 32], saltLength: 0, ivLength: 16, icvLength: 0, blockSize: 16 },
  // RFC 4106 / RFC 5282: ENCR_AES_GCM_16, 4-byte salt, 8-byte explicit IV.
  'aes-gcm-16': { keyLengths: [20, 28, 36], saltLength: 4, ivLength: 8, icvLength: 16, blockSize: 4 },
  // RFC 7634: ENCR_CHACHA20_POLY1305, 4-byte salt, 8-byte explicit IV.
  'chacha20-poly1305': { keyLengths: [36], saltLength: 4, ivLength: 8, icvLength: 16, blockSize: 4 },
};

export interface IntegTransform {
  /** Key bytes (RFC 2404, RFC 4868 section 2.1.1, RFC 3566 section 2.1). */
  readonly keyLength: number;
  /** Bytes of the truncated ICV sent on the wire. */
  readonly icvLength: number;
  /** The MAC underneath: an HMAC hash, or AES-XCBC. */
  readonly mac: HashAlgorithm | 'aes-xcbc' | null;
}

export const INTEG_TRANSFORMS: Readonly<Record<IntegAlgorithm, IntegTransform>> = {
  none: { keyLength: 0, icvLength: 0, mac: null },
  'hmac-sha1-96': { keyLength: 20, icvLength: 12, mac: 'sha1' },
  'hmac-sha2-256-128': { keyLength: 32, icvLength: 16, mac: 'sha256' },
  'hmac-sha2-384-192': { keyLength: 48, icvLength: 24, mac: 'sha384' },
  'hmac-sha2-512-256': { keyLength: 64, icvLength: 32, mac: 'sha512' },
  'aes-xcbc-96': { keyLength: 16, icvLength: 12, mac: 'aes-xcbc' },
};

function encTransform(alg: unknown): EncTransform {
  const t = Object.hasOwn(ENC_TRANSFORMS, alg as string) ? ENC_TRANSFORMS[alg as EncAlgorithm] : undefined;
  if (!t) throw new CryptoError('EINVAL', `unknown encryption transform ${String(alg)}`);
  return t;
}

function integTransform(alg: unknown): IntegTransform {
  const t = Object.hasOwn(INTEG_TRANSFORMS, alg as string)
    ? INTEG_TRANSFORMS[alg as IntegAlgorithm]
    : undefined;
  if (!t) throw new CryptoError('EINVAL', `unknown integrity transform ${String(alg)}`);
  return t;
}

/**
 * Keymat bytes an encryption transform takes, salt included. `keyBits` is the IKEv2 Key Length
 * attribute (RFC 7296 section 3.3.5): required for AES, not sent for ChaCha20-Poly1305 (always 256).
 */
export function encKeyLength(alg: EncAlgorithm, keyBits?: number): number {
  const t = encTransform(alg);
  if (keyBits === undefined) {
    if (t.keyLengths.length === 1) return t.keyLengths[0]!;
    throw new CryptoError('EINVAL', `${alg} needs a key length (128, 192 or 256 bits)`);
  }
  const length = keyBits / 8 + t.saltLength;
  if (alg === 'null' || !t.keyLengths.includes(length)) {
    throw new CryptoError('EINVAL', `${alg} has no ${keyBits}-bit key`);
  }
  return length;
}

/** Keymat bytes an integrity transform takes. */
export function integKeyLength(alg: IntegAlgorithm): number {
  return integTransform(alg).keyLength;
}

/** Splits AEAD keymat into the cipher key and the trailing salt (RFC 4106 section 8.1). */
export function splitEncKey(alg: EncAlgorithm, keymat: Uint8Array): { key: Uint8Array; salt: Uint8Array } {
  const t = encTransform(alg);
  checkBytes(`${alg} keymat`, keymat, t.keyLengths);
  const cut = keymat.length - t.saltLength;
  return { key: keymat.subarray(0, cut), salt: keymat.subarray(cut) };
}

/**
 * The ICV of an integrity transform over `data`, truncated as the transform says
 * (HMAC-SHA1-96 to 12 bytes, HMAC-SHA2-256-128 to 16, ...). The key must be the transform's size.
 */
export function integ(
  provider: CryptoProvider,
  alg: IntegAlgorithm,
  key: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const t = integTransform(alg);
  if (t.mac === null) throw new CryptoError('EINVAL', 'integrity transform none computes no ICV');
  checkBytes(`${alg} key`, key, [t.keyLength]);
  const full = t.mac === 'aes-xcbc' ? provider.aesXcbc(key, data) : provider.hmac(t.mac, key, data);
  return full.slice(0, t.icvLength);
}

/** Recomputes the ICV and compares it in constant time; false for any mismatch, length included. */
export function integVerify(
  provider: CryptoProvider,
  alg: IntegAlgorithm,
  key: Uint8Array,
  data: Uint8Array,
  icv: Uint8Array,
): boolean {
  return equalBytes(integ(provider, alg, key, data), checkBytes('ICV', icv));
}
