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
 *
 * The fast path: an SA's crypto state (cipher key and salt split once, in-place AEAD, AES-CBC and HMAC
 * contexts keyed once: OpenSSL contexts when the native provider has its addon) is made on its first
 * packet and kept for its life. CBC IVs come from a buffered draw of the provider's CSPRNG. A sealed packet is built in one buffer from the packet pool, headroom for the IP header
 * included, and encrypted in place; an opened one is decrypted in one copy of its ciphertext (never in
 * the caller's bytes, which captures may hold).
 */
import type { CryptoProvider, EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import {
  type AeadContext,
  aeadContext,
  type CbcContext,
  cbcContext,
  ENC_TRANSFORMS,
  type HmacContext,
  hmacContext,
  INTEG_TRANSFORMS,
  integ,
  integVerify,
  splitEncKey,
} from '@mip6sec/crypto';
import { packetBuffer } from './packet-pool.js';

export const ESP_HEADER_LEN = 8;
/** RFC 4303 section 2.6: next header 59 marks a dummy packet to be discarded. */
export const ESP_DUMMY_NEXT_HEADER = 59;
/** RFC 4106 section 3.1 / RFC 7634 section 2: the explicit IV of the combined-mode suites. */
const AEAD_IV_LEN = 8;

export interface EspSuite {
  readonly spi: number;
  readonly enc: { readonly alg: EncAlgorithm; readonly key: Uint8Array };
  readonly integ?: { readonly alg: IntegAlgorithm; readonly key: Uint8Array };
  readonly esn: boolean;
}

export type EspOpenResult =
  | { readonly ok: true; readonly nextHeader: number; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: 'truncated' | 'bad-icv' | 'bad-padding' };

const TRUNCATED: EspOpenResult = Object.freeze({ ok: false, reason: 'truncated' });
const BAD_ICV: EspOpenResult = Object.freeze({ ok: false, reason: 'bad-icv' });
const BAD_PADDING: EspOpenResult = Object.freeze({ ok: false, reason: 'bad-padding' });
const NO_SALT = new Uint8Array(0);

/** What a suite needs per packet, worked out once. */
interface SuiteCrypto {
  readonly provider: CryptoProvider;
  readonly enc: EspSuite['enc'];
  readonly integ: EspSuite['integ'];
  /** The in-place AEAD context of a combined-mode suite. */
  readonly aead: AeadContext | undefined;
  /** AES-CBC, keyed once. */
  readonly cbc: CbcContext | undefined;
  /** An HMAC integrity algorithm's context (AES-XCBC goes through `integ`). */
  readonly mac: HmacContext | undefined;
  readonly salt: Uint8Array;
  readonly ivLen: number;
  readonly icvLen: number;
  /** Padding boundary: the cipher block, at least 4 (RFC 4303 section 2.4). */
  readonly block: number;
}

// Per suite object (the kernel's SA record, which keeps its keys for life), checked against the provider
// and the key objects so that a different provider or new keys never meet stale state.
const suiteCrypto = new WeakMap<EspSuite, SuiteCrypto>();

function cryptoOf(c: CryptoProvider, s: EspSuite): SuiteCrypto {
  const hit = suiteCrypto.get(s);
  if (hit !== undefined && hit.provider === c && hit.enc === s.enc && hit.integ === s.integ) return hit;
  const t = ENC_TRANSFORMS[s.enc.alg];
  let aead: AeadContext | undefined;
  let salt: Uint8Array = NO_SALT;
  if (t.icvLength > 0) {
    const k = splitEncKey(s.enc.alg, s.enc.key);
    aead = aeadContext(c, s.enc.alg === 'aes-gcm-16' ? 'aes-gcm' : 'chacha20-poly1305', k.key);
    salt = k.salt;
  }
  const macHash = s.integ ? INTEG_TRANSFORMS[s.integ.alg].mac : null;
  const made: SuiteCrypto = {
    provider: c,
    enc: s.enc,
    integ: s.integ,
    aead,
    cbc: s.enc.alg === 'aes-cbc' ? cbcContext(c, s.enc.key) : undefined,
    mac:
      s.integ && macHash !== null && macHash !== 'aes-xcbc'
        ? hmacContext(c, macHash, s.integ.key)
        : undefined,
    salt,
    ivLen: aead ? AEAD_IV_LEN : t.ivLength,
    icvLen: aead ? t.icvLength : INTEG_TRANSFORMS[s.integ?.alg ?? 'none'].icvLength,
    block: Math.max(t.blockSize, 4),
  };
  suiteCrypto.set(s, made);
  return made;
}

// Per-packet scratch for the AEAD nonce and AAD. Both are consumed before the context returns (OpenSSL and
// node:crypto copy the IV and digest the AAD at once, noble's AEADs finish inside the call), so one buffer
// each serves every packet.
const NONCE = new Uint8Array(12);
const AAD = new Uint8Array(8);
const AAD_ESN = new Uint8Array(12);
const IV = new Uint8Array(16);
const SEQ_HI = new Uint8Array(4);
const NO_TAIL = new Uint8Array(0);

// CBC IVs (RFC 3602 3: unpredictable) drawn from the provider's CSPRNG a few KB at a time rather than
// one call per packet.
const RANDOM_POOL = 4096;
const randomPools = new WeakMap<CryptoProvider, { bytes: Uint8Array; used: number }>();

function randomInto(c: CryptoProvider, out: Uint8Array, at: number, n: number): void {
  let pool = randomPools.get(c);
  if (pool === undefined || pool.used + n > pool.bytes.length) {
    pool = { bytes: c.randomBytes(RANDOM_POOL), used: 0 };
    randomPools.set(c, pool);
  }
  for (let i = 0; i < n; i++) out[at + i] = pool.bytes[pool.used + i]!;
  // Each byte is handed out once: clear it behind us.
  pool.bytes.fill(0, pool.used, pool.used + n);
  pool.used += n;
}

/** The IV at esp[at, at + 16) in the IV scratch buffer. */
function ivOf(esp: Uint8Array, at: number): Uint8Array {
  for (let i = 0; i < 16; i++) IV[i] = esp[at + i]!;
  return IV;
}

/** The high sequence bits ESN appends to what the ICV covers (RFC 4303 2.2.1), or nothing. */
function seqTail(esn: boolean, hi: number): Uint8Array {
  if (!esn) return NO_TAIL;
  putU32(SEQ_HI, 0, hi);
  return SEQ_HI;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

function getU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** RFC 4106 5 / RFC 7634 2.1: SPI and sequence number, all 64 bits of it under ESN. */
function aad(spi: number, hi: number, lo: number, esn: boolean): Uint8Array {
  if (esn) {
    putU32(AAD_ESN, 0, spi);
    putU32(AAD_ESN, 4, hi);
    putU32(AAD_ESN, 8, lo);
    return AAD_ESN;
  }
  putU32(AAD, 0, spi);
  putU32(AAD, 4, lo);
  return AAD;
}

/** The salt from the end of the keying material (RFC 4106 8.1, RFC 7634 2), then the 8-byte IV. */
function nonce(salt: Uint8Array, esp: Uint8Array, ivAt: number): Uint8Array {
  NONCE.set(salt);
  for (let i = 0; i < 8; i++) NONCE[4 + i] = esp[ivAt + i]!;
  return NONCE;
}

function withSeqHi(data: Uint8Array, hi: number): Uint8Array {
  const out = new Uint8Array(data.length + 4);
  out.set(data);
  putU32(out, data.length, hi);
  return out;
}

/**
 * Builds an ESP packet (header to ICV) carrying `payload` with next header `nextHeader`. The packet is
 * made in one buffer: the plaintext (payload, padding, trailer) is laid out where the ciphertext goes and
 * encrypted there. With `headroom`, that many bytes are left free in the buffer before the returned view,
 * for the IP header the caller writes there (see `buildIpPacket`).
 */
export function espSeal(
  c: CryptoProvider,
  s: EspSuite,
  seq: { readonly hi: number; readonly lo: number },
  nextHeader: number,
  payload: Uint8Array,
  headroom = 0,
): Uint8Array {
  const k = cryptoOf(c, s);
  const padLen = (k.block - ((payload.length + 2) % k.block)) % k.block;
  const ptLen = payload.length + padLen + 2;
  const ivOffset = headroom + ESP_HEADER_LEN;
  const bodyAt = ivOffset + k.ivLen;
  const buf = packetBuffer(bodyAt + ptLen + k.icvLen);
  putU32(buf, headroom, s.spi);
  putU32(buf, headroom + 4, seq.lo);
  buf.set(payload, bodyAt);
  let at = bodyAt + payload.length;
  for (let i = 1; i <= padLen; i++) buf[at++] = i;
  buf[at++] = padLen;
  buf[at] = nextHeader;

  if (k.aead !== undefined) {
    putU32(buf, ivOffset, seq.hi);
    putU32(buf, ivOffset + 4, seq.lo);
    k.aead.seal(nonce(k.salt, buf, ivOffset), aad(s.spi, seq.hi, seq.lo, s.esn), buf, bodyAt, ptLen);
    return headroom > 0 ? buf.subarray(headroom) : buf;
  }

  if (k.ivLen > 0) randomInto(c, buf, ivOffset, k.ivLen);
  if (k.cbc !== undefined) k.cbc.encrypt(ivOf(buf, ivOffset), buf, bodyAt, ptLen);
  const icvAt = bodyAt + ptLen;
  if (k.icvLen > 0 && s.integ) {
    if (k.mac !== undefined) {
      const mac = k.mac.digest(buf, headroom, icvAt - headroom, seqTail(s.esn, seq.hi));
      for (let i = 0; i < k.icvLen; i++) buf[icvAt + i] = mac[i]!;
    } else {
      const covered = buf.subarray(headroom, icvAt);
      buf.set(integ(c, s.integ.alg, s.integ.key, s.esn ? withSeqHi(covered, seq.hi) : covered), icvAt);
    }
  }
  return headroom > 0 ? buf.subarray(headroom) : buf;
}

/** SPI and low sequence bits of an ESP packet, or undefined when it is shorter than the header. */
export function espHeader(esp: Uint8Array): { spi: number; seq: number } | undefined {
  if (esp.length < ESP_HEADER_LEN) return undefined;
  return { spi: getU32(esp, 0), seq: getU32(esp, 4) };
}

/**
 * Verifies and decrypts an ESP packet whose full sequence number is `seq` (high bits inferred). `esp` is
 * only read: the plaintext comes back in a new buffer.
 */
export function espOpen(
  c: CryptoProvider,
  s: EspSuite,
  seq: { readonly hi: number; readonly lo: number },
  esp: Uint8Array,
): EspOpenResult {
  const k = cryptoOf(c, s);
  const bodyAt = ESP_HEADER_LEN + k.ivLen;
  const bodyLen = esp.length - bodyAt - k.icvLen;
  if (bodyLen < 2 || bodyLen % k.block !== 0) return TRUNCATED;
  let pt: Uint8Array;
  if (k.aead !== undefined) {
    // Ciphertext and ICV copied once, then opened in place.
    pt = packetBuffer(bodyLen + k.icvLen);
    pt.set(esp.subarray(bodyAt));
    if (!k.aead.open(nonce(k.salt, esp, ESP_HEADER_LEN), aad(s.spi, seq.hi, seq.lo, s.esn), pt, 0, bodyLen))
      return BAD_ICV;
  } else {
    const icvAt = esp.length - k.icvLen;
    if (s.integ && k.icvLen > 0) {
      if (k.mac !== undefined) {
        // Compared in full whatever differs first, so the time says nothing about where.
        const mac = k.mac.digest(esp, 0, icvAt, seqTail(s.esn, seq.hi));
        let diff = 0;
        for (let i = 0; i < k.icvLen; i++) diff |= mac[i]! ^ esp[icvAt + i]!;
        if (diff !== 0) return BAD_ICV;
      } else {
        const covered = esp.subarray(0, icvAt);
        const ok = integVerify(
          c,
          s.integ.alg,
          s.integ.key,
          s.esn ? withSeqHi(covered, seq.hi) : covered,
          esp.subarray(icvAt),
        );
        if (!ok) return BAD_ICV;
      }
    }
    if (k.cbc !== undefined) {
      pt = packetBuffer(bodyLen);
      pt.set(esp.subarray(bodyAt, bodyAt + bodyLen));
      k.cbc.decrypt(ivOf(esp, ESP_HEADER_LEN), pt, 0, bodyLen);
    } else pt = esp.subarray(bodyAt, bodyAt + bodyLen);
  }
  const padLen = pt[bodyLen - 2]!;
  const nextHeader = pt[bodyLen - 1]!;
  if (padLen + 2 > bodyLen) return BAD_PADDING;
  const payloadLen = bodyLen - 2 - padLen;
  for (let i = 1; i <= padLen; i++) if (pt[payloadLen + i - 1] !== i) return BAD_PADDING;
  return { ok: true, nextHeader, payload: pt.subarray(0, payloadLen) };
}
