/**
 * Identification payloads IDi/IDr (RFC 7296 section 3.5). The body (type, three reserved octets,
 * data) is what MACedIDFor[I|R] covers in AUTH (section 2.15), so `encodeId` is also used there.
 */
import { syntaxError } from '../errors.js';
import type { IdPayload } from './types.js';

export function decodeId(kind: 'IDi' | 'IDr', body: Uint8Array, base: number): IdPayload {
  if (body.length < 4) throw syntaxError('truncated ID payload', base);
  return { kind, idType: body[0]!, data: body.slice(4) };
}

export function encodeId(p: Pick<IdPayload, 'idType' | 'data'>): Uint8Array {
  const out = new Uint8Array(4 + p.data.length);
  out[0] = p.idType;
  out.set(p.data, 4);
  return out;
}
