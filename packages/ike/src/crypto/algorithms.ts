/**
 * IKEv2 transform IDs (RFC 7296 section 3.3.2) mapped to the algorithm names of @mip6sec/core and
 * @mip6sec/crypto, for the transforms a CryptoProvider implements. A transform outside these
 * tables is never proposed and never selected.
 */
import type { DhGroup, EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import type { PrfAlgorithm } from '@mip6sec/crypto';
import { AUTH_ALG, DH_GROUP, ENCR, PRF } from '../constants.js';

export const ENCR_ALGORITHMS: ReadonlyMap<number, EncAlgorithm> = new Map<number, EncAlgorithm>([
  [ENCR.ENCR_NULL, 'null'],
  [ENCR.ENCR_AES_CBC, 'aes-cbc'],
  [ENCR.ENCR_AES_GCM_16, 'aes-gcm-16'],
  [ENCR.ENCR_CHACHA20_POLY1305, 'chacha20-poly1305'],
]);

export const PRF_ALGORITHMS: ReadonlyMap<number, PrfAlgorithm> = new Map<number, PrfAlgorithm>([
  [PRF.PRF_HMAC_SHA1, 'hmac-sha1'],
  [PRF.PRF_AES128_XCBC, 'aes128-xcbc'],
  [PRF.PRF_HMAC_SHA2_256, 'hmac-sha2-256'],
  [PRF.PRF_HMAC_SHA2_384, 'hmac-sha2-384'],
  [PRF.PRF_HMAC_SHA2_512, 'hmac-sha2-512'],
]);

export const INTEG_ALGORITHMS: ReadonlyMap<number, IntegAlgorithm> = new Map<number, IntegAlgorithm>([
  [AUTH_ALG.AUTH_HMAC_SHA1_96, 'hmac-sha1-96'],
  [AUTH_ALG.AUTH_AES_XCBC_96, 'aes-xcbc-96'],
  [AUTH_ALG.AUTH_HMAC_SHA2_256_128, 'hmac-sha2-256-128'],
  [AUTH_ALG.AUTH_HMAC_SHA2_384_192, 'hmac-sha2-384-192'],
  [AUTH_ALG.AUTH_HMAC_SHA2_512_256, 'hmac-sha2-512-256'],
]);

export const DH_GROUPS_SUPPORTED: ReadonlySet<number> = new Set<DhGroup>([
  DH_GROUP.MODP_2048,
  DH_GROUP.ECP_256,
  DH_GROUP.ECP_384,
  DH_GROUP.CURVE25519,
]);

/** AEAD ciphers carry their own integrity; a proposal with one has no INTEG transform. */
export function isAead(alg: EncAlgorithm): boolean {
  return alg === 'aes-gcm-16' || alg === 'chacha20-poly1305';
}

/** ChaCha20-Poly1305 has one key size and must not carry a Key Length attribute (RFC 7634 section 2). */
export function encNeedsKeyLength(alg: EncAlgorithm): boolean {
  return alg === 'aes-cbc' || alg === 'aes-gcm-16';
}

const names = {
  dh: new Map<number, string>([
    [DH_GROUP.MODP_2048, 'modp2048'],
    [DH_GROUP.ECP_256, 'ecp256'],
    [DH_GROUP.ECP_384, 'ecp384'],
    [DH_GROUP.CURVE25519, 'curve25519'],
  ]),
};

/** strongSwan's keyword for a DH group (used in listings). */
export function dhName(group: number): string {
  return names.dh.get(group) ?? `dh${group}`;
}
