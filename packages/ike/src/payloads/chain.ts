/**
 * The payload chain (RFC 7296 section 3.2): each generic header names the type of the next
 * payload. Decoding enforces the critical bit rule (an unknown payload marked critical rejects
 * the message with UNSUPPORTED_CRITICAL_PAYLOAD) and that SK/SKF come last (section 3.14).
 */

import { dataView } from '../bytes.js';
import { GENERIC_PAYLOAD_HEADER_LENGTH, PAYLOAD, PAYLOAD_CRITICAL } from '../constants.js';
import { IkeError, syntaxError } from '../errors.js';
import { decodeAuth, encodeAuth } from './auth.js';
import { decodeCert, encodeCert } from './cert.js';
import { decodeCp, encodeCp } from './cp.js';
import { decodeDelete, encodeDelete } from './delete.js';
import { decodeId, encodeId } from './id.js';
import { decodeKe, encodeKe } from './ke.js';
import { decodeNotify, encodeNotify } from './notify.js';
import { decodeOpaque, encodeOpaque } from './opaque.js';
import { decodeSa, encodeSa } from './sa.js';
import { decodeSk, decodeSkf, encodeSkf } from './sk.js';
import { decodeTs, encodeTs } from './ts.js';
import type { Payload } from './types.js';

/** The wire type of a payload record. */
export function payloadType(p: Payload): number {
  return p.kind === 'UNKNOWN' ? p.type : PAYLOAD[p.kind];
}

function decodeBody(type: number, next: number, critical: boolean, body: Uint8Array, base: number): Payload {
  let p: Payload;
  switch (type) {
    case PAYLOAD.SA:
      p = decodeSa(body, base);
      break;
    case PAYLOAD.KE:
      p = decodeKe(body, base);
      break;
    case PAYLOAD.IDi:
      p = decodeId('IDi', body, base);
      break;
    case PAYLOAD.IDr:
      p = decodeId('IDr', body, base);
      break;
    case PAYLOAD.CERT:
      p = decodeCert('CERT', body, base);
      break;
    case PAYLOAD.CERTREQ:
      p = decodeCert('CERTREQ', body, base);
      break;
    case PAYLOAD.AUTH:
      p = decodeAuth(body, base);
      break;
    case PAYLOAD.NONCE:
      p = decodeOpaque('NONCE', body);
      break;
    case PAYLOAD.N:
      p = decodeNotify(body, base);
      break;
    case PAYLOAD.D:
      p = decodeDelete(body, base);
      break;
    case PAYLOAD.V:
      p = decodeOpaque('V', body);
      break;
    case PAYLOAD.TSi:
      p = decodeTs('TSi', body, base);
      break;
    case PAYLOAD.TSr:
      p = decodeTs('TSr', body, base);
      break;
    case PAYLOAD.SK:
      p = decodeSk(next, body);
      break;
    case PAYLOAD.SKF:
      p = decodeSkf(next, body, base);
      break;
    case PAYLOAD.CP:
      p = decodeCp(body, base);
      break;
    case PAYLOAD.EAP:
      p = decodeOpaque('EAP', body);
      break;
    default:
      if (critical) {
        throw new IkeError('UNSUPPORTED_CRITICAL_PAYLOAD', `unknown critical payload type ${type}`, {
          offset: base - GENERIC_PAYLOAD_HEADER_LENGTH,
          notifyData: Uint8Array.of(type),
        });
      }
      return { kind: 'UNKNOWN', type, critical: false, data: body.slice() };
  }
  return critical ? { ...p, critical } : p;
}

/**
 * Decodes the chain starting with a payload of type `first` in `bytes[start, end)`. `base` is
 * the offset of `bytes[0]` in the whole message, so errors point at message offsets. With
 * `encrypted` set (the chain inside SK), another SK/SKF is a syntax error.
 */
export function decodePayloads(
  bytes: Uint8Array,
  start: number,
  end: number,
  first: number,
  opts: { base?: number; encrypted?: boolean } = {},
): Payload[] {
  const base = opts.base ?? 0;
  const v = dataView(bytes);
  const out: Payload[] = [];
  let type = first;
  let at = start;
  while (type !== PAYLOAD.NONE) {
    if (end - at < GENERIC_PAYLOAD_HEADER_LENGTH)
      throw syntaxError(`truncated header of payload ${type}`, base + at);
    const next = bytes[at]!;
    const critical = (bytes[at + 1]! & PAYLOAD_CRITICAL) !== 0;
    const len = v.getUint16(at + 2);
    if (len < GENERIC_PAYLOAD_HEADER_LENGTH || at + len > end) {
      throw syntaxError(`payload ${type} length ${len} does not fit the message`, base + at + 2);
    }
    const isSk = type === PAYLOAD.SK || type === PAYLOAD.SKF;
    if (isSk && opts.encrypted) throw syntaxError('Encrypted payload inside an Encrypted payload', base + at);
    if (isSk && at + len !== end) throw syntaxError('Encrypted payload is not the last payload', base + at);
    out.push(decodeBody(type, next, critical, bytes.subarray(at + 4, at + len), base + at + 4));
    at += len;
    if (isSk) return out;
    type = next;
  }
  if (at !== end) throw syntaxError(`${end - at} bytes after the last payload`, base + at);
  return out;
}

function encodeBody(p: Payload): Uint8Array {
  switch (p.kind) {
    case 'SA':
      return encodeSa(p);
    case 'KE':
      return encodeKe(p);
    case 'IDi':
    case 'IDr':
      return encodeId(p);
    case 'CERT':
    case 'CERTREQ':
      return encodeCert(p);
    case 'AUTH':
      return encodeAuth(p);
    case 'NONCE':
    case 'V':
    case 'EAP':
      return encodeOpaque(p);
    case 'N':
      return encodeNotify(p);
    case 'D':
      return encodeDelete(p);
    case 'TSi':
    case 'TSr':
      return encodeTs(p);
    case 'SK':
      return p.data;
    case 'SKF':
      return encodeSkf(p);
    case 'CP':
      return encodeCp(p);
    case 'UNKNOWN':
      return p.data;
  }
}

/** Encodes a payload chain; returns the type of its first payload and the bytes. */
export function encodePayloads(payloads: readonly Payload[]): { first: number; bytes: Uint8Array } {
  const bodies = payloads.map(encodeBody);
  let total = 0;
  for (const b of bodies) total += GENERIC_PAYLOAD_HEADER_LENGTH + b.length;
  const out = new Uint8Array(total);
  const v = dataView(out);
  let at = 0;
  payloads.forEach((p, i) => {
    const body = bodies[i]!;
    const len = GENERIC_PAYLOAD_HEADER_LENGTH + body.length;
    if (len > 0xffff)
      throw new IkeError('EINVAL', `payload ${p.kind} of ${len} bytes does not fit a 16-bit length`);
    const next =
      p.kind === 'SK' || p.kind === 'SKF'
        ? p.firstPayload
        : i + 1 < payloads.length
          ? payloadType(payloads[i + 1]!)
          : 0;
    out[at] = next;
    out[at + 1] = p.critical ? PAYLOAD_CRITICAL : 0;
    v.setUint16(at + 2, len);
    out.set(body, at + 4);
    at += len;
  });
  return { first: payloads.length ? payloadType(payloads[0]!) : PAYLOAD.NONE, bytes: out };
}
