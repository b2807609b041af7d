/**
 * The Encrypted payload SK (RFC 7296 section 3.14) and its fragment SKF (RFC 7383 section 2.5)
 * as sealed bytes. Sealing and opening live in crypto/sk-cipher.ts; the codec only frames them.
 */
import { dataView } from '../bytes.js';
import { syntaxError } from '../errors.js';
import type { SkfPayload, SkPayload } from './types.js';

export function decodeSk(firstPayload: number, body: Uint8Array): SkPayload {
  return { kind: 'SK', firstPayload, data: body.slice() };
}

export function decodeSkf(firstPayload: number, body: Uint8Array, base: number): SkfPayload {
  if (body.length < 4) throw syntaxError('truncated SKF payload', base);
  const v = dataView(body);
  const fragment = v.getUint16(0);
  const total = v.getUint16(2);
  // RFC 7383 section 2.5: numbering starts at 1 and a fragment number above the total is invalid.
  if (fragment === 0 || total === 0 || fragment > total) {
    throw syntaxError(`bad SKF numbering ${fragment}/${total}`, base);
  }
  return { kind: 'SKF', firstPayload, fragment, total, data: body.slice(4) };
}

export function encodeSkf(p: SkfPayload): Uint8Array {
  const out = new Uint8Array(4 + p.data.length);
  const v = dataView(out);
  v.setUint16(0, p.fragment);
  v.setUint16(2, p.total);
  out.set(p.data, 4);
  return out;
}
