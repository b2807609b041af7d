/**
 * MODP group 14 (RFC 3526 section 3, the 2048-bit MODP group, generator 2) and the pure bigint
 * Diffie-Hellman the portable provider uses. The native provider shares the prime and the peer
 * value check. KE data and g^ir are 256 bytes, big-endian, left-padded (RFC 7296 section 3.4).
 *
 * BigInt arithmetic is not constant time: the time of a modular exponentiation depends on the
 * private exponent's bits. That is accepted for the portable provider (simulation and platforms
 * without node:crypto). Use the native provider where timing side channels matter.
 */
import type { DhKeyPair } from '@mip6sec/core';
import { checkBytes, leftPad } from './bytes.js';
import { CryptoError } from './errors.js';

const RFC3526_MODP_2048_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74' +
  '020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437' +
  '4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05' +
  '98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB' +
  '9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718' +
  '3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF';

export const MODP_2048_PRIME: bigint = BigInt(`0x${RFC3526_MODP_2048_HEX}`);
export const MODP_2048_GENERATOR = 2n;
export const MODP_2048_BYTES = 256;

/**
 * Private exponent length of the portable provider: 256 bits. RFC 3526 section 8 puts the exponent
 * needed for this group's strength at 220 to 320 bits, and SP 800-56A asks for at least twice the
 * 112-bit strength; a short exponent keeps each exponentiation about 6x cheaper than a full one.
 */
export const MODP_PRIVATE_BYTES = 32;

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex.length === 0 ? 0n : BigInt(`0x${hex}`);
}

/** Big-endian, left-padded to `length`; the caller guarantees the value fits. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  let hex = value === 0n ? '' : value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const raw = new Uint8Array(hex.length / 2);
  for (let i = 0; i < raw.length; i++) raw[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return leftPad(raw, length);
}

/** Left-to-right square and multiply. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  const b = base % modulus;
  let result = 1n;
  for (const bit of exponent.toString(2)) {
    result = (result * result) % modulus;
    if (bit === '1') result = (result * b) % modulus;
  }
  return result;
}

/**
 * Checks the peer's KE data: exactly 256 bytes and 1 < y < p-1 (RFC 7296 section 2.12 and
 * NIST SP 800-56A 5.6.2.3.1). 0, 1 and p-1 would force the shared secret into {0, 1, p-1}.
 */
export function checkModpPublic(peerPublic: unknown): bigint {
  const bytes = checkBytes('MODP-2048 public value', peerPublic, [MODP_2048_BYTES]);
  const y = bytesToBigInt(bytes);
  if (y <= 1n || y >= MODP_2048_PRIME - 1n) {
    throw new CryptoError('EINVAL', 'MODP-2048 public value is outside 1 < y < p-1');
  }
  return y;
}

/** Checks a private exponent given from outside: 1 < x < p-1, at most 256 bytes. */
export function checkModpPrivate(privateKey: unknown): bigint {
  const bytes = checkBytes('MODP-2048 private value', privateKey);
  const x = bytes.length <= MODP_2048_BYTES ? bytesToBigInt(bytes) : 0n;
  if (x <= 1n || x >= MODP_2048_PRIME - 1n) {
    throw new CryptoError('EINVAL', 'MODP-2048 private value is outside 1 < x < p-1');
  }
  return x;
}

/** A group 14 key pair in pure bigint arithmetic; `randomBytes` supplies the private exponent. */
export function bigintModpKeyPair(
  randomBytes: (n: number) => Uint8Array,
  privateKey?: Uint8Array,
): DhKeyPair {
  let x = privateKey === undefined ? 0n : checkModpPrivate(privateKey);
  while (x <= 1n) x = bytesToBigInt(randomBytes(MODP_PRIVATE_BYTES));
  const publicKey = bigIntToBytes(modPow(MODP_2048_GENERATOR, x, MODP_2048_PRIME), MODP_2048_BYTES);
  return {
    group: 14,
    publicKey,
    computeSecret(peerPublic: Uint8Array): Uint8Array {
      const y = checkModpPublic(peerPublic);
      return bigIntToBytes(modPow(y, x, MODP_2048_PRIME), MODP_2048_BYTES);
    },
  };
}
