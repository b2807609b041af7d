/** Key Exchange payload (RFC 7296 section 3.4): DH group number, two reserved octets, KE data. */
import { setU16, u16At } from '../bytes.js';
import { syntaxError } from '../errors.js';
import type { KePayload } from './types.js';

export function decodeKe(body: Uint8Array, base: number): KePayload {
  if (body.length < 4) throw syntaxError('truncated KE payload', base);
  return { kind: 'KE', group: u16At(body, 0), data: body.slice(4) };
}

export function encodeKe(p: KePayload): Uint8Array {
  const out = new Uint8Array(4 + p.data.length);
  setU16(out, 0, p.group);
  out.set(p.data, 4);
  return out;
}
