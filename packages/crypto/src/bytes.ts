/**
 * Byte helpers shared by both providers and the argument checks every public entry point runs
 * first, so bad input turns into CryptoError('EINVAL') before any cipher state is made.
 */
import { CryptoError } from './errors.js';

/** Throws EINVAL unless `value` is a Uint8Array (a Buffer is one) of one of `lengths` bytes. */
export function checkBytes(what: string, value: unknown, lengths?: readonly number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CryptoError('EINVAL', `${what} must be a Uint8Array`);
  if (lengths && !lengths.includes(value.length)) {
    throw new CryptoError('EINVAL', `${what} must be ${lengths.join(' or ')} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws EINVAL unless `value` is a Uint8Array whose length is a multiple of `block`. */
export function checkBlocks(what: string, value: unknown, block: number): Uint8Array {
  const bytes = checkBytes(what, value);
  if (bytes.length % block !== 0) {
    throw new CryptoError('EINVAL', `${what} must be a multiple of ${block} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** AES-GCM and ChaCha20-Poly1305 both append a 16-byte tag (RFC 4106 ICV 16, RFC 7634). */
export const AEAD_TAG_LENGTH = 16;

/** Throws EINVAL unless `sealed` can hold at least the tag. */
export function checkSealed(value: unknown): Uint8Array {
  const bytes = checkBytes('sealed data', value);
  if (bytes.length < AEAD_TAG_LENGTH) {
    throw new CryptoError(
      'EINVAL',
      `sealed data must hold a ${AEAD_TAG_LENGTH}-byte tag, got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

/** A copy in a new Uint8Array (a Buffer's `slice` would be a view of the same bytes). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Compares in time that depends only on the lengths, so an ICV check leaks no matching prefix. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** Left-pads a big-endian value with zeros to `length` bytes (IKEv2 MODP encoding, RFC 7296 3.4); never truncates. */
export function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}
