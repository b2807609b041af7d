/**
 * The AES-CBC and HMAC contexts of every engine: the OpenSSL addon's (where built; under CI it must be),
 * and the generic ones on node:crypto and noble. Published vectors in place, random inputs agreeing with
 * the providers' allocating calls, and the error contract.
 */
import type { HashAlgorithm } from '@mip6sec/core';
import { opensslAddon } from '@mip6sec/crypto-openssl';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CbcContext,
  cbcContext,
  type HmacContext,
  hmacContext,
  ProviderCbcContext,
  ProviderHmacContext,
} from './cbc-hmac-context.js';
import { expectCryptoError } from './describe-provider.test-util.js';
import { NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';
import { RFC2202_HMAC_SHA1, RFC4231_HMAC_SHA2, SP800_38A_CBC, toHex } from './vectors.test-util.js';

const portable = new PortableCryptoProvider();
const nodeEngine = new NativeCryptoProvider({ engine: 'node:crypto' });
const addonEngine = opensslAddon().available
  ? new NativeCryptoProvider({ engine: 'openssl-addon' })
  : undefined;

const engines = [
  ...(addonEngine ? [['openssl-addon', addonEngine] as const] : []),
  ['node:crypto', nodeEngine] as const,
  ['portable', portable] as const,
];

describe('engine of the contexts', () => {
  it('the addon engine hands out OpenSSL contexts (fails under CI when the addon did not build)', ({
    skip,
  }) => {
    const s = opensslAddon();
    if (!s.available) {
      const ci = process.env.CI;
      if (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false')
        throw new Error(`the OpenSSL addon must be built under CI: ${s.reason}`);
      skip(`OpenSSL addon not available (CI=true makes this a failure): ${s.reason}`);
    }
    const p = new NativeCryptoProvider();
    expect(p.cbcContext(new Uint8Array(16)).engine).toBe('openssl-addon');
    expect(p.hmacContext('sha256', new Uint8Array(32)).engine).toBe('openssl-addon');
  });

  it('node:crypto and other providers get the generic contexts', () => {
    expect(nodeEngine.cbcContext(new Uint8Array(16))).toBeInstanceOf(ProviderCbcContext);
    expect(nodeEngine.hmacContext('sha1', new Uint8Array(20))).toBeInstanceOf(ProviderHmacContext);
    expect(cbcContext(portable, new Uint8Array(32)).engine).toBe('portable');
    expect(hmacContext(portable, 'sha512', new Uint8Array(1)).engine).toBe('portable');
  });
});

for (const [label, p] of engines) {
  describe(`contexts on ${label}`, () => {
    for (const v of SP800_38A_CBC) {
      it(`AES-CBC ${v.name}, in place at an offset`, () => {
        const ctx: CbcContext = cbcContext(p, v.key);
        const buf = new Uint8Array(3 + v.plaintext.length + 5);
        buf.set(v.plaintext, 3);
        ctx.encrypt(v.iv, buf, 3, v.plaintext.length);
        expect(toHex(buf.subarray(3, 3 + v.plaintext.length))).toBe(toHex(v.ciphertext));
        ctx.decrypt(v.iv, buf, 3, v.plaintext.length);
        expect(toHex(buf.subarray(3, 3 + v.plaintext.length))).toBe(toHex(v.plaintext));
      });
    }

    for (const v of [...RFC2202_HMAC_SHA1, ...RFC4231_HMAC_SHA2]) {
      it(`HMAC ${v.name}, with the data split into range and tail`, () => {
        const ctx: HmacContext = hmacContext(p, v.alg, v.key);
        const cut = Math.floor(v.data.length / 2);
        const buf = new Uint8Array(cut + 4);
        buf.set(v.data.subarray(0, cut), 2);
        const mac = ctx.digest(buf, 2, cut, v.data.subarray(cut));
        expect(toHex(mac.subarray(0, v.mac.length))).toBe(toHex(v.mac));
        // Again on the same context: every message starts from the key.
        expect(toHex(ctx.digest(v.data, 0, v.data.length).subarray(0, v.mac.length))).toBe(toHex(v.mac));
      });
    }

    it('bad keys, IVs, hashes and ranges are CryptoError EINVAL', () => {
      for (const n of [0, 15, 20]) expectCryptoError(() => cbcContext(p, new Uint8Array(n)), 'EINVAL');
      expectCryptoError(() => hmacContext(p, 'md5' as HashAlgorithm, new Uint8Array(16)), 'EINVAL');
      expectCryptoError(() => hmacContext(p, 'sha1', 'key' as never), 'EINVAL');
      const cbc = cbcContext(p, new Uint8Array(16));
      const buf = new Uint8Array(32);
      expectCryptoError(() => cbc.encrypt(new Uint8Array(8), buf, 0, 16), 'EINVAL');
      expectCryptoError(() => cbc.encrypt(new Uint8Array(16), buf, 0, 15), 'EINVAL');
      expectCryptoError(() => cbc.decrypt(new Uint8Array(16), buf, 16, 32), 'EINVAL');
      const mac = hmacContext(p, 'sha256', new Uint8Array(32));
      expectCryptoError(() => mac.digest(buf, 30, 3), 'EINVAL');
      expectCryptoError(() => mac.digest(buf, -1, 3), 'EINVAL');
    });
  });
}

it('every engine agrees with the allocating calls on random input', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.nat(6).chain((n) => fc.uint8Array({ minLength: 16 * n, maxLength: 16 * n })),
      fc.constantFrom<HashAlgorithm>('sha1', 'sha256', 'sha384', 'sha512'),
      fc.uint8Array({ maxLength: 100 }),
      fc.uint8Array({ maxLength: 4 }),
      (key, iv, data, hash, macKey, tail) => {
        const ct = toHex(nodeEngine.aesCbcEncrypt(key, iv, data));
        const mac = toHex(nodeEngine.hmac(hash, macKey, new Uint8Array([...data, ...tail])));
        for (const [, p] of engines) {
          const buf = Uint8Array.from(data);
          cbcContext(p, key).encrypt(iv, buf, 0, buf.length);
          expect(toHex(buf)).toBe(ct);
          expect(toHex(hmacContext(p, hash, macKey).digest(data, 0, data.length, tail))).toBe(mac);
        }
      },
    ),
    { numRuns: 80 },
  );
});
