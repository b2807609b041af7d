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

// Per-packet scratch for the AEAD nonce and AAD. Both are consumed before the provider call returns
// (node:crypto copies the IV and digests the AAD at once, noble's AEADs finish inside the call), so one
// buffer each serves every packet.
const NONCE = new Uint8Array(12);
const AAD = new Uint8Array(8);
const AAD_ESN = new Uint8Array(12);
const AAD_DV = new DataView(AAD.buffer);
const AAD_ESN_DV = new DataView(AAD_ESN.buffer);

function aad(spi: number, hi: number, lo: number, esn: boolean): Uint8Array {
  if (esn) {
    AAD_ESN_DV.setUint32(0, spi);
    AAD_ESN_DV.setUint32(4, hi);
    AAD_ESN_DV.setUint32(8, lo);
    return AAD_ESN;
  }
  AAD_DV.setUint32(0, spi);
  AAD_DV.setUint32(4, lo);
  return AAD;
}

/** The salt from the end of the keying material (RFC 4106 8.1, RFC 7634 2), then the 8-byte IV. */
function nonce(salt: Uint8Array, esp: Uint8Array, ivAt: number): Uint8Array {
  NONCE.set(salt);
  for (let i = 0; i < 8; i++) NONCE[4 + i] = esp[ivAt + i]!;
  return NONCE;
}

// An SA's AEAD key split into cipher key and salt, once per keying material (the SA keeps its key object
// for life, so the same views serve every packet).
const splitKeys = new WeakMap<Uint8Array, { readonly key: Uint8Array; readonly salt: Uint8Array }>();

function aeadKey(s: EspSuite): { readonly key: Uint8Array; readonly salt: Uint8Array } {
  let k = splitKeys.get(s.enc.key);
  if (!k) {
    k = splitEncKey(s.enc.alg, s.enc.key);
    splitKeys.set(s.enc.key, k);
  }
  return k;
}

function withSeqHi(data: Uint8Array, hi: number): Uint8Array {
  const out = new Uint8Array(data.length + 4);
  out.set(data);
  new DataView(out.buffer).setUint32(data.length, hi);
  return out;
}

/**
 * Builds an ESP packet (header to ICV) carrying `payload` with next header `nextHeader`. The packet is
 * made in one buffer: the plaintext (payload, padding, trailer) is laid out where the ciphertext goes and
 * replaced by it. With `headroom`, that many bytes are left free in the buffer before the returned view, for
 * the IP header the caller writes there (see `buildIpPacket`).
 */
export function espSeal(
  c: CryptoProvider,
  s: EspSuite,
  seq: { readonly hi: number; readonly lo: number },
  nextHeader: number,
  payload: Uint8Array,
  headroom = 0,
): Uint8Array {
  const t = ENC_TRANSFORMS[s.enc.alg];
  const block = Math.max(t.blockSize, 4);
  const padLen = (block - ((payload.length + 2) % block)) % block;
  const ptLen = payload.length + padLen + 2;
  const aead = t.icvLength > 0;
  const ivLen = aead ? 8 : t.ivLength;
  const icvLen = aead ? t.icvLength : INTEG_TRANSFORMS[s.integ?.alg ?? 'none'].icvLength;
  const bodyAt = ESP_HEADER_LEN + ivLen;
  const buf = new Uint8Array(headroom + bodyAt + ptLen + icvLen);
  const out = headroom > 0 ? buf.subarray(headroom) : buf;
  const dv = new DataView(buf.buffer, headroom);
  dv.setUint32(0, s.spi);
  dv.setUint32(4, seq.lo);
  const pt = out.subarray(bodyAt, bodyAt + ptLen);
  pt.set(payload);
  for (let i = 1; i <= padLen; i++) pt[payload.length + i - 1] = i;
  pt[ptLen - 2] = padLen;
  pt[ptLen - 1] = nextHeader;

  if (aead) {
    dv.setUint32(ESP_HEADER_LEN, seq.hi);
    dv.setUint32(ESP_HEADER_LEN + 4, seq.lo);
    const { key, salt } = aeadKey(s);
    const n = nonce(salt, out, ESP_HEADER_LEN);
    const ad = aad(s.spi, seq.hi, seq.lo, s.esn);
    const sealed =
      s.enc.alg === 'aes-gcm-16' ? c.aesGcmSeal(key, n, ad, pt) : c.chacha20Poly1305Seal(key, n, ad, pt);
    out.set(sealed, bodyAt);
    return out;
  }

  if (ivLen > 0) out.set(c.randomBytes(ivLen), ESP_HEADER_LEN);
  if (s.enc.alg === 'aes-cbc')
    out.set(c.aesCbcEncrypt(s.enc.key, out.subarray(ESP_HEADER_LEN, bodyAt), pt), bodyAt);
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
    const { key, salt } = aeadKey(s);
    const n = nonce(salt, esp, ESP_HEADER_LEN);
    const ad = aad(s.spi, seq.hi, seq.lo, s.esn);
    const sealed = esp.subarray(ESP_HEADER_LEN + t.ivLength);
    try {
      pt =
        s.enc.alg === 'aes-gcm-16'
          ? c.aesGcmOpen(key, n, ad, sealed)
          : c.chacha20Poly1305Open(key, n, ad, sealed);
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
