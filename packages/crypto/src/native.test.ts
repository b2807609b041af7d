import { getDiffieHellman } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeProvider } from './describe-provider.test-util.js';
import { bigIntToBytes, MODP_2048_PRIME } from './modp.js';
import { hasNodeCrypto, NativeCryptoProvider } from './native.js';
import { toHex } from './vectors.test-util.js';

describeProvider(new NativeCryptoProvider());

it('uses the same RFC 3526 prime as OpenSSL modp14', () => {
  expect(toHex(bigIntToBytes(MODP_2048_PRIME, 256))).toBe(getDiffieHellman('modp14').getPrime('hex'));
});

it('finds node:crypto on Node', () => {
  expect(hasNodeCrypto()).toBe(true);
});
