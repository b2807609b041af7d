/**
 * ESP packet processing (RFC 4303): the header (SPI, sequence number), the IV, padding to the cipher block
 * and 4-byte alignment with the monotonic pad bytes of section 2.4, the trailer (pad length, next header)
 * and the ICV. Suites: AES-CBC (RFC 3602) or NULL (RFC 2410) with an HMAC/XCBC integrity algorithm, and
 * the combined-mode AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634), whose nonce is the 4-byte salt
 * from the end of the key followed by the 8-byte IV, and whose AAD is the SPI and the sequence number
 * (64 bits under ESN). Under ESN the high 32 bits are never sent: integrity covers them appended after the
 * ESP trailer (section 2.2.1), AEADs in the AAD.
 *
 * The AEAD IV is the 64-bit sequence number, unique per packet of an SA as RFC 4106 section 3.1 requires;
 * the CBC IV is random, as RFC 3602 section 3 requires.
 */
import type { CryptoProvider, EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import { ENC_TRANSFORMS, INTEG_TRANSFORMS, integ, integVerify, splitEncKey } from '@mip6sec/crypto';

export const ESP_HEADER_LEN = 8;
/** RFC 4303 section 2.6: next header 59 marks a dummy packet to be discarded. */
export const ESP_DUMMY_NEXT_HEADER = 59;

export interface EspSuite {
  readonly spi: number;
  readonly enc: { readonly alg: EncAlgorithm; readonly key: Uint8Array };
  readonly integ?: { readonly alg: IntegAlgorithm; readonly key: Uint8Array };
  readonly esn: boolean;
}

export type EspOpenResult =
  | { readonly ok: true; readonly nextHeader: number; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: 'truncated' | 'bad-icv' | 'bad-padding' };

function icvLength(s: EspSuite): number {
  return ENC_TRANSFORMS[s.enc.alg].icvLength || INTEG_TRANSFORMS[s.integ?.alg ?? 'none'].icvLength;
}

function aad(spi: number, hi: number, lo: number, esn: boolean): Uint8Array {
  const a = new Uint8Array(esn ? 12 : 8);
  const dv = new DataView(a.buffer);
  dv.setUint32(0, spi);
  if (esn) {
    dv.setUint32(4, hi);
    dv.setUint32(8, lo);
  } else dv.setUint32(4, lo);
  return a;
}

function withSeqHi(data: Uint8Array, hi: number): Uint8Array {
  const out = new Uint8Array(data.length + 4);
  out.set(data);
  new DataView(out.buffer).setUint32(data.length, hi);
  return out;
}

function aeadSeal(
  c: CryptoProvider,
  s: EspSuite,
  nonce: Uint8Array,
  ad: Uint8Array,
  pt: Uint8Array,
): Uint8Array {
  const { key } = splitEncKey(s.enc.alg, s.enc.key);
  return s.enc.alg === 'aes-gcm-16'
    ? c.aesGcmSeal(key, nonce, ad, pt)
    : c.chacha20Poly1305Seal(key, nonce, ad, pt);
}

function aeadOpen(
  c: CryptoProvider,
  s: EspSuite,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  const { key } = splitEncKey(s.enc.alg, s.enc.key);
  return s.enc.alg === 'aes-gcm-16'
    ? c.aesGcmOpen(key, nonce, ad, sealed)
    : c.chacha20Poly1305Open(key, nonce, ad, sealed);
}

/** Builds an ESP packet (header to ICV) carrying `payload` with next header `nextHeader`. */
export function espSeal(
  c: CryptoProvider,
  s: EspSuite,
  seq: { readonly hi: number; readonly lo: number },
  nextHeader: number,
  payload: Uint8Array,
): Uint8Array {
  const t = ENC_TRANSFORMS[s.enc.alg];
  const block = Math.max(t.blockSize, 4);
  const padLen = (block - ((payload.length + 2) % block)) % block;
  const pt = new Uint8Array(payload.length + padLen + 2);
  pt.set(payload);
  for (let i = 1; i <= padLen; i++) pt[payload.length + i - 1] = i;
  pt[pt.length - 2] = padLen;
  pt[pt.length - 1] = nextHeader;

  const header = new Uint8Array(ESP_HEADER_LEN);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, s.spi);
  hv.setUint32(4, seq.lo);

  if (t.icvLength > 0) {
    const iv = new Uint8Array(8);
    const iview = new DataView(iv.buffer);
    iview.setUint32(0, seq.hi);
    iview.setUint32(4, seq.lo);
    const { salt } = splitEncKey(s.enc.alg, s.enc.key);
    const nonce = new Uint8Array(12);
    nonce.set(salt);
    nonce.set(iv, 4);
    const sealed = aeadSeal(c, s, nonce, aad(s.spi, seq.hi, seq.lo, s.esn), pt);
    const out = new Uint8Array(ESP_HEADER_LEN + 8 + sealed.length);
    out.set(header);
    out.set(iv, ESP_HEADER_LEN);
    out.set(sealed, ESP_HEADER_LEN + 8);
    return out;
  }

  const iv = t.ivLength > 0 ? c.randomBytes(t.ivLength) : new Uint8Array(0);
  const ct = s.enc.alg === 'aes-cbc' ? c.aesCbcEncrypt(s.enc.key, iv, pt) : pt;
  const integAlg = s.integ?.alg ?? 'none';
  const icvLen = INTEG_TRANSFORMS[integAlg].icvLength;
  const out = new Uint8Array(ESP_HEADER_LEN + iv.length + ct.length + icvLen);
  out.set(header);
  out.set(iv, ESP_HEADER_LEN);
  out.set(ct, ESP_HEADER_LEN + iv.length);
  if (icvLen > 0 && s.integ) {
    const covered = out.subarray(0, out.length - icvLen);
    const icv = integ(c, s.integ.alg, s.integ.key, s.esn ? withSeqHi(covered, seq.hi) : covered);
    out.set(icv, out.length - icvLen);
  }
  return out;
}

