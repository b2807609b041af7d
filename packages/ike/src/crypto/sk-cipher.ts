/**
 * Sealing and opening the Encrypted payload SK (RFC 7296 section 3.14) for one direction of an
 * IKE SA: AES-CBC with an HMAC/XCBC ICV over the whole message, or an AEAD (AES-GCM, RFC 5282;
 * ChaCha20-Poly1305, RFC 7634) with nonce = salt | IV and AAD = the message up to and including
 * the SK generic header.
 */
import type { CryptoProvider } from '@mip6sec/core';
import { ENC_TRANSFORMS, INTEG_TRANSFORMS, integ, integVerify, splitEncKey } from '@mip6sec/crypto';
import { concat, dataView } from '../bytes.js';
import { GENERIC_PAYLOAD_HEADER_LENGTH, IKE_HEADER_LENGTH, PAYLOAD } from '../constants.js';
import { IkeError } from '../errors.js';
import { encodeHeader, headerOf, type IkeMessage } from '../message.js';
import { decodePayloads, encodePayloads } from '../payloads/chain.js';
import type { Payload } from '../payloads/types.js';
import { isAead } from './algorithms.js';
import type { Suite } from './proposals.js';

export interface SkKeys {
  /** SK_ei or SK_er (salt included for an AEAD). */
  readonly enc: Uint8Array;
  /** SK_ai or SK_ar; empty for an AEAD. */
  readonly integ: Uint8Array;
}

/** What an SK payload holds after opening. */
export interface Opened {
  readonly payloads: Payload[];
}

export class SkCipher {
  private readonly crypto: CryptoProvider;
  private readonly suite: Suite;
  private readonly keys: SkKeys;
  private readonly aead: boolean;
  private readonly ivLength: number;
  private readonly icvLength: number;
  /** AEAD IVs are a counter: unique per key is all RFC 5282 section 3 asks. */
  private counter = 0n;

  constructor(crypto: CryptoProvider, suite: Suite, keys: SkKeys) {
    this.crypto = crypto;
    this.suite = suite;
    this.keys = keys;
    this.aead = isAead(suite.encr);
    const t = ENC_TRANSFORMS[suite.encr];
    this.ivLength = t.ivLength;
    this.icvLength = this.aead ? t.icvLength : INTEG_TRANSFORMS[suite.integ ?? 'none'].icvLength;
  }

  /** Builds the whole protected message, header and SK{inner}; `iv` and `padding` are fixed only by known-answer tests. */
  seal(
    m: Omit<IkeMessage, 'payloads'>,
    inner: readonly Payload[],
    opts: { iv?: Uint8Array; padding?: Uint8Array } = {},
  ): Uint8Array {
    const { first, bytes: body } = encodePayloads(inner);
    const iv = opts.iv ?? this.nextIv();
    let plain: Uint8Array;
    if (this.aead) {
      // No alignment is needed; the Pad Length octet is still there (RFC 5282 section 3).
      const pad = opts.padding ?? new Uint8Array(0);
      plain = concat(body, pad, Uint8Array.of(pad.length));
    } else {
      const pad = opts.padding ?? new Uint8Array((16 - ((body.length + 1) % 16)) % 16);
      plain = concat(body, pad, Uint8Array.of(pad.length));
    }
    const sealedLength = this.aead ? plain.length + this.icvLength : plain.length;
    const skLength =
      GENERIC_PAYLOAD_HEADER_LENGTH + iv.length + sealedLength + (this.aead ? 0 : this.icvLength);
    const total = IKE_HEADER_LENGTH + skLength;
    const head = new Uint8Array(IKE_HEADER_LENGTH + GENERIC_PAYLOAD_HEADER_LENGTH);
    head.set(encodeHeader(headerOf(m, PAYLOAD.SK, total)), 0);
    head[IKE_HEADER_LENGTH] = first;
    dataView(head).setUint16(IKE_HEADER_LENGTH + 2, skLength);
    if (this.aead) {
      const { key, salt } = splitEncKey(this.suite.encr, this.keys.enc);
      const nonce = concat(salt, iv);
      const sealed =
        this.suite.encr === 'aes-gcm-16'
          ? this.crypto.aesGcmSeal(key, nonce, head, plain)
          : this.crypto.chacha20Poly1305Seal(key, nonce, head, plain);
      return concat(head, iv, sealed);
    }
    const ct = this.crypto.aesCbcEncrypt(this.keys.enc, iv, plain);
    const signed = concat(head, iv, ct);
    return concat(signed, integ(this.crypto, this.suite.integ!, this.keys.integ, signed));
  }

  /**
   * Verifies and decrypts the SK payload of a decoded message (`bytes` are its exact wire bytes).
   * EBADMSG when the ICV or tag fails or the sizes cannot be right (drop the message); once the
   * integrity check passed, INVALID_SYNTAX / UNSUPPORTED_CRITICAL_PAYLOAD for bad inner content.
   */
  open(bytes: Uint8Array, m: IkeMessage): Payload[] {
    const sk = m.payloads[m.payloads.length - 1];
    if (sk?.kind !== 'SK') throw new IkeError('INVALID_SYNTAX', 'message has no Encrypted payload');
    const skStart = bytes.length - GENERIC_PAYLOAD_HEADER_LENGTH - sk.data.length;
    const data = sk.data;
    const bad = (why: string) => new IkeError('EBADMSG', `Encrypted payload dropped: ${why}`);
    let plain: Uint8Array;
    if (this.aead) {
      if (data.length < this.ivLength + this.icvLength + 1) throw bad('too short');
      const { key, salt } = splitEncKey(this.suite.encr, this.keys.enc);
      const iv = data.subarray(0, this.ivLength);
      const aad = bytes.subarray(0, skStart + GENERIC_PAYLOAD_HEADER_LENGTH);
      const nonce = concat(salt, iv);
      try {
        plain =
          this.suite.encr === 'aes-gcm-16'
            ? this.crypto.aesGcmOpen(key, nonce, aad, data.subarray(this.ivLength))
            : this.crypto.chacha20Poly1305Open(key, nonce, aad, data.subarray(this.ivLength));
      } catch (e) {
        throw new IkeError('EBADMSG', 'Encrypted payload dropped: tag does not verify', { cause: e });
      }
    } else {
      const ctLength = data.length - this.ivLength - this.icvLength;
      if (ctLength < 16 || ctLength % 16 !== 0) throw bad(`ciphertext of ${ctLength} bytes`);
      const signed = bytes.subarray(0, bytes.length - this.icvLength);
      const icv = bytes.subarray(bytes.length - this.icvLength);
      if (!integVerify(this.crypto, this.suite.integ!, this.keys.integ, signed, icv))
        throw bad('ICV does not verify');
      plain = this.crypto.aesCbcDecrypt(
        this.keys.enc,
        data.subarray(0, this.ivLength),
        data.subarray(this.ivLength, this.ivLength + ctLength),
      );
    }
    const padLength = plain[plain.length - 1]!;
    const end = plain.length - 1 - padLength;
    const base = skStart + GENERIC_PAYLOAD_HEADER_LENGTH + this.ivLength;
    if (end < 0)
      throw new IkeError('INVALID_SYNTAX', `Pad Length ${padLength} exceeds the plaintext`, { offset: base });
    return decodePayloads(plain, 0, end, sk.firstPayload, { encrypted: true, base });
  }

  private nextIv(): Uint8Array {
    if (!this.aead) return this.crypto.randomBytes(this.ivLength);
    const iv = new Uint8Array(8);
    dataView(iv).setBigUint64(0, this.counter++);
    return iv;
  }
}
