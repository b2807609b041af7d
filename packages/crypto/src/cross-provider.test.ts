/**
 * Native and portable must be interchangeable byte for byte: random inputs give identical
 * outputs, each opens what the other sealed, and DH key pairs from one agree with the other.
 * Run counts are bounded so the file stays within a few seconds (MODP in bigint is the slow part).
 */
import type { DhGroup, HashAlgorithm } from '@mip6sec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError } from './describe-provider.test-util.js';
import { CryptoError } from './errors.js';
import { NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';
import { toHex } from './vectors.test-util.js';

const native = new NativeCryptoProvider();
const portable = new PortableCryptoProvider();
const PAIRS = [
  [native, portable],
  [portable, native],
] as const;

const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const exact = (n: number) => bytes(n, n);
const hashAlg = fc.constantFrom<HashAlgorithm>('sha1', 'sha256', 'sha384', 'sha512');
const aesKey = fc.constantFrom(16, 24, 32).chain(exact);
const blocks = fc.integer({ min: 0, max: 8 }).chain((n) => exact(16 * n));
const RUNS = { numRuns: 150 };

/** The outcome of a call as comparable text: the output hex, or the error code. */
function outcome(fn: () => Uint8Array): string {
  try {
    return toHex(fn());
  } catch (e) {
    if (e instanceof CryptoError) return `error ${e.code}`;
    throw e;
  }
}

describe('native and portable give identical output', () => {
  it('hash and HMAC', () => {
    fc.assert(
      fc.property(hashAlg, bytes(0, 200), bytes(0, 300), (alg, key, data) => {
        expect(toHex(portable.hash(alg, data))).toBe(toHex(native.hash(alg, data)));
        expect(toHex(portable.hmac(alg, key, data))).toBe(toHex(native.hmac(alg, key, data)));
      }),
      RUNS,
    );
  });

  it('AES-XCBC as a MAC (16-byte key) and as the RFC 4434 PRF (any key)', () => {
    fc.assert(
      fc.property(exact(16), bytes(0, 40), bytes(0, 100), (key, prfKey, data) => {
        expect(toHex(portable.aesXcbc(key, data))).toBe(toHex(native.aesXcbc(key, data)));
        expect(toHex(portable.aesXcbc(prfKey, data, true))).toBe(toHex(native.aesXcbc(prfKey, data, true)));
      }),
      RUNS,
    );
  });

  it('AES-CBC encrypts alike and each decrypts the other', () => {
    fc.assert(
      fc.property(aesKey, exact(16), blocks, (key, iv, data) => {
        const c = native.aesCbcEncrypt(key, iv, data);
        expect(toHex(portable.aesCbcEncrypt(key, iv, data))).toBe(toHex(c));
        expect(toHex(portable.aesCbcDecrypt(key, iv, c))).toBe(toHex(data));
        expect(toHex(native.aesCbcDecrypt(key, iv, c))).toBe(toHex(data));
      }),
      RUNS,
    );
  });

  for (const [name, keys] of [
    ['aesGcm', aesKey],
    ['chacha20Poly1305', exact(32)],
  ] as const) {
    it(`${name}: seal alike, open across providers, any flipped bit gives EBADMSG from both`, () => {
      fc.assert(
        fc.property(keys, exact(12), bytes(0, 40), bytes(0, 200), fc.nat(), (key, nonce, aad, pt, bit) => {
          const sealed = native[`${name}Seal`](key, nonce, aad, pt);
          expect(toHex(portable[`${name}Seal`](key, nonce, aad, pt))).toBe(toHex(sealed));
          for (const [a, b] of PAIRS) {
            expect(toHex(b[`${name}Open`](key, nonce, aad, a[`${name}Seal`](key, nonce, aad, pt)))).toBe(
              toHex(pt),
            );
          }
          const tampered = sealed.slice();
          const at = bit % (tampered.length * 8);
          tampered[at >> 3]! ^= 1 << (at & 7);
          for (const p of [native, portable]) {
            expectCryptoError(() => p[`${name}Open`](key, nonce, aad, tampered), 'EBADMSG');
          }
        }),
        RUNS,
      );
    });
  }

  it('both refuse the same malformed arguments with the same code', () => {
    fc.assert(
      fc.property(bytes(0, 40), bytes(0, 20), bytes(0, 40), (key, nonce, data) => {
        const ops: [string, (p: NativeCryptoProvider | PortableCryptoProvider) => Uint8Array][] = [
          ['cbc', (p) => p.aesCbcEncrypt(key, nonce, data)],
          ['gcm', (p) => p.aesGcmSeal(key, nonce, data, data)],
          ['gcm-open', (p) => p.aesGcmOpen(key, nonce, data, data)],
          ['chacha', (p) => p.chacha20Poly1305Seal(key, nonce, data, data)],
          ['xcbc', (p) => p.aesXcbc(key, data)],
        ];
        for (const [, op] of ops) expect(outcome(() => op(portable))).toBe(outcome(() => op(native)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('Diffie-Hellman across providers', () => {
  const runs: Record<DhGroup, number> = { 14: 3, 19: 20, 20: 10, 31: 30 };
  for (const group of [14, 19, 20, 31] as const) {
    it(`group ${group}: a native and a portable key pair reach the same g^ir`, () => {
      for (let i = 0; i < runs[group]; i++) {
        for (const [a, b] of PAIRS) {
          const x = a.dh(group);
          const y = b.dh(group);
          expect(toHex(x.computeSecret(y.publicKey))).toBe(toHex(y.computeSecret(x.publicKey)));
        }
      }
    });
  }

  it('the same private value gives the same public value in both', () => {
    for (const group of [19, 20, 31] as const) {
      for (let i = 0; i < 10; i++) {
        const priv = randomScalar(group);
        expect(toHex(portable.dhFromPrivateKey(group, priv).publicKey)).toBe(
          toHex(native.dhFromPrivateKey(group, priv).publicKey),
        );
      }
    }
    const x = portable.randomBytes(32);
    x[0]! |= 0x80;
    expect(toHex(portable.dhFromPrivateKey(14, x).publicKey)).toBe(
      toHex(native.dhFromPrivateKey(14, x).publicKey),
    );
  });

  it('X25519: any 32-byte peer value gives the same secret or the same refusal', () => {
    const me = portable.randomBytes(32);
    const [n, p] = [native.dhFromPrivateKey(31, me), portable.dhFromPrivateKey(31, me)];
    fc.assert(
      fc.property(exact(32), (u) => {
        expect(outcome(() => p.computeSecret(u))).toBe(outcome(() => n.computeSecret(u)));
      }),
      RUNS,
    );
  });

  it('ECP: random bytes of the right length are refused by both (not a curve point)', () => {
    for (const [group, len] of [
      [19, 64],
      [20, 96],
    ] as const) {
      const [n, p] = [native.dh(group), portable.dh(group)];
      fc.assert(
        fc.property(exact(len), (xy) => {
          expect(outcome(() => p.computeSecret(xy))).toBe(outcome(() => n.computeSecret(xy)));
        }),
        { numRuns: 50 },
      );
    }
  });
});

/** A random private value valid for the group. */
function randomScalar(group: 19 | 20 | 31): Uint8Array {
  const len = { 19: 32, 20: 48, 31: 32 }[group];
  for (;;) {
    const k = portable.randomBytes(len);
    // Top byte below 0xff keeps an ECP scalar under the group order n (n starts with 0xff..ff).
    if (group === 31 || k[0]! < 0xff) return k;
  }
}
