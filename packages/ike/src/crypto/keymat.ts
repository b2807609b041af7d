/**
 * Key derivation of RFC 7296: SKEYSEED and the seven SK_* keys (section 2.14), the SKEYSEED of a
 * rekeyed IKE SA (section 2.18) and the KEYMAT of a CHILD_SA (section 2.17).
 */
import type { CryptoProvider } from '@mip6sec/core';
import {
  encKeyLength,
  INTEG_TRANSFORMS,
  PRF_TRANSFORMS,
  type PrfAlgorithm,
  prf,
  prfPlus,
} from '@mip6sec/crypto';
import { concat, u64ToBytes } from '../bytes.js';
import { IkeError } from '../errors.js';
import type { Suite } from './proposals.js';

export interface IkeKeys {
  readonly skD: Uint8Array;
  readonly skAi: Uint8Array;
  readonly skAr: Uint8Array;
  readonly skEi: Uint8Array;
  readonly skEr: Uint8Array;
  readonly skPi: Uint8Array;
  readonly skPr: Uint8Array;
}

/** Keymat bytes of the encryption key of a suite, AEAD salt included. */
export function encKeyBytes(s: Suite): number {
  return encKeyLength(s.encr, s.encr === 'null' ? undefined : s.encrKeyBits);
}

export function integKeyBytes(s: Suite): number {
  return s.integ ? INTEG_TRANSFORMS[s.integ].keyLength : 0;
}

/**
 * Cuts consecutive keys off the front of a keymat. The keys are views of the keymat, which is
 * made for them alone: an SA keeps its keys for life, and one buffer instead of one per key is
 * less for the garbage collector to move about.
 */
function slicer(km: Uint8Array): (n: number) => Uint8Array {
  let at = 0;
  return (n) => {
    const key = km.subarray(at, at + n);
    at += n;
    return key;
  };
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new IkeError('EINVAL', `suite has no ${what}`);
  return v;
}

/**
 * SKEYSEED = prf(Ni | Nr, g^ir). A PRF with a fixed 16-byte key (AES-XCBC) takes the first 8
 * octets of each nonce instead (section 2.14).
 */
export function skeyseed(
  c: CryptoProvider,
  alg: PrfAlgorithm,
  ni: Uint8Array,
  nr: Uint8Array,
  gir: Uint8Array,
): Uint8Array {
  const key = alg === 'aes128-xcbc' ? concat(ni.subarray(0, 8), nr.subarray(0, 8)) : concat(ni, nr);
  return prf(c, alg, key, gir);
}

/**
 * SKEYSEED of a new IKE SA made by rekeying: prf(SK_d(old), g^ir(new) | Ni | Nr) with the old
 * IKE SA's PRF, since the rekey exchange belongs to the old SA (section 2.18).
 */
export function rekeySkeyseed(
  c: CryptoProvider,
  oldPrf: PrfAlgorithm,
  oldSkD: Uint8Array,
  gir: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
): Uint8Array {
  return prf(c, oldPrf, oldSkD, concat(gir, ni, nr));
}

/**
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * `plusPrf` is the PRF that runs prf+: the suite's own, except after a rekey where strongSwan
 * (keymat_v2.c) keeps the old SA's; we do the same so both ends agree when the PRF changes.
 */
export function deriveIkeKeys(
  c: CryptoProvider,
  suite: Suite,
  seed: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
  spiI: bigint,
  spiR: bigint,
  plusPrf: PrfAlgorithm = need(suite.prf, 'PRF'),
): IkeKeys {
  const prfAlg = need(suite.prf, 'PRF');
  const dLen = PRF_TRANSFORMS[prfAlg].keyLength;
  const aLen = integKeyBytes(suite);
  const eLen = encKeyBytes(suite);
  const total = 3 * dLen + 2 * aLen + 2 * eLen;
  const km = prfPlus(c, plusPrf, seed, concat(ni, nr, u64ToBytes(spiI), u64ToBytes(spiR)), total);
  const take = slicer(km);
  return {
    skD: take(dLen),
    skAi: take(aLen),
    skAr: take(aLen),
    skEi: take(eLen),
    skEr: take(eLen),
    skPi: take(dLen),
    skPr: take(dLen),
  };
}

export interface ChildKeys {
  /** Keys for traffic from the initiator of the exchange that made the CHILD_SA. */
  readonly encI: Uint8Array;
  readonly integI: Uint8Array;
  /** Keys for traffic from its responder. */
  readonly encR: Uint8Array;
  readonly integR: Uint8Array;
}

/**
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), split encr_i | integ_i | encr_r | integ_r
 * (section 2.17). For the CHILD_SA of IKE_AUTH the nonces are those of IKE_SA_INIT.
 */
export function deriveChildKeys(
  c: CryptoProvider,
  ikePrf: PrfAlgorithm,
  skD: Uint8Array,
  esp: Suite,
  ni: Uint8Array,
  nr: Uint8Array,
  gir?: Uint8Array,
): ChildKeys {
  const eLen = encKeyBytes(esp);
  const aLen = integKeyBytes(esp);
  const seed = gir ? concat(gir, ni, nr) : concat(ni, nr);
  const km = prfPlus(c, ikePrf, skD, seed, 2 * (eLen + aLen));
  const take = slicer(km);
  return { encI: take(eLen), integI: take(aLen), encR: take(eLen), integR: take(aLen) };
}
