/**
 * Payloads whose body is one opaque field: Nonce (RFC 7296 section 3.9), Vendor ID (3.12) and
 * EAP (3.16; the EAP message itself is the business of an EAP method, not of this codec).
 */
import type { EapPayload, NoncePayload, VendorPayload } from './types.js';

export function decodeOpaque<K extends 'NONCE' | 'V' | 'EAP'>(
  kind: K,
  body: Uint8Array,
): Extract<NoncePayload | VendorPayload | EapPayload, { kind: K }> {
  return { kind, data: body.slice() } as Extract<NoncePayload | VendorPayload | EapPayload, { kind: K }>;
}

export function encodeOpaque(p: NoncePayload | VendorPayload | EapPayload): Uint8Array {
  return p.data;
}
