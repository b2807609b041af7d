/**
 * The algorithms the simulated kernel runs, with their PF_KEY numbers (sadb_sa_auth / sadb_sa_encrypt,
 * RFC 2367 section 3.5 and Linux pfkeyv2.h) and key sizes in bits as sadb_key_bits and SADB_REGISTER's
 * sadb_alg report them. AEAD keys carry their 4-byte salt (RFC 4106 section 8.1, RFC 7634 section 2), as
 * the KAME stacks count them.
 *
 * ChaCha20-Poly1305 has no PF_KEY number in Linux (its XFRM algorithm is not pfkey_supported); the
 * simulation uses the codec's SADB_X_EALG_CHACHA20_POLY1305, this project's private value 250 (RFC 2407
 * section 4.4.4 private range), so key managers can install it through PF_KEY here.
 */
import type { EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import { ENC_TRANSFORMS, INTEG_TRANSFORMS } from '@mip6sec/crypto';
import {
  SADB_AALG_NONE,
  SADB_AALG_SHA1HMAC,
  SADB_EALG_NULL,
  SADB_X_AALG_AES_XCBC_MAC,
  SADB_X_AALG_SHA2_256HMAC,
  SADB_X_AALG_SHA2_384HMAC,
  SADB_X_AALG_SHA2_512HMAC,
  SADB_X_EALG_AES_GCM_ICV16,
  SADB_X_EALG_AESCBC,
  SADB_X_EALG_CHACHA20_POLY1305,
  type SadbAlg,
} from '@mip6sec/pfkey-codec';

const ENC_IDS: Readonly<Record<EncAlgorithm, number>> = {
  null: SADB_EALG_NULL,
  'aes-cbc': SADB_X_EALG_AESCBC,
  'aes-gcm-16': SADB_X_EALG_AES_GCM_ICV16,
  'chacha20-poly1305': SADB_X_EALG_CHACHA20_POLY1305,
};

const INTEG_IDS: Readonly<Record<IntegAlgorithm, number>> = {
  none: SADB_AALG_NONE,
  'hmac-sha1-96': SADB_AALG_SHA1HMAC,
  'hmac-sha2-256-128': SADB_X_AALG_SHA2_256HMAC,
  'hmac-sha2-384-192': SADB_X_AALG_SHA2_384HMAC,
  'hmac-sha2-512-256': SADB_X_AALG_SHA2_512HMAC,
  'aes-xcbc-96': SADB_X_AALG_AES_XCBC_MAC,
};

const ENC_BY_ID = new Map<number, EncAlgorithm>(
  Object.entries(ENC_IDS).map(([name, id]) => [id, name as EncAlgorithm]),
);
const INTEG_BY_ID = new Map<number, IntegAlgorithm>(
  Object.entries(INTEG_IDS).map(([name, id]) => [id, name as IntegAlgorithm]),
);

export function encId(alg: EncAlgorithm): number {
  return ENC_IDS[alg];
}

export function integId(alg: IntegAlgorithm): number {
  return INTEG_IDS[alg];
}

export function encById(id: number): EncAlgorithm | undefined {
  return ENC_BY_ID.get(id);
}

export function integById(id: number): IntegAlgorithm | undefined {
  return INTEG_BY_ID.get(id);
}

/** True for the combined-mode (AEAD) ciphers, which take no separate integrity algorithm. */
export function isAead(alg: EncAlgorithm): boolean {
  return ENC_TRANSFORMS[alg].icvLength > 0;
}

/** Key sizes in bytes an algorithm accepts (salt included for AEADs). */
export function encKeyBytes(alg: EncAlgorithm): readonly number[] {
  return ENC_TRANSFORMS[alg].keyLengths;
}

export function integKeyBytes(alg: IntegAlgorithm): number {
  return INTEG_TRANSFORMS[alg].keyLength;
}

/** SADB_EXT_SUPPORTED_ENCRYPT entries (ivlen in bytes, as KAME reports it). */
export function supportedEncrypt(): SadbAlg[] {
  return (Object.keys(ENC_IDS) as EncAlgorithm[]).map((alg) => {
    const t = ENC_TRANSFORMS[alg];
    return {
      id: ENC_IDS[alg],
      ivlen: t.ivLength,
      minbits: Math.min(...t.keyLengths) * 8,
      maxbits: Math.max(...t.keyLengths) * 8,
    };
  });
}

/** SADB_EXT_SUPPORTED_AUTH entries. */
export function supportedAuth(): SadbAlg[] {
  return (Object.keys(INTEG_IDS) as IntegAlgorithm[])
    .filter((alg) => alg !== 'none')
    .map((alg) => ({
      id: INTEG_IDS[alg],
      ivlen: 0,
      minbits: integKeyBytes(alg) * 8,
      maxbits: integKeyBytes(alg) * 8,
    }));
}
