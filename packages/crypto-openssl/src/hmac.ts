/**
 * HMAC (RFC 2104) on one OpenSSL MAC context per key: the key's inner and outer pads are worked out
 * once, and each message restarts from them. `digest` covers a range of one buffer and an optional
 * tail (ESP's high sequence bits under ESN, RFC 4303 section 2.2.1) without joining them first.
 * For keys used once, {@link opensslHmacOnce} makes no context; {@link opensslDigest} hashes.
 */
import type { AddonBinding, AddonHmacContext } from './addon.js';
import { fromAddon, OpensslError } from './errors.js';
import { requireBinding } from './require-addon.js';

export type OpensslHmacHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const NAMES: Record<OpensslHmacHash, string> = {
  sha1: 'SHA1',
  sha256: 'SHA256',
  sha384: 'SHA384',
  sha512: 'SHA512',
};
const LENGTHS: Record<OpensslHmacHash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const NO_TAIL = new Uint8Array(0);

function hashName(hash: OpensslHmacHash): string {
  if (!Object.hasOwn(NAMES, hash)) throw new OpensslError('EINVAL', `unsupported hash ${String(hash)}`);
  return NAMES[hash];
}

/**
 * HMAC(key, data) in a new array, for a key used once or twice (IKE's PRF calls): one context per
 * hash inside the addon is re-keyed by each call, so no context is made per key. Throws OpensslError.
 */
export function opensslHmacOnce(hash: OpensslHmacHash, key: Uint8Array, data: Uint8Array): Uint8Array {
  const b = requireBinding();
  const out = new Uint8Array(LENGTHS[hash] ?? 0);
  try {
    b.hmacOnce(hashName(hash), key, data, out);
  } catch (e) {
    throw fromAddon(e);
  }
  return out;
}

/** The hash of `data` in a new array. Throws OpensslError. */
export function opensslDigest(hash: OpensslHmacHash, data: Uint8Array): Uint8Array {
  const b = requireBinding();
  const out = new Uint8Array(LENGTHS[hash] ?? 0);
  try {
    b.digest(hashName(hash), data, out);
  } catch (e) {
    throw fromAddon(e);
  }
  return out;
}

export class OpensslHmac {
  readonly hash: OpensslHmacHash;
  /** Bytes of a full HMAC: the hash's output length. */
  readonly length: number;
  private readonly b: AddonBinding;
  private readonly ctx: AddonHmacContext;
  private readonly out: Uint8Array;

  /** Throws OpensslError: ENOSYS without the addon, EINVAL for an unknown hash or a key that is no Uint8Array. */
  constructor(hash: OpensslHmacHash, key: Uint8Array) {
    this.b = requireBinding();
    if (!Object.hasOwn(NAMES, hash))
      throw new OpensslError('EINVAL', `unsupported HMAC hash ${String(hash)}`);
    this.hash = hash;
    this.length = LENGTHS[hash];
    this.out = new Uint8Array(this.length);
    try {
      this.ctx = this.b.hmacCreate(NAMES[hash], key);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /**
   * The full HMAC of data[offset, offset + length) followed by `tail`. The result is this object's own
   * buffer, overwritten by the next call: copy what you keep.
   */
  digest(data: Uint8Array, offset: number, length: number, tail: Uint8Array = NO_TAIL): Uint8Array {
    try {
      this.b.hmacDigest(this.ctx, data, offset, length, tail, this.out);
    } catch (e) {
      throw fromAddon(e);
    }
    return this.out;
  }
}
