/**
 * The native provider's AEAD engines: the OpenSSL addon (default where it is built) and node:crypto,
 * and the in-place contexts every provider hands out. Published vectors through every engine, random
 * inputs agreeing across engines and providers, the error contract, and the fallback when the addon is
 * missing. Under CI the addon must be there (the build makes it); elsewhere its tests skip with the reason.
 */
import { opensslAddon } from '@mip6sec/crypto-openssl';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type AeadAlgorithm, type AeadContext, aeadContext, ProviderAeadContext } from './aead-context.js';
import { expectCryptoError } from './describe-provider.test-util.js';
import { NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';
import { type AeadVector, CHACHA_VECTORS, GCM_SPEC_VECTORS, toHex } from './vectors.test-util.js';

function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** Fails under CI, skips with the reason elsewhere, when the addon is not built. */
function requireAddon(skip: (note: string) => void): void {
  const s = opensslAddon();
  if (s.available) return;
  if (inCi()) throw new Error(`the OpenSSL addon must be built under CI: ${s.reason}`);
  skip(`OpenSSL addon not available (CI=true makes this a failure): ${s.reason}`);
}

const addonBuilt = opensslAddon().available;
const portable = new PortableCryptoProvider();
const nodeEngine = new NativeCryptoProvider({ engine: 'node:crypto' });
const addonEngine = addonBuilt ? new NativeCryptoProvider({ engine: 'openssl-addon' }) : undefined;

/** Every way of getting an in-place context, labelled; the addon's only where it is built. */
const makers: readonly (readonly [string, (alg: AeadAlgorithm, key: Uint8Array) => AeadContext])[] = [
  ...(addonEngine
    ? [['openssl-addon', (a: AeadAlgorithm, k: Uint8Array) => addonEngine.aeadContext(a, k)] as const]
    : []),
  ['node:crypto', (a, k) => nodeEngine.aeadContext(a, k)],
  ['portable (generic)', (a, k) => aeadContext(portable, a, k)],
];

const VECTORS: readonly (readonly [AeadAlgorithm, AeadVector])[] = [
  ...GCM_SPEC_VECTORS.map((v) => ['aes-gcm', v] as const),
  ...CHACHA_VECTORS.map((v) => ['chacha20-poly1305', v] as const),
];

describe('engine choice', () => {
  it('the native provider uses the OpenSSL addon by default and says which library it reaches', ({
    skip,
  }) => {
    requireAddon(skip);
    const p = new NativeCryptoProvider();
    expect(p.engine).toBe('openssl-addon');
    expect(p.engineNote).toMatch(/^OpenSSL 3\.\S+ .* through @mip6sec\/crypto-openssl$/);
    expect(p.aeadContext('aes-gcm', new Uint8Array(16)).engine).toBe('openssl-addon');
  });

  it('node:crypto on request, and an unknown engine is EINVAL', () => {
    expect(nodeEngine.engine).toBe('node:crypto');
    expect(nodeEngine.engineNote).toBe('node:crypto chosen');
    expect(nodeEngine.aeadContext('chacha20-poly1305', new Uint8Array(32)).engine).toBe('node:crypto');
    expectCryptoError(() => new NativeCryptoProvider({ engine: 'wasm' as never }), 'EINVAL');
  });

  it('without the addon: node:crypto, with the reason; demanding the addon is ENOSYS', async () => {
    vi.resetModules();
    vi.stubEnv('MIP6SEC_OPENSSL_ADDON', 'off');
    try {
      const fresh = await import('./native.js');
      const p = new fresh.NativeCryptoProvider();
      expect(p.engine).toBe('node:crypto');
      expect(p.engineNote).toBe('OpenSSL addon not used: disabled by MIP6SEC_OPENSSL_ADDON=off');
      expect(
        toHex(p.aesGcmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(3))),
      ).toBe(
        toHex(
          nodeEngine.aesGcmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(3)),
        ),
      );
      // A fresh module instance has its own CryptoError class: compare by name and code.
      expect(() => new fresh.NativeCryptoProvider({ engine: 'openssl-addon' })).toThrow(
        expect.objectContaining({
          name: 'CryptoError',
          code: 'ENOSYS',
          message: expect.stringMatching(/disabled by MIP6SEC_OPENSSL_ADDON=off/),
        }),
      );
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

describe('in-place AEAD contexts', () => {
  for (const [label, make] of makers) {
    describe(label, () => {
      for (const [alg, v] of VECTORS) {
        it(`seals and opens ${v.name} in place, at an offset`, () => {
          const ctx = make(alg, v.key);
          expect(ctx.algorithm).toBe(alg);
          const at = 5;
          const buf = new Uint8Array(at + v.sealed.length + 3);
          buf.set(v.plaintext, at);
          ctx.seal(v.nonce, v.aad, buf, at, v.plaintext.length);
          expect(toHex(buf.subarray(at, at + v.sealed.length))).toBe(toHex(v.sealed));
          expect(ctx.open(v.nonce, v.aad, buf, at, v.plaintext.length)).toBe(true);
          expect(toHex(buf.subarray(at, at + v.plaintext.length))).toBe(toHex(v.plaintext));
        });
      }

      it('a tag that does not verify: false, and the data zeroed (not an exception)', () => {
        const [alg, v] = VECTORS.at(-1)!;
        const ctx = make(alg, v.key);
        const buf = Uint8Array.from(v.sealed);
        buf[buf.length - 1]! ^= 1;
        expect(ctx.open(v.nonce, v.aad, buf, 0, v.plaintext.length)).toBe(false);
        expect(buf.subarray(0, v.plaintext.length).every((b) => b === 0)).toBe(true);
      });

      it('bad keys, nonces and ranges are CryptoError EINVAL', () => {
        for (const n of [0, 15, 20, 33])
          expectCryptoError(() => make('aes-gcm', new Uint8Array(n)), 'EINVAL');
        expectCryptoError(() => make('chacha20-poly1305', new Uint8Array(16)), 'EINVAL');
        expectCryptoError(() => make('aes-ccm' as never, new Uint8Array(16)), 'EINVAL');
        const ctx = make('aes-gcm', new Uint8Array(16));
        const buf = new Uint8Array(40);
        const nonce = new Uint8Array(12);
        const aad = new Uint8Array(8);
        expectCryptoError(() => ctx.seal(new Uint8Array(8), aad, buf, 0, 8), 'EINVAL');
        expectCryptoError(() => ctx.seal(nonce, aad, buf, 0, 25), 'EINVAL');
        expectCryptoError(() => ctx.open(nonce, aad, buf, 30, 0), 'EINVAL');
        expectCryptoError(() => ctx.seal(nonce, aad, buf, -1, 4), 'EINVAL');
        expectCryptoError(() => ctx.seal(nonce, aad, 'buffer' as never, 0, 4), 'EINVAL');
        expectCryptoError(() => ctx.open(nonce, undefined as never, buf, 0, 4), 'EINVAL');
      });
    });
  }

  it('every engine and provider gives the same bytes for random input, and opens the others', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<AeadAlgorithm>('aes-gcm', 'chacha20-poly1305'),
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 24 }),
        fc.uint8Array({ maxLength: 200 }),
        (alg, keyLength, keyBytes, nonce, aad, pt) => {
          const key = alg === 'aes-gcm' ? keyBytes.subarray(0, keyLength) : keyBytes;
          const outs = makers.map(([, make]) => {
            const buf = new Uint8Array(pt.length + 16);
            buf.set(pt);
            make(alg, key).seal(nonce, aad, buf, 0, pt.length);
            return buf;
          });
          for (const o of outs) expect(toHex(o)).toBe(toHex(outs[0]!));
          for (const [, make] of makers) {
            const buf = Uint8Array.from(outs[0]!);
            expect(make(alg, key).open(nonce, aad, buf, 0, pt.length)).toBe(true);
            expect(toHex(buf.subarray(0, pt.length))).toBe(toHex(pt));
          }
          // The allocating CryptoProvider calls agree with the contexts on every engine.
          const providers = [nodeEngine, portable, ...(addonEngine ? [addonEngine] : [])];
          for (const p of providers) {
            const sealed =
              alg === 'aes-gcm'
                ? p.aesGcmSeal(key, nonce, aad, pt)
                : p.chacha20Poly1305Seal(key, nonce, aad, pt);
            expect(toHex(sealed)).toBe(toHex(outs[0]!));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a provider without contexts of its own gets the generic one, labelled with its name', () => {
    const ctx = aeadContext(portable, 'aes-gcm', new Uint8Array(16));
    expect(ctx).toBeInstanceOf(ProviderAeadContext);
    expect(ctx.engine).toBe('portable');
  });
});

describe('the addon engine through the CryptoProvider calls', () => {
  it('a key changed in place is never used stale (contexts are cached per key array)', ({ skip }) => {
    requireAddon(skip);
    const p = addonEngine!;
    const key = new Uint8Array(16).fill(1);
    const nonce = new Uint8Array(12);
    const pt = Uint8Array.of(1, 2, 3, 4);
    const first = p.aesGcmSeal(key, nonce, new Uint8Array(0), pt);
    key.fill(2);
    const second = p.aesGcmSeal(key, nonce, new Uint8Array(0), pt);
    expect(toHex(second)).toBe(
      toHex(nodeEngine.aesGcmSeal(new Uint8Array(16).fill(2), nonce, new Uint8Array(0), pt)),
    );
    expectCryptoError(() => p.aesGcmOpen(key, nonce, new Uint8Array(0), first), 'EBADMSG');
    expect(p.aesGcmOpen(key, nonce, new Uint8Array(0), second)).toEqual(pt);
  });

  it("open never writes into the caller's sealed bytes, even when the tag fails", ({ skip }) => {
    requireAddon(skip);
    const p = addonEngine!;
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(4);
    const sealed = Buffer.from(
      p.chacha20Poly1305Seal(key, nonce, new Uint8Array(0), new Uint8Array(40).fill(5)),
    );
    const copy = Uint8Array.from(sealed);
    expect(p.chacha20Poly1305Open(key, nonce, new Uint8Array(0), sealed)).toEqual(new Uint8Array(40).fill(5));
    sealed[0]! ^= 1;
    copy[0]! ^= 1;
    expectCryptoError(() => p.chacha20Poly1305Open(key, nonce, new Uint8Array(0), sealed), 'EBADMSG');
    expect(Uint8Array.from(sealed)).toEqual(copy);
  });
});
