/**
 * One AEAD key held by OpenSSL: AES-GCM (RFC 5116 AEAD_AES_*_GCM, 16-byte tag) or ChaCha20-Poly1305
 * (RFC 8439). The key is scheduled once, when the object is made; each packet then only sets its
 * nonce. Output is written in place: `seal` turns buf[offset, offset + length) into ciphertext and puts
 * the tag right after it, `open` does the reverse and returns whether the tag verified. Nothing is
 * allocated per packet.
 *
 * An optional salt fixes the leading nonce bytes for the key's life (an ESP SA's 4-byte salt, RFC 4106
 * section 4, RFC 7634 section 2); each call then gives only the rest (12 - salt length bytes).
 *
 * Batches seal or open many packets of one buffer in one call: `table` holds one row of
 * {@link BATCH_ROW_FIELDS} uint32 values per packet (see {@link BatchRow}).
 */
import type { AddonBinding, AddonContext } from './addon.js';
import { fromAddon, OpensslError } from './errors.js';
import { requireBinding } from './require-addon.js';

export type OpensslAeadAlgorithm = 'aes-gcm' | 'chacha20-poly1305';

/** Both algorithms append a 16-byte tag. */
export const AEAD_TAG_LENGTH = 16;
/** The full nonce length; with a salt, calls give NONCE_LENGTH - salt.length bytes. */
export const AEAD_NONCE_LENGTH = 12;

/** Field positions in a batch table row: offsets into the buffer, lengths, and the result (1 or 0). */
export const BatchRow = {
  nonce: 0,
  aad: 1,
  aadLength: 2,
  data: 3,
  dataLength: 4,
  result: 5,
} as const;
export const BATCH_ROW_FIELDS = 6;

const ALG_IDS: Record<OpensslAeadAlgorithm, number> = { 'aes-gcm': 1, 'chacha20-poly1305': 2 };

export interface OpensslAeadOptions {
  /** Leading nonce bytes fixed for this key (0 to 11 bytes). */
  readonly salt?: Uint8Array;
}

export class OpensslAead {
  readonly algorithm: OpensslAeadAlgorithm;
  /** Bytes of nonce each call gives: 12 minus the salt. */
  readonly nonceLength: number;
  private readonly b: AddonBinding;
  private readonly ctx: AddonContext;

  /** Throws OpensslError: ENOSYS without the addon (with its reason), EINVAL for a bad key or salt. */
  constructor(algorithm: OpensslAeadAlgorithm, key: Uint8Array, options: OpensslAeadOptions = {}) {
    const b = requireBinding();
    const id = ALG_IDS[algorithm];
    if (id === undefined) throw new OpensslError('EINVAL', `unknown AEAD algorithm ${String(algorithm)}`);
    this.b = b;
    this.algorithm = algorithm;
    try {
      this.ctx = b.aeadCreate(id, key, options.salt);
    } catch (e) {
      throw fromAddon(e);
    }
    this.nonceLength = AEAD_NONCE_LENGTH - (options.salt?.length ?? 0);
  }

  /** Encrypts buf[offset, offset + length) in place and writes the tag at buf[offset + length, +16). */
  seal(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    try {
      this.b.aeadSeal(this.ctx, nonce, aad, buf, offset, length);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /**
   * Verifies the tag at buf[offset + length, +16) and decrypts buf[offset, offset + length) in place.
   * Returns false when the tag does not verify; the data is then zeroed.
   */
  open(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, length: number): boolean {
    try {
      return this.b.aeadOpen(this.ctx, nonce, aad, buf, offset, length);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /** Seals `count` packets described by `table` (rows of BATCH_ROW_FIELDS); returns how many were sealed. */
  sealBatch(buf: Uint8Array, table: Uint32Array, count: number): number {
    try {
      return this.b.aeadSealBatch(this.ctx, buf, table, count);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /** Opens `count` packets; each row's result says whether it verified. Returns how many did. */
  openBatch(buf: Uint8Array, table: Uint32Array, count: number): number {
    try {
      return this.b.aeadOpenBatch(this.ctx, buf, table, count);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /** Frees the key schedule now (it is also freed when the object is collected); later calls throw EINVAL. */
  dispose(): void {
    this.b.aeadDispose(this.ctx);
  }
}
