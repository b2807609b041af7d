/**
 * The suite every CryptoProvider here passes: published vectors, the error contract (EINVAL for
 * bad arguments, EBADMSG for a failed ICV) and DH peer-value checks. native.test.ts and
 * portable.test.ts run it, so both providers answer to exactly the same cases.
 */
import type { CryptoProvider, DhGroup, HashAlgorithm } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import type { DhKeyImport } from './dh-groups.js';
import { CryptoError, type CryptoErrorCode } from './errors.js';
import { bigIntToBytes, MODP_2048_PRIME } from './modp.js';
import {
  type AeadVector,
  ascii,
  CHACHA_VECTORS,
  DH_VECTORS,
  FIPS180_ABC,
  GCM_SPEC_VECTORS,
  hex,
  RFC2202_HMAC_SHA1,
  RFC3566_XCBC,
  RFC4231_HMAC_SHA2,
  RFC4434_PRF,
  RFC7748_X25519_FUNCTION,
  SP800_38A_CBC,
  toHex,
} from './vectors.test-util.js';

export type TestedProvider = CryptoProvider & DhKeyImport;

/** Runs `fn` and checks it throws a CryptoError with `code` (and not, say, a TypeError). */
export function expectCryptoError(fn: () => unknown, code: CryptoErrorCode): CryptoError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
  expect((thrown as CryptoError).name).toBe('CryptoError');
  return thrown as CryptoError;
}

const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at < 0 ? c.length + at : at]! ^= 0x01;
  return c;
};

