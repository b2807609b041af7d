/** Certificate and Certificate Request payloads (RFC 7296 sections 3.6 and 3.7): encoding octet, data. */
import { syntaxError } from '../errors.js';
import type { CertPayload } from './types.js';

export function decodeCert(kind: 'CERT' | 'CERTREQ', body: Uint8Array, base: number): CertPayload {
  if (body.length < 1) throw syntaxError(`empty ${kind} payload`, base);
  return { kind, encoding: body[0]!, data: body.slice(1) };
}

export function encodeCert(p: CertPayload): Uint8Array {
  const out = new Uint8Array(1 + p.data.length);
  out[0] = p.encoding;
  out.set(p.data, 1);
  return out;
}
