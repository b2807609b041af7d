/**
 * The IKEv2 key exchange groups this package implements (RFC 7296 3.3.2 transform type 4) and
 * their KE payload encodings: RFC 3526 / RFC 7296 for MODP, RFC 5903 for ECP, RFC 8031 for Curve25519.
 */
import type { DhGroup, DhKeyPair } from '@mip6sec/core';
import { CryptoError } from './errors.js';

export interface DhGroupInfo {
  readonly kind: 'modp' | 'ecp' | 'x25519';
  /** Bytes of KE data: the MODP prime length, x‖y for ECP, the u-coordinate for X25519. */
  readonly publicLength: number;
  /** Bytes of g^ir as IKEv2 feeds it to the PRF (ECP: the x coordinate only, RFC 5903 section 7). */
  readonly secretLength: number;
  /** Bytes of a private value given to `dhFromPrivateKey` (MODP: up to this many). */
  readonly privateLength: number;
}

export const DH_GROUPS: Readonly<Record<DhGroup, DhGroupInfo>> = {
  14: { kind: 'modp', publicLength: 256, secretLength: 256, privateLength: 256 },
  19: { kind: 'ecp', publicLength: 64, secretLength: 32, privateLength: 32 },
  20: { kind: 'ecp', publicLength: 96, secretLength: 48, privateLength: 48 },
  31: { kind: 'x25519', publicLength: 32, secretLength: 32, privateLength: 32 },
};

/** Throws EINVAL for a group number this package does not implement. */
export function dhGroupInfo(group: unknown): DhGroupInfo {
  const info = typeof group === 'number' ? DH_GROUPS[group as DhGroup] : undefined;
  if (!info) throw new CryptoError('EINVAL', `unsupported DH group ${String(group)}`);
  return info;
}

/**
 * Both providers can rebuild a key pair from a known private value. Known-answer tests need it, and
 * so do simulations that must replay byte for byte. Private values are big-endian for MODP and ECP
 * and the RFC 7748 32-byte scalar for X25519.
 */
export interface DhKeyImport {
  dhFromPrivateKey(group: DhGroup, privateKey: Uint8Array): DhKeyPair;
}
