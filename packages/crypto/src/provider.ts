/**
 * Choosing a provider, and the plugin that puts one into a host's container under CRYPTO_PROVIDER.
 * Nothing registers at import time; the composition root passes `cryptoProvider()` in its plugin list.
 */
import { CRYPTO_PROVIDER, type CryptoProvider, type Plugin } from '@mip6sec/core';
import type { DhKeyImport } from './dh-groups.js';
import { CryptoError } from './errors.js';
import { hasNodeCrypto, type NativeCryptoOptions, NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';

export type CryptoProviderKind = 'native' | 'portable';

export interface CryptoProviderOptions {
  /** 'native' (node:crypto) where it exists, else 'portable' (pure-JS noble). */
  readonly kind?: CryptoProviderKind;
  /** The native provider's AEAD engine: the OpenSSL addon when built ('auto', the default), or not. */
  readonly engine?: NativeCryptoOptions['engine'];
}

/** The kind `createCryptoProvider()` picks with no argument: native wherever node:crypto exists. */
export function defaultCryptoProviderKind(): CryptoProviderKind {
  return hasNodeCrypto() ? 'native' : 'portable';
}

/** A new provider; native throws CryptoError('ENOSYS') in a runtime without node:crypto. */
export function createCryptoProvider(
  kind: CryptoProviderKind = defaultCryptoProviderKind(),
  native: NativeCryptoOptions = {},
): CryptoProvider & DhKeyImport {
  if (kind === 'native') return new NativeCryptoProvider(native);
  if (kind === 'portable') return new PortableCryptoProvider();
  throw new CryptoError('EINVAL', `unknown crypto provider kind ${String(kind)}`);
}

/** The plugin factory: provides CRYPTO_PROVIDER, requires nothing. */
export function cryptoProvider(options: CryptoProviderOptions = {}): Plugin {
  const kind = options.kind ?? defaultCryptoProviderKind();
  // Made now, so a bad kind fails while the plugin list is built, not when a daemon first resolves it.
  const provider = createCryptoProvider(kind, options.engine ? { engine: options.engine } : {});
  return {
    name: `@mip6sec/crypto:${kind}`,
    provides: [CRYPTO_PROVIDER],
    requires: [],
    register(container) {
      container.register(CRYPTO_PROVIDER, { useValue: provider });
    },
  };
}
