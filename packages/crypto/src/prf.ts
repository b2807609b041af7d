/**
 * The IKEv2 pseudorandom functions (RFC 7296 section 3.3.2 transform type 2) and prf+ (section 2.13),
 * as pure functions over any CryptoProvider.
 */
import type { CryptoProvider, HashAlgorithm } from '@mip6sec/core';
import { checkBytes } from './bytes.js';
import { CryptoError } from './errors.js';

/** IKEv2 PRF transforms, named as IANA names them (PRF_HMAC_SHA2_256 -> 'hmac-sha2-256'). */
export type PrfAlgorithm = 'hmac-sha1' | 'hmac-sha2-256' | 'hmac-sha2-384' | 'hmac-sha2-512' | 'aes128-xcbc';

export interface PrfTransform {
  /** Bytes of one PRF output block. */
  readonly outputLength: number;
  /** Preferred key length: the size of SK_d, SK_pi and SK_pr (RFC 7296 section 2.14). */
  readonly keyLength: number;
  readonly mac: HashAlgorithm | 'aes-xcbc';
}

export const PRF_TRANSFORMS: Readonly<Record<PrfAlgorithm, PrfTransform>> = {
  'hmac-sha1': { outputLength: 20, keyLength: 20, mac: 'sha1' },
  'hmac-sha2-256': { outputLength: 32, keyLength: 32, mac: 'sha256' },
  'hmac-sha2-384': { outputLength: 48, keyLength: 48, mac: 'sha384' },
  'hmac-sha2-512': { outputLength: 64, keyLength: 64, mac: 'sha512' },
  // RFC 4434: any key length, taken to 16 bytes by the RFC's rule.
  'aes128-xcbc': { outputLength: 16, keyLength: 16, mac: 'aes-xcbc' },
};

/** prf+ stops after 255 blocks: its counter is one octet (RFC 7296 section 2.13). */
export const PRF_PLUS_MAX_BLOCKS = 255;

function prfTransform(alg: unknown): PrfTransform {
  const t = Object.hasOwn(PRF_TRANSFORMS, alg as string) ? PRF_TRANSFORMS[alg as PrfAlgorithm] : undefined;
  if (!t) throw new CryptoError('EINVAL', `unknown PRF ${String(alg)}`);
  return t;
}

/** prf(K, S). */
export function prf(
  provider: CryptoProvider,
  alg: PrfAlgorithm,
  key: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const t = prfTransform(alg);
  return t.mac === 'aes-xcbc' ? provider.aesXcbc(key, data, true) : provider.hmac(t.mac, key, data);
}

/**
 * prf+(K, S) = T1 | T2 | ... cut to `length` bytes, with T1 = prf(K, S | 0x01) and
 * Tn = prf(K, Tn-1 | S | n). Throws EINVAL beyond 255 blocks.
 */
export function prfPlus(
  provider: CryptoProvider,
  alg: PrfAlgorithm,
  key: Uint8Array,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  const t = prfTransform(alg);
  checkBytes('prf+ seed', seed);
  const max = PRF_PLUS_MAX_BLOCKS * t.outputLength;
  if (!Number.isSafeInteger(length) || length < 0 || length > max) {
    throw new CryptoError('EINVAL', `prf+ with ${alg} gives 0 to ${max} bytes, asked for ${length}`);
  }
  const out = new Uint8Array(length);
  // One input buffer reused for every block: Tn-1 (absent for n = 1) | S | n.
  const input = new Uint8Array(t.outputLength + seed.length + 1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let n = 1, at = 0; at < length; n++) {
    const offset = t.outputLength - previous.length;
    input.set(previous, offset);
    input.set(seed, t.outputLength);
    input[input.length - 1] = n;
    previous = prf(provider, alg, key, input.subarray(offset));
    out.set(previous.subarray(0, length - at), at);
    at += previous.length;
  }
  return out;
}