/** SPI and low sequence bits of an ESP packet, or undefined when it is shorter than the header. */
export function espHeader(esp: Uint8Array): { spi: number; seq: number } | undefined {
  if (esp.length < ESP_HEADER_LEN) return undefined;
  const dv = new DataView(esp.buffer, esp.byteOffset, esp.byteLength);
  return { spi: dv.getUint32(0), seq: dv.getUint32(4) };
}

/** Verifies and decrypts an ESP packet whose full sequence number is `seq` (high bits inferred). */
export function espOpen(
  c: CryptoProvider,
  s: EspSuite,
  seq: { readonly hi: number; readonly lo: number },
  esp: Uint8Array,
): EspOpenResult {
  const t = ENC_TRANSFORMS[s.enc.alg];
  const icvLen = icvLength(s);
  const bodyLen = esp.length - ESP_HEADER_LEN - t.ivLength - icvLen;
  if (bodyLen < 2 || bodyLen % Math.max(t.blockSize, 4) !== 0) return { ok: false, reason: 'truncated' };
  const iv = esp.subarray(ESP_HEADER_LEN, ESP_HEADER_LEN + t.ivLength);
  let pt: Uint8Array;
  if (t.icvLength > 0) {
    const { salt } = splitEncKey(s.enc.alg, s.enc.key);
    const nonce = new Uint8Array(12);
    nonce.set(salt);
    nonce.set(iv, 4);
    try {
      pt = aeadOpen(
        c,
        s,
        nonce,
        aad(s.spi, seq.hi, seq.lo, s.esn),
        esp.subarray(ESP_HEADER_LEN + t.ivLength),
      );
    } catch {
      return { ok: false, reason: 'bad-icv' };
    }
  } else {
    if (s.integ && icvLen > 0) {
      const covered = esp.subarray(0, esp.length - icvLen);
      const ok = integVerify(
        c,
        s.integ.alg,
        s.integ.key,
        s.esn ? withSeqHi(covered, seq.hi) : covered,
        esp.subarray(esp.length - icvLen),
      );
      if (!ok) return { ok: false, reason: 'bad-icv' };
    }
    const ct = esp.subarray(ESP_HEADER_LEN + t.ivLength, esp.length - icvLen);
    pt = s.enc.alg === 'aes-cbc' ? c.aesCbcDecrypt(s.enc.key, iv, ct) : ct;
  }
  const padLen = pt[pt.length - 2]!;
  const nextHeader = pt[pt.length - 1]!;
  if (padLen + 2 > pt.length) return { ok: false, reason: 'bad-padding' };
  const payloadLen = pt.length - 2 - padLen;
  for (let i = 1; i <= padLen; i++)
    if (pt[payloadLen + i - 1] !== i) return { ok: false, reason: 'bad-padding' };
  return { ok: true, nextHeader, payload: pt.subarray(0, payloadLen) };
}
