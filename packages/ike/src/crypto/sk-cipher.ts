/**
 * Sealing and opening the Encrypted payload SK (RFC 7296 section 3.14), and its fragments SKF
 * (RFC 7383 section 2.5, each sealed on its own), for one direction of an IKE SA: AES-CBC with an HMAC/XCBC ICV over the whole message, or an AEAD (AES-GCM, RFC 5282;
 * ChaCha20-Poly1305, RFC 7634) with nonce = salt | IV and AAD = the message up to and including
 * the SK generic header (SKF: up to and including its fragment numbers).
 */
import type { CryptoProvider } from '@mip6sec/core';
import {
  type AeadContext,
  aeadContext,
  ENC_TRANSFORMS,
  INTEG_TRANSFORMS,
  integ,
  integVerify,
  splitEncKey,
} from '@mip6sec/crypto';
import { concat, dataView, setU16 } from '../bytes.js';
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
  /**
   * The AEAD key as a context of its own, made at first use and kept for the SA's life: a context
   * keyed per message cost more than sealing the message. One SkCipher serves one direction.
   */
  private context: AeadContext | undefined;
  /** salt | IV, the salt set once (RFC 5282 section 4, RFC 7634 section 2); each message writes its IV. */
  private nonce: Uint8Array | undefined;

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
    return this.protect(m, PAYLOAD.SK, first, new Uint8Array(0), body, opts);
  }

  /**
   * The largest inner chunk one SKF fragment can carry in a message of at most `maxLength` bytes
   * (RFC 7383 section 2.5.3: IKE header, SKF header with its numbers, IV, padded content, ICV).
   */
  fragmentCapacity(maxLength: number): number {
    const overhead = IKE_HEADER_LENGTH + GENERIC_PAYLOAD_HEADER_LENGTH + 4 + this.ivLength + this.icvLength;
    const room = maxLength - overhead;
    if (this.aead) return room - 1;
    return Math.floor(room / 16) * 16 - 1;
  }

  /**
   * RFC 7383 section 2.5: the inner payloads split into `total` SKF messages of at most
   * `maxLength` bytes, each one encrypted and authenticated on its own; the first names the first
   * inner payload, the others carry Next Payload 0.
   */
  sealFragments(m: Omit<IkeMessage, 'payloads'>, inner: readonly Payload[], maxLength: number): Uint8Array[] {
    const { first, bytes: body } = encodePayloads(inner);
    const chunk = this.fragmentCapacity(maxLength);
    if (chunk < 1) throw new IkeError('EINVAL', `fragment size ${maxLength} leaves no room for content`);
    const total = Math.max(1, Math.ceil(body.length / chunk));
    if (total > 0xffff)
      throw new IkeError('EINVAL', `message of ${body.length} bytes needs too many fragments`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < total; i++) {
      const numbers = new Uint8Array(4);
      dataView(numbers).setUint16(0, i + 1);
      dataView(numbers).setUint16(2, total);
      const part = body.subarray(i * chunk, Math.min(body.length, (i + 1) * chunk));
      out.push(this.protect(m, PAYLOAD.SKF, i === 0 ? first : PAYLOAD.NONE, numbers, part, {}));
    }
    return out;
  }

  /** Header, the SK or SKF payload header (`extra`: SKF's fragment numbers), IV, sealed content, ICV. */
  private protect(
    m: Omit<IkeMessage, 'payloads'>,
    type: number,
    first: number,
    extra: Uint8Array,
    body: Uint8Array,
    opts: { iv?: Uint8Array; padding?: Uint8Array },
  ): Uint8Array {
    const iv = opts.iv ?? this.nextIv();
    if (this.aead) return this.protectAead(m, type, first, extra, body, iv, opts.padding);
    const pad = opts.padding ?? new Uint8Array((16 - ((body.length + 1) % 16)) % 16);
    const plain = concat(body, pad, Uint8Array.of(pad.length));
    const payloadLength =
      GENERIC_PAYLOAD_HEADER_LENGTH + extra.length + iv.length + plain.length + this.icvLength;
    const head = new Uint8Array(IKE_HEADER_LENGTH + GENERIC_PAYLOAD_HEADER_LENGTH + extra.length);
    this.writeHead(head, m, type, first, extra, payloadLength);
    const ct = this.crypto.aesCbcEncrypt(this.keys.enc, iv, plain);
    const signed = concat(head, iv, ct);
    return concat(signed, integ(this.crypto, this.suite.integ!, this.keys.integ, signed));
  }

  /** The IKE header and the SK/SKF payload header (with `extra`) at the start of `out`. */
  private writeHead(
    out: Uint8Array,
    m: Omit<IkeMessage, 'payloads'>,
    type: number,
    first: number,
    extra: Uint8Array,
    payloadLength: number,
  ): void {
    out.set(encodeHeader(headerOf(m, type, IKE_HEADER_LENGTH + payloadLength)), 0);
    out[IKE_HEADER_LENGTH] = first;
    setU16(out, IKE_HEADER_LENGTH + 2, payloadLength);
    out.set(extra, IKE_HEADER_LENGTH + GENERIC_PAYLOAD_HEADER_LENGTH);
  }

  /**
   * The AEAD message, built in one array: headers, IV, content, padding, Pad Length, and room for
   * the tag, sealed in place with the headers as AAD. No alignment is needed; the Pad Length octet
   * is still there (RFC 5282 section 3).
   */
  private protectAead(
    m: Omit<IkeMessage, 'payloads'>,
    type: number,
    first: number,
    extra: Uint8Array,
    body: Uint8Array,
    iv: Uint8Array,
    padding: Uint8Array | undefined,
  ): Uint8Array {
    const padLength = padding?.length ?? 0;
    const plainLength = body.length + padLength + 1;
    const headLength = IKE_HEADER_LENGTH + GENERIC_PAYLOAD_HEADER_LENGTH + extra.length;
    const payloadLength =
      GENERIC_PAYLOAD_HEADER_LENGTH + extra.length + iv.length + plainLength + this.icvLength;
    const out = new Uint8Array(IKE_HEADER_LENGTH + payloadLength);
    this.writeHead(out, m, type, first, extra, payloadLength);
    const plainStart = headLength + iv.length;
    out.set(iv, headLength);
    out.set(body, plainStart);
    if (padding) out.set(padding, plainStart + body.length);
    out[plainStart + plainLength - 1] = padLength;
    this.aeadKey().seal(this.nonceFor(iv), out.subarray(0, headLength), out, plainStart, plainLength);
    return out;
  }

  private aeadKey(): AeadContext {
    if (!this.context) {
      const { key, salt } = splitEncKey(this.suite.encr, this.keys.enc);
      this.context = aeadContext(
        this.crypto,
        this.suite.encr === 'aes-gcm-16' ? 'aes-gcm' : 'chacha20-poly1305',
        key,
      );
      this.nonce = new Uint8Array(salt.length + this.ivLength);
      this.nonce.set(salt);
    }
    return this.context;
  }

  private nonceFor(iv: Uint8Array): Uint8Array {
    const nonce = this.nonce!;
    nonce.set(iv, nonce.length - this.ivLength);
    return nonce;
  }

  /**
   * Verifies and decrypts the SK payload of a decoded message (`bytes` are its exact wire bytes).
   * EBADMSG when the ICV or tag fails or the sizes cannot be right (drop the message); once the
   * integrity check passed, INVALID_SYNTAX / UNSUPPORTED_CRITICAL_PAYLOAD for bad inner content.
   */
  open(bytes: Uint8Array, m: IkeMessage): Payload[] {
    const sk = m.payloads[m.payloads.length - 1];
    if (sk?.kind !== 'SK') throw new IkeError('INVALID_SYNTAX', 'message has no Encrypted payload');
    const ivStart = bytes.length - sk.data.length;
    const plain = this.unprotect(bytes, ivStart);
    return decodePayloads(plain, 0, plain.length, sk.firstPayload, {
      encrypted: true,
      base: ivStart + this.ivLength,
    });
  }

  /**
   * Verifies and decrypts one SKF fragment (RFC 7383 section 2.6): its number, the total, the
   * first inner payload type (fragment 1 only) and its share of the inner payload bytes.
   */
  openFragment(
    bytes: Uint8Array,
    m: IkeMessage,
  ): { fragment: number; total: number; firstPayload: number; content: Uint8Array } {
    const skf = m.payloads[m.payloads.length - 1];
    if (skf?.kind !== 'SKF')
      throw new IkeError('INVALID_SYNTAX', 'message has no Encrypted Fragment payload');
    const content = this.unprotect(bytes, bytes.length - skf.data.length);
    return { fragment: skf.fragment, total: skf.total, firstPayload: skf.firstPayload, content };
  }

  /** Checks and decrypts what follows `ivStart` (IV, ciphertext, ICV); returns the content without padding. */
  private unprotect(bytes: Uint8Array, ivStart: number): Uint8Array {
    const data = bytes.subarray(ivStart);
    const bad = (why: string) => new IkeError('EBADMSG', `Encrypted payload dropped: ${why}`);
    let plain: Uint8Array;
    if (this.aead) {
      if (data.length < this.ivLength + this.icvLength + 1) throw bad('too short');
      const context = this.aeadKey();
      const nonce = this.nonceFor(data.subarray(0, this.ivLength));
      const aad = bytes.subarray(0, ivStart);
      // Opened in a copy: the received bytes stay as they came (retransmissions are compared with them).
      const sealed = data.slice(this.ivLength);
      const length = sealed.length - this.icvLength;
      let ok: boolean;
      try {
        ok = context.open(nonce, aad, sealed, 0, length);
      } catch (e) {
        throw new IkeError('EBADMSG', 'Encrypted payload dropped: tag does not verify', { cause: e });
      }
      if (!ok) throw bad('tag does not verify');
      plain = sealed.subarray(0, length);
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
    if (end < 0)
      throw new IkeError('INVALID_SYNTAX', `Pad Length ${padLength} exceeds the plaintext`, {
        offset: ivStart + this.ivLength,
      });
    return plain.subarray(0, end);
  }

  private nextIv(): Uint8Array {
    if (!this.aead) return this.crypto.randomBytes(this.ivLength);
    const iv = new Uint8Array(8);
    dataView(iv).setBigUint64(0, this.counter++);
    return iv;
  }
}
