import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeProvider } from './describe-provider.test-util.js';
import { bigIntToBytes, MODP_2048_PRIME } from './modp.js';
import { hasNodeCrypto, NativeCryptoProvider } from './native.js';
import { toHex } from './vectors.test-util.js';

// The default engine: the OpenSSL addon where it is built (openssl-engine.test.ts checks that it is).
describeProvider(new NativeCryptoProvider());
describe('with the node:crypto engine', () => {
  describeProvider(new NativeCryptoProvider({ engine: 'node:crypto' }));
});

it('uses the same RFC 3526 prime as OpenSSL modp14', () => {
  expect(toHex(bigIntToBytes(MODP_2048_PRIME, 256))).toBe(getDiffieHellman('modp14').getPrime('hex'));
});

it('finds node:crypto on Node', () => {
  expect(hasNodeCrypto()).toBe(true);
});

it('AEAD keys changed in place are never used stale (keys are cached as KeyObjects per array)', () => {
  const p = new NativeCryptoProvider();
  const key = new Uint8Array(16).fill(1);
  const nonce = new Uint8Array(12);
  const pt = Uint8Array.of(1, 2, 3, 4);
  const first = p.aesGcmSeal(key, nonce, new Uint8Array(0), pt);
  key.fill(2);
  const second = p.aesGcmSeal(key, nonce, new Uint8Array(0), pt);
  expect(toHex(second)).not.toBe(toHex(first));
  expect(toHex(second)).toBe(toHex(p.aesGcmSeal(new Uint8Array(16).fill(2), nonce, new Uint8Array(0), pt)));
  expect(() => p.aesGcmOpen(key, nonce, new Uint8Array(0), first)).toThrow(/ICV/);
  expect(p.aesGcmOpen(key, nonce, new Uint8Array(0), second)).toEqual(pt);
});
