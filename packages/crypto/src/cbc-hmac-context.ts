/**
 * Keyed-once contexts for the ESP suites without an AEAD (RFC 4303 with RFC 3602 AES-CBC and an HMAC
 * ICV, RFC 2404 / RFC 4868): AES-CBC that encrypts and decrypts whole blocks in place, and HMAC over a
 * range of a buffer plus an optional tail (the high sequence bits under ESN, RFC 4303 2.2.1), into a
 * buffer the context owns. Providers that can do better implement {@link CbcHmacContextFactory} (the
 * native provider with its OpenSSL addon); {@link cbcContext} and {@link hmacContext} give every other
 * provider contexts through its plain CryptoProvider calls. Bad arguments are CryptoError('EINVAL').
 */
import type { CryptoProvider, HashAlgorithm } from '@mip6sec/core';
import { checkBytes, concatBytes, copyBytes } from './bytes.js';
import { CryptoError } from './errors.js';

export interface CbcContext {
  readonly engine: string;
  /** Encrypts buf[offset, offset + length), whole 16-byte blocks, in place; `iv` is 16 bytes. */
  encrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void;
  decrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void;
}

export interface HmacContext {
  readonly engine: string;
  readonly hash: HashAlgorithm;
  /**
   * The full HMAC of data[offset, offset + length) followed by `tail`. The array returned may be the
   * context's own, overwritten by the next call: copy what you keep.
   */
  digest(data: Uint8Array, offset: number, length: number, tail?: Uint8Array): Uint8Array;
}

export interface CbcHmacContextFactory {
  cbcContext(key: Uint8Array): CbcContext;
  hmacContext(hash: HashAlgorithm, key: Uint8Array): HmacContext;
}

function isFactory(p: CryptoProvider): p is CryptoProvider & CbcHmacContextFactory {
  const f = p as Partial<CbcHmacContextFactory>;
  return typeof f.cbcContext === 'function' && typeof f.hmacContext === 'function';
}

/** An AES-CBC context for `key` from any provider. */
export function cbcContext(provider: CryptoProvider, key: Uint8Array): CbcContext {
  return isFactory(provider) ? provider.cbcContext(key) : new ProviderCbcContext(provider, key);
}

/** An HMAC context for `key` from any provider. */
export function hmacContext(provider: CryptoProvider, hash: HashAlgorithm, key: Uint8Array): HmacContext {
  return isFactory(provider) ? provider.hmacContext(hash, key) : new ProviderHmacContext(provider, hash, key);
}

/** Throws EINVAL unless buf[offset, offset + length) lies inside `buf`. */
export function checkRange(buf: unknown, offset: unknown, length: unknown): Uint8Array {
  const b = checkBytes('buffer', buf);
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    (offset as number) < 0 ||
    (length as number) < 0 ||
    (offset as number) + (length as number) > b.length
  ) {
    throw new CryptoError('EINVAL', `buffer of ${b.length} bytes holds no ${length} bytes at ${offset}`);
  }
  return b;
}

/** The generic AES-CBC context: the provider's allocating calls, copied back. */
export class ProviderCbcContext implements CbcContext {
  readonly engine: string;
  private readonly p: CryptoProvider;
  private readonly key: Uint8Array;

  constructor(provider: CryptoProvider, key: Uint8Array) {
    checkBytes('AES key', key, [16, 24, 32]);
    this.p = provider;
    this.engine = provider.name;
    this.key = copyBytes(key);
  }

  encrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    checkRange(buf, offset, length);
    buf.set(this.p.aesCbcEncrypt(this.key, iv, buf.subarray(offset, offset + length)), offset);
  }

  decrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    checkRange(buf, offset, length);
    buf.set(this.p.aesCbcDecrypt(this.key, iv, buf.subarray(offset, offset + length)), offset);
  }
}

/** The generic HMAC context: the provider's hmac over the range (and tail, joined). */
export class ProviderHmacContext implements HmacContext {
  readonly engine: string;
  readonly hash: HashAlgorithm;
  private readonly p: CryptoProvider;
  private readonly key: Uint8Array;

  constructor(provider: CryptoProvider, hash: HashAlgorithm, key: Uint8Array) {
    checkBytes('HMAC key', key);
    // The provider checks the hash name; asking once here makes a bad one fail now, not per packet.
    provider.hmac(hash, key, new Uint8Array(0));
    this.p = provider;
    this.engine = provider.name;
    this.hash = hash;
    this.key = copyBytes(key);
  }

  digest(data: Uint8Array, offset: number, length: number, tail?: Uint8Array): Uint8Array {
    checkRange(data, offset, length);
    const range = data.subarray(offset, offset + length);
    const covered =
      tail === undefined || tail.length === 0 ? range : concatBytes(range, checkBytes('tail', tail));
    return this.p.hmac(this.hash, this.key, covered);
  }
}
