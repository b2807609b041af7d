import { CRYPTO_PROVIDER, type CryptoProvider } from '@mip6sec/core';
import { container } from 'tsyringe';
import { describe, expect, it, vi } from 'vitest';
import { expectCryptoError } from './describe-provider.test-util.js';
import { NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';
import { createCryptoProvider, cryptoProvider, defaultCryptoProviderKind } from './provider.js';

describe('createCryptoProvider', () => {
  it('makes native by default on Node, and either kind on request', () => {
    expect(defaultCryptoProviderKind()).toBe('native');
    expect(createCryptoProvider()).toBeInstanceOf(NativeCryptoProvider);
    expect(createCryptoProvider('native').name).toBe('native');
    expect(createCryptoProvider('portable')).toBeInstanceOf(PortableCryptoProvider);
  });

  it('falls back to portable where the runtime has no node:crypto, and native says ENOSYS', async () => {
    vi.resetModules();
    const spy = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
    try {
      // Fresh module instances, so the cached node:crypto lookup starts empty.
      const fresh = await import('./provider.js');
      expect(fresh.defaultCryptoProviderKind()).toBe('portable');
      expect(fresh.createCryptoProvider().name).toBe('portable');
      expect(fresh.cryptoProvider().name).toBe('@mip6sec/crypto:portable');
      expect(() => fresh.createCryptoProvider('native')).toThrow(
        expect.objectContaining({ name: 'CryptoError', code: 'ENOSYS' }),
      );
    } finally {
      spy.mockRestore();
      vi.resetModules();
    }
  });

  it('refuses an unknown kind with EINVAL', () => {
    expectCryptoError(() => createCryptoProvider('wasm' as never), 'EINVAL');
    expectCryptoError(() => cryptoProvider({ kind: 'openssl' as never }), 'EINVAL');
  });
});

describe('cryptoProvider plugin', () => {
  it('provides CRYPTO_PROVIDER, the core token, and requires nothing', () => {
    const plugin = cryptoProvider();
    expect(plugin.provides).toEqual([CRYPTO_PROVIDER]);
    expect(CRYPTO_PROVIDER).toBe(Symbol.for('@mip6sec/core:CryptoProvider'));
    expect(plugin.requires).toEqual([]);
    expect(plugin.name).toBe('@mip6sec/crypto:native');
  });

  it('registers one provider instance of the chosen kind in a child container', () => {
    const child = container.createChildContainer();
    cryptoProvider({ kind: 'portable' }).register(child);
    const a = child.resolve<CryptoProvider>(CRYPTO_PROVIDER);
    expect(a).toBeInstanceOf(PortableCryptoProvider);
    expect(child.resolve<CryptoProvider>(CRYPTO_PROVIDER)).toBe(a);
    expect(container.isRegistered(CRYPTO_PROVIDER)).toBe(false);
  });
});
