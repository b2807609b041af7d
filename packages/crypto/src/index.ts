/**
 * @packageDocumentation
 * CryptoProvider implementations for IPsec and IKEv2: portable (@noble) and native (node:crypto),
 * both passing the same published vectors, plus the prf / prf+ / truncated-ICV helpers and the
 * transform key-size tables IKE and ESP share.
 *
 * @example
 * ```ts
 * import { createCryptoProvider, integ, prfPlus } from '@mip6sec/crypto';
 * const crypto = createCryptoProvider(); // native where node:crypto exists
 * const alice = crypto.dh(31);
 * const bob = crypto.dh(31);
 * const gir = alice.computeSecret(bob.publicKey); // equals bob.computeSecret(alice.publicKey)
 * const keymat = prfPlus(crypto, 'hmac-sha2-256', gir, new Uint8Array(16), 64);
 * const icv = integ(crypto, 'hmac-sha2-256-128', keymat.subarray(0, 32), new Uint8Array(100)); // 16 bytes
 * ```
 */
export {
  type AeadAlgorithm,
  type AeadContext,
  type AeadContextFactory,
  aeadContext,
  ProviderAeadContext,
} from './aead-context.js';
export {
  type CbcContext,
  type CbcHmacContextFactory,
  cbcContext,
  type HmacContext,
  hmacContext,
  ProviderCbcContext,
  ProviderHmacContext,
} from './cbc-hmac-context.js';
export { DH_GROUPS, type DhGroupInfo, type DhKeyImport, dhGroupInfo } from './dh-groups.js';
export { CryptoError, type CryptoErrorCode } from './errors.js';
export { MODP_2048_GENERATOR, MODP_2048_PRIME } from './modp.js';
export {
  hasNodeCrypto,
  type NativeAeadEngine,
  type NativeCryptoOptions,
  NativeCryptoProvider,
} from './native.js';
export { PortableCryptoProvider } from './portable.js';
export {
  PRF_PLUS_MAX_BLOCKS,
  PRF_TRANSFORMS,
  type PrfAlgorithm,
  type PrfTransform,
  prf,
  prfPlus,
} from './prf.js';
export {
  type CryptoProviderKind,
  type CryptoProviderOptions,
  createCryptoProvider,
  cryptoProvider,
  defaultCryptoProviderKind,
} from './provider.js';
export {
  ENC_TRANSFORMS,
  type EncTransform,
  encKeyLength,
  INTEG_TRANSFORMS,
  type IntegTransform,
  integ,
  integKeyLength,
  integVerify,
  splitEncKey,
} from './transforms.js';