const HASH_LENGTHS: Readonly<Record<HashAlgorithm, number>> = {
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

type AeadName = 'aesGcm' | 'chacha20Poly1305';

function describeAead(
  p: TestedProvider,
  name: AeadName,
  vectors: readonly AeadVector[],
  keyLengths: number[],
) {
  const seal = (k: Uint8Array, n: Uint8Array, a: Uint8Array, d: Uint8Array) => p[`${name}Seal`](k, n, a, d);
  const open = (k: Uint8Array, n: Uint8Array, a: Uint8Array, d: Uint8Array) => p[`${name}Open`](k, n, a, d);

  for (const v of vectors) {
    it(`seals and opens ${v.name}`, () => {
      expect(toHex(seal(v.key, v.nonce, v.aad, v.plaintext))).toBe(toHex(v.sealed));
      expect(toHex(open(v.key, v.nonce, v.aad, v.sealed))).toBe(toHex(v.plaintext));
    });
  }

  const v = vectors.at(-1)!;
  it('refuses a flipped ciphertext bit, tag bit or AAD bit with EBADMSG', () => {
    expectCryptoError(() => open(v.key, v.nonce, v.aad, flip(v.sealed, 0)), 'EBADMSG');
    expectCryptoError(() => open(v.key, v.nonce, v.aad, flip(v.sealed, -1)), 'EBADMSG');
    expectCryptoError(() => open(v.key, v.nonce, flip(v.aad, 0), v.sealed), 'EBADMSG');
    expectCryptoError(() => open(v.key, flip(v.nonce, 11), v.aad, v.sealed), 'EBADMSG');
    expectCryptoError(() => open(flip(v.key, 0), v.nonce, v.aad, v.sealed), 'EBADMSG');
    expectCryptoError(() => open(v.key, v.nonce, v.aad, v.sealed.subarray(1)), 'EBADMSG');
  });

  it('seals and opens empty plaintext and AAD (the sealed data is the tag alone)', () => {
    const key = new Uint8Array(keyLengths[0]!).fill(7);
    const sealed = seal(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(0));
    expect(sealed.length).toBe(16);
    expect(open(key, new Uint8Array(12), new Uint8Array(0), sealed).length).toBe(0);
  });

  it('refuses bad keys, nonces and short sealed data with EINVAL', () => {
    const z = new Uint8Array(0);
    for (const len of [0, 15, 17, 31, 33]) {
      if (keyLengths.includes(len)) continue;
      expectCryptoError(() => seal(new Uint8Array(len), v.nonce, z, z), 'EINVAL');
      expectCryptoError(() => open(new Uint8Array(len), v.nonce, z, v.sealed), 'EINVAL');
    }
    for (const len of [0, 8, 11, 13, 16]) {
      expectCryptoError(() => seal(v.key, new Uint8Array(len), z, z), 'EINVAL');
      expectCryptoError(() => open(v.key, new Uint8Array(len), z, v.sealed), 'EINVAL');
    }
    expectCryptoError(() => open(v.key, v.nonce, v.aad, v.sealed.subarray(0, 15)), 'EINVAL');
    expectCryptoError(() => seal(v.key, v.nonce, undefined as never, z), 'EINVAL');
    expectCryptoError(() => seal(v.key, v.nonce, z, 'text' as never), 'EINVAL');
  });
}

export function describeProvider(p: TestedProvider): void {
  describe(`${p.name} provider`, () => {
    describe('hash', () => {
      for (const [alg, digest] of Object.entries(FIPS180_ABC)) {
        it(`${alg}("abc") matches FIPS 180-2`, () => {
          expect(toHex(p.hash(alg as HashAlgorithm, ascii('abc')))).toBe(toHex(digest));
        });
      }
      it('refuses an unknown algorithm with EINVAL', () => {
        expectCryptoError(() => p.hash('md5' as HashAlgorithm, ascii('abc')), 'EINVAL');
        expectCryptoError(() => p.hash('constructor' as HashAlgorithm, ascii('abc')), 'EINVAL');
      });
    });

    describe('HMAC', () => {
      for (const v of [...RFC2202_HMAC_SHA1, ...RFC4231_HMAC_SHA2]) {
        it(v.name, () => {
          const mac = p.hmac(v.alg, v.key, v.data);
          expect(mac.length).toBe(HASH_LENGTHS[v.alg]);
          expect(toHex(mac.subarray(0, v.mac.length))).toBe(toHex(v.mac));
        });
      }
      it('takes an empty key and empty data', () => {
        expect(p.hmac('sha256', new Uint8Array(0), new Uint8Array(0)).length).toBe(32);
      });
      it('refuses a key that is not bytes with EINVAL', () => {
        expectCryptoError(() => p.hmac('sha256', 'key' as never, new Uint8Array(1)), 'EINVAL');
      });
    });

    describe('AES-XCBC', () => {
      for (const v of RFC3566_XCBC) {
        it(v.name, () => {
          expect(toHex(p.aesXcbc(v.key, v.data))).toBe(toHex(v.mac));
        });
      }
      for (const v of RFC4434_PRF) {
        it(`AES-XCBC-PRF-128, ${v.name}`, () => {
          expect(toHex(p.aesXcbc(v.key, v.data, true))).toBe(toHex(v.output));
        });
      }
      it('takes any key length in PRF mode, including empty', () => {
        // RFC 4434: an empty key is padded to sixteen zero bytes.
        expect(toHex(p.aesXcbc(new Uint8Array(0), ascii('x'), true))).toBe(
          toHex(p.aesXcbc(new Uint8Array(16), ascii('x'))),
        );
      });
      it('refuses a key other than 16 bytes as a MAC with EINVAL', () => {
        for (const len of [0, 10, 15, 17, 32]) {
          expectCryptoError(() => p.aesXcbc(new Uint8Array(len), new Uint8Array(3)), 'EINVAL');
        }
      });
    });

    describe('AES-CBC', () => {
      for (const v of SP800_38A_CBC) {
        it(`${v.name} encrypts and decrypts`, () => {
          expect(toHex(p.aesCbcEncrypt(v.key, v.iv, v.plaintext))).toBe(toHex(v.ciphertext));
          expect(toHex(p.aesCbcDecrypt(v.key, v.iv, v.ciphertext))).toBe(toHex(v.plaintext));
        });
      }
      it('adds no padding: 0 bytes in, 0 bytes out', () => {
        const v = SP800_38A_CBC[0]!;
        expect(p.aesCbcEncrypt(v.key, v.iv, new Uint8Array(0)).length).toBe(0);
        expect(p.aesCbcDecrypt(v.key, v.iv, new Uint8Array(0)).length).toBe(0);
      });
      it('refuses partial blocks, bad keys and bad IVs with EINVAL', () => {
        const v = SP800_38A_CBC[0]!;
        for (const op of [p.aesCbcEncrypt.bind(p), p.aesCbcDecrypt.bind(p)]) {
          expectCryptoError(() => op(v.key, v.iv, new Uint8Array(15)), 'EINVAL');
          expectCryptoError(() => op(v.key, v.iv, new Uint8Array(33)), 'EINVAL');
          expectCryptoError(() => op(new Uint8Array(20), v.iv, new Uint8Array(16)), 'EINVAL');
          expectCryptoError(() => op(v.key, new Uint8Array(12), new Uint8Array(16)), 'EINVAL');
        }
      });
    });

    describe('AES-GCM', () => describeAead(p, 'aesGcm', GCM_SPEC_VECTORS, [16, 24, 32]));
    describe('ChaCha20-Poly1305', () => describeAead(p, 'chacha20Poly1305', CHACHA_VECTORS, [32]));

    describe('Diffie-Hellman', () => {
      for (const v of DH_VECTORS) {
        it(`${v.name}: public values and g^ir in IKEv2 encoding`, () => {
          const i = p.dhFromPrivateKey(v.group, v.privateI);
          const r = p.dhFromPrivateKey(v.group, v.privateR);
          expect(i.group).toBe(v.group);
          expect(toHex(i.publicKey)).toBe(toHex(v.publicI));
          expect(toHex(r.publicKey)).toBe(toHex(v.publicR));
          expect(toHex(i.computeSecret(v.publicR))).toBe(toHex(v.secret));
          expect(toHex(r.computeSecret(v.publicI))).toBe(toHex(v.secret));
        });
      }

      it('RFC 7748 5.2 X25519 of an arbitrary u-coordinate', () => {
        const { scalar, u, output } = RFC7748_X25519_FUNCTION;
        expect(toHex(p.dhFromPrivateKey(31, scalar).computeSecret(u))).toBe(toHex(output));
      });

      it('MODP-2048: 2^2 = 4, and 2^q = 1 since 2 generates the order-q subgroup (RFC 3526)', () => {
        expect(toHex(p.dhFromPrivateKey(14, Uint8Array.of(2)).publicKey)).toBe(toHex(bigIntToBytes(4n, 256)));
        const q = bigIntToBytes((MODP_2048_PRIME - 1n) / 2n, 256);
        expect(toHex(p.dhFromPrivateKey(14, q).publicKey)).toBe(toHex(bigIntToBytes(1n, 256)));
      });

      for (const group of [14, 19, 20, 31] as const) {
        it(`group ${group}: two fresh key pairs agree, with the RFC sizes`, () => {
          const a = p.dh(group);
          const b = p.dh(group);
          const sizes = { 14: [256, 256], 19: [64, 32], 20: [96, 48], 31: [32, 32] }[group];
          expect(a.publicKey.length).toBe(sizes[0]);
          expect(toHex(a.publicKey)).not.toBe(toHex(b.publicKey));
          const s = a.computeSecret(b.publicKey);
          expect(s.length).toBe(sizes[1]);
          expect(toHex(s)).toBe(toHex(b.computeSecret(a.publicKey)));
        });
      }

      it('refuses MODP peer values outside 1 < y < p-1, or not 256 bytes, with EINVAL', () => {
        const a = p.dhFromPrivateKey(14, Uint8Array.of(5));
        for (const y of [0n, 1n, MODP_2048_PRIME - 1n, MODP_2048_PRIME, 2n ** 2048n - 1n]) {
          expectCryptoError(() => a.computeSecret(bigIntToBytes(y, 256)), 'EINVAL');
        }
        expectCryptoError(() => a.computeSecret(bigIntToBytes(4n, 255)), 'EINVAL');
        expectCryptoError(() => a.computeSecret(bigIntToBytes(4n, 257)), 'EINVAL');
        expect(a.computeSecret(bigIntToBytes(2n, 256)).length).toBe(256);
      });

      it('refuses ECP peer values off the curve, with a 0x04 prefix, or all zero, with EINVAL', () => {
        for (const v of DH_VECTORS.filter((d) => d.group !== 31)) {
          const i = p.dhFromPrivateKey(v.group, v.privateI);
          expectCryptoError(() => i.computeSecret(flip(v.publicR, -1)), 'EINVAL');
          expectCryptoError(() => i.computeSecret(new Uint8Array(v.publicR.length)), 'EINVAL');
          expectCryptoError(() => i.computeSecret(new Uint8Array(v.publicR.length).fill(0xff)), 'EINVAL');
          const sec1 = new Uint8Array(v.publicR.length + 1);
          sec1.set(v.publicR, 1);
          sec1[0] = 0x04;
          expectCryptoError(() => i.computeSecret(sec1), 'EINVAL');
          expectCryptoError(() => i.computeSecret(v.publicR.subarray(1)), 'EINVAL');
        }
      });

      it('refuses X25519 low-order peer values (all-zero g^ir) and wrong lengths with EINVAL', () => {
        const a = p.dhFromPrivateKey(31, DH_VECTORS[2]!.privateI);
        const lowOrder = [
          new Uint8Array(32), // u = 0
          hex('0100000000000000000000000000000000000000000000000000000000000000'), // u = 1
          hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // u = p-1
          hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'), // order 8
        ];
        for (const u of lowOrder) expectCryptoError(() => a.computeSecret(u), 'EINVAL');
        expectCryptoError(() => a.computeSecret(new Uint8Array(31).fill(9)), 'EINVAL');
        expectCryptoError(() => a.computeSecret(new Uint8Array(33).fill(9)), 'EINVAL');
      });

      it('refuses unknown groups and bad private values with EINVAL', () => {
        expectCryptoError(() => p.dh(2 as DhGroup), 'EINVAL');
        expectCryptoError(() => p.dh('14' as never), 'EINVAL');
        expectCryptoError(() => p.dhFromPrivateKey(19, new Uint8Array(32)), 'EINVAL');
        expectCryptoError(() => p.dhFromPrivateKey(19, new Uint8Array(31).fill(1)), 'EINVAL');
        expectCryptoError(() => p.dhFromPrivateKey(20, new Uint8Array(48).fill(0xff)), 'EINVAL');
        expectCryptoError(() => p.dhFromPrivateKey(31, new Uint8Array(31)), 'EINVAL');
        expectCryptoError(() => p.dhFromPrivateKey(14, Uint8Array.of(1)), 'EINVAL');
        expectCryptoError(() => p.dhFromPrivateKey(14, new Uint8Array(257).fill(1)), 'EINVAL');
      });
    });

    describe('randomBytes', () => {
      it('gives the asked length, different each time, beyond the 64 KiB getRandomValues quota', () => {
        expect(p.randomBytes(0).length).toBe(0);
        expect(toHex(p.randomBytes(32))).not.toBe(toHex(p.randomBytes(32)));
        const big = p.randomBytes(70_000);
        expect(big.length).toBe(70_000);
        expect(big.subarray(65_536).some((b) => b !== 0)).toBe(true);
      });
      it('never hands out the same bytes twice, call after call, small and large', () => {
        // The native provider serves small requests from a pool: cross its refills, mix sizes.
        const seen = new Set<string>();
        for (let i = 0; i < 600; i++) {
          const r = p.randomBytes(i % 3 === 0 ? 32 : i % 3 === 1 ? 8 : 300);
          expect(r.length).toBe(i % 3 === 0 ? 32 : i % 3 === 1 ? 8 : 300);
          const h = toHex(r);
          expect(seen.has(h)).toBe(false);
          seen.add(h);
        }
        // What a caller does with its bytes does not reach the next caller's.
        const a = p.randomBytes(16);
        a.fill(0);
        expect(p.randomBytes(16).some((b) => b !== 0)).toBe(true);
      });
      it('refuses negative and fractional lengths with EINVAL', () => {
        for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          expectCryptoError(() => p.randomBytes(n), 'EINVAL');
        }
      });
    });

    it('returns plain Uint8Arrays, never node Buffers', () => {
      const v = SP800_38A_CBC[0]!;
      for (const out of [
        p.hash('sha256', v.key),
        p.hmac('sha256', v.key, v.key),
        p.aesCbcEncrypt(v.key, v.iv, v.plaintext),
        p.aesGcmSeal(v.key, new Uint8Array(12), v.key, v.key),
        p.randomBytes(4),
        p.dh(31).publicKey,
      ]) {
        expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
      }
    });
  });
}
