/** Authentication payload (RFC 7296 section 3.8): Auth Method, three reserved octets, data. */
import { syntaxError } from '../errors.js';
import type { AuthPayload } from './types.js';

export function decodeAuth(body: Uint8Array, base: number): AuthPayload {
  if (body.length < 4) throw syntaxError('truncated AUTH payload', base);
  return { kind: 'AUTH', method: body[0]!, data: body.slice(4) };
}

export function encodeAuth(p: AuthPayload): Uint8Array {
  const out = new Uint8Array(4 + p.data.length);
  out[0] = p.method;
  out.set(p.data, 4);
  return out;
}
