/**
 * An AEAD keyed once that seals and opens in place: the interface the ESP datapath uses so that a
 * packet costs no key setup and no allocation. `seal` turns buf[offset, offset + length) into
 * ciphertext and writes the 16-byte tag right after it; `open` verifies that tag, decrypts in place
 * and returns whether it verified (zeroing the data when not). Bad arguments throw CryptoError
 * ('EINVAL'); a tag that does not verify is not an error here.
 *
 * Providers that can do better than "call aesGcmSeal and copy" implement {@link AeadContextFactory}:
 * the native provider hands out OpenSSL contexts from the @mip6sec/crypto-openssl addon when it is
 * built. {@link aeadContext} gives every other provider (the portable one, a host's own) a context
 * through its plain CryptoProvider methods, so callers need not care which they have.
 */
import type { CryptoProvider } from '@mip6sec/core';
import { AEAD_TAG_LENGTH, checkBytes, copyBytes } from './bytes.js';
import { CryptoError } from './errors.js';

export type AeadAlgorithm = 'aes-gcm' | 'chacha20-poly1305';

export interface AeadContext {
  readonly algorithm: AeadAlgorithm;
  /** What does the work: 'openssl-addon', 'node:crypto', or the provider's name for the generic path. */
  readonly engine: string;
  seal(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): void;
  open(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): boolean;
}

/** A provider that makes its own in-place AEAD contexts. */
export interface AeadContextFactory {
  aeadContext(algorithm: AeadAlgorithm, key: Uint8Array): AeadContext;
}

function isFactory(p: CryptoProvider): p is CryptoProvider & AeadContextFactory {
  return typeof (p as Partial<AeadContextFactory>).aeadContext === 'function';
}

/** An in-place context for `key` (cipher key only, no salt) from any provider. */
export function aeadContext(
  provider: CryptoProvider,
  algorithm: AeadAlgorithm,
  key: Uint8Array,
): AeadContext {
  if (isFactory(provider)) return provider.aeadContext(algorithm, key);
  return new ProviderAeadContext(provider, algorithm, key);
}

/** Throws EINVAL unless buf[offset, offset + length + 16) lies inside `buf`. */
export function checkInPlace(buf: unknown, offset: unknown, length: unknown): Uint8Array {
  const b = checkBytes('buffer', buf);
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    (offset as number) < 0 ||
    (length as number) < 0
  ) {
    throw new CryptoError(
      'EINVAL',
      `offset and length must be non-negative integers, got ${offset}, ${length}`,
    );
  }
  if ((offset as number) + (length as number) + AEAD_TAG_LENGTH > b.length) {
    throw new CryptoError(
      'EINVAL',
      `buffer of ${b.length} bytes holds no ${length} bytes and a ${AEAD_TAG_LENGTH}-byte tag at ${offset}`,
    );
  }
  return b;
}

/**
 * The generic path: the provider's allocating seal and open, copied back into the buffer. As fast as
 * the provider, no faster; the key is checked once here and on every call by the provider.
 */
export class ProviderAeadContext implements AeadContext {
  readonly algorithm: AeadAlgorithm;
  readonly engine: string;
  private readonly p: CryptoProvider;
  private readonly key: Uint8Array;

  constructor(provider: CryptoProvider, algorithm: AeadAlgorithm, key: Uint8Array) {
    if (algorithm !== 'aes-gcm' && algorithm !== 'chacha20-poly1305') {
      throw new CryptoError('EINVAL', `unknown AEAD algorithm ${String(algorithm)}`);
    }
    checkBytes(`${algorithm} key`, key, algorithm === 'aes-gcm' ? [16, 24, 32] : [32]);
    this.p = provider;
    this.algorithm = algorithm;
    this.engine = provider.name;
    this.key = copyBytes(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    checkInPlace(buf, offset, length);
    const pt = buf.subarray(offset, offset + length);
    const sealed =
      this.algorithm === 'aes-gcm'
        ? this.p.aesGcmSeal(this.key, nonce, aad, pt)
        : this.p.chacha20Poly1305Seal(this.key, nonce, aad, pt);
    buf.set(sealed, offset);
  }

  open(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): boolean {
    checkInPlace(buf, offset, length);
    const sealed = buf.subarray(offset, offset + length + AEAD_TAG_LENGTH);
    let pt: Uint8Array;
    try {
      pt =
        this.algorithm === 'aes-gcm'
          ? this.p.aesGcmOpen(this.key, nonce, aad, sealed)
          : this.p.chacha20Poly1305Open(this.key, nonce, aad, sealed);
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'EBADMSG') {
        buf.fill(0, offset, offset + length);
        return false;
      }
      throw e;
    }
    buf.set(pt, offset);
    return true;
  }
}
