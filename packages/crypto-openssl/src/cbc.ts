/**
 * AES-CBC without padding (RFC 3602, as ESP uses it) on one OpenSSL context per key and direction:
 * the key is scheduled once, each packet only sets its IV, and whole blocks are encrypted or
 * decrypted in place in the caller's buffer.
 */
import type { AddonBinding, AddonCbcContext } from './addon.js';
import { fromAddon } from './errors.js';
import { requireBinding } from './require-addon.js';

export const AES_BLOCK_LENGTH = 16;

export class OpensslCbc {
  private readonly b: AddonBinding;
  private readonly ctx: AddonCbcContext;

  /** Throws OpensslError: ENOSYS without the addon, EINVAL unless the key is 16, 24 or 32 bytes. */
  constructor(key: Uint8Array) {
    this.b = requireBinding();
    try {
      this.ctx = this.b.cbcCreate(key);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /** Encrypts buf[offset, offset + length) in place; `length` is whole 16-byte blocks, `iv` 16 bytes. */
  encrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    try {
      this.b.cbcEncrypt(this.ctx, iv, buf, offset, length);
    } catch (e) {
      throw fromAddon(e);
    }
  }

  /** Decrypts buf[offset, offset + length) in place. */
  decrypt(iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void {
    try {
      this.b.cbcDecrypt(this.ctx, iv, buf, offset, length);
    } catch (e) {
      throw fromAddon(e);
    }
  }
}
