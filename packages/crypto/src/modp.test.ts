import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError } from './describe-provider.test-util.js';
import {
  bigIntToBytes,
  bigintModpKeyPair,
  bytesToBigInt,
  checkModpPublic,
  MODP_2048_PRIME,
  MODP_PRIVATE_BYTES,
  modPow,
} from './modp.js';
import { toHex } from './vectors.test-util.js';

describe('MODP-2048 arithmetic', () => {
  it('the prime is 2048 bits and starts and ends with 64 one bits (RFC 3526 section 3)', () => {
    expect(MODP_2048_PRIME.toString(2)).toHaveLength(2048);
    expect(MODP_2048_PRIME >> 1984n).toBe(2n ** 64n - 1n);
    expect(MODP_2048_PRIME & (2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
  });

  it('modPow agrees with repeated multiplication and with the exponent laws', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10_000n }), fc.integer({ min: 0, max: 40 }), (b, e) => {
        let slow = 1n;
        for (let i = 0; i < e; i++) slow = (slow * b) % 1_000_003n;
        expect(modPow(b, BigInt(e), 1_000_003n)).toBe(slow);
      }),
    );
    const x = 0x1234567890abcdefn;
    const y = 0xfedcba0987654321n;
    expect(modPow(modPow(2n, x, MODP_2048_PRIME), y, MODP_2048_PRIME)).toBe(
      modPow(2n, x * y, MODP_2048_PRIME),
    );
  });

  it('bytes and bigints round-trip, left-padded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (b) => {
        expect(toHex(bigIntToBytes(bytesToBigInt(b), b.length))).toBe(toHex(b));
      }),
    );
    expect(toHex(bigIntToBytes(0x0102n, 4))).toBe('00000102');
  });

  it('checkModpPublic takes 2 and p-2, and nothing outside', () => {
    expect(checkModpPublic(bigIntToBytes(2n, 256))).toBe(2n);
    expect(checkModpPublic(bigIntToBytes(MODP_2048_PRIME - 2n, 256))).toBe(MODP_2048_PRIME - 2n);
    expectCryptoError(() => checkModpPublic(bigIntToBytes(MODP_2048_PRIME - 1n, 256)), 'EINVAL');
    expectCryptoError(() => checkModpPublic(null), 'EINVAL');
  });

  it('uses a private exponent of MODP_PRIVATE_BYTES from the given random source', () => {
    const asked: number[] = [];
    const pair = bigintModpKeyPair((n) => {
      asked.push(n);
      return new Uint8Array(n).fill(3);
    });
    expect(asked).toEqual([MODP_PRIVATE_BYTES]);
    const x = bytesToBigInt(new Uint8Array(MODP_PRIVATE_BYTES).fill(3));
    expect(toHex(pair.publicKey)).toBe(toHex(bigIntToBytes(modPow(2n, x, MODP_2048_PRIME), 256)));
  });

  it('draws again when the random source gives an exponent below 2', () => {
    let calls = 0;
    const pair = bigintModpKeyPair((n) => {
      calls++;
      const b = new Uint8Array(n);
      b[n - 1] = calls === 1 ? 1 : 2;
      return b;
    });
    expect(calls).toBe(2);
    expect(toHex(pair.publicKey)).toBe(toHex(bigIntToBytes(4n, 256)));
  });
});
