/**
 * Finding and loading the compiled addon (build/openssl_aead.node, made by scripts/build-addon.mjs).
 * It is optional: when it is missing or does not load, `opensslAddon()` says why and callers use
 * node:crypto instead. Node modules are fetched with process.getBuiltinModule when first asked for,
 * never imported, so this package loads in any ESM runtime (a browser running the lab) and simply
 * reports the addon as unavailable there.
 *
 * The addon is opened with RTLD_DEEPBIND where the C library has it (glibc): Node itself exports the
 * symbols of its bundled OpenSSL, which would otherwise stand in for the libcrypto the addon was
 * linked against. With it, the addon's calls go to the system libcrypto it was built for, which
 * `info().directory` shows.
 */
import type * as NodeFs from 'node:fs';
import type * as NodeOs from 'node:os';
import type * as NodeUrl from 'node:url';

/** The handle of one keyed context inside the addon (an external value). */
export type AddonContext = { readonly __brand: 'openssl-aead-context' };
export type AddonCbcContext = { readonly __brand: 'openssl-cbc-context' };
export type AddonHmacContext = { readonly __brand: 'openssl-hmac-context' };
export type AddonX25519Key = { readonly __brand: 'openssl-x25519-key' };

/** The functions the addon exports (see addon/openssl_aead.c). */
export interface AddonBinding {
  info(): { readonly version: string; readonly directory: string; readonly headers: string };
  aeadCreate(alg: number, key: Uint8Array, salt?: Uint8Array): AddonContext;
  aeadDispose(ctx: AddonContext): void;
  aeadSeal(
    ctx: AddonContext,
    nonce: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    offset: number,
    length: number,
  ): void;
  aeadOpen(
    ctx: AddonContext,
    nonce: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    offset: number,
    length: number,
  ): boolean;
  aeadSealBatch(ctx: AddonContext, buf: Uint8Array, table: Uint32Array, count: number): number;
  aeadOpenBatch(ctx: AddonContext, buf: Uint8Array, table: Uint32Array, count: number): number;
  cbcCreate(key: Uint8Array): AddonCbcContext;
  cbcEncrypt(ctx: AddonCbcContext, iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void;
  cbcDecrypt(ctx: AddonCbcContext, iv: Uint8Array, buf: Uint8Array, offset: number, length: number): void;
  hmacCreate(hash: string, key: Uint8Array): AddonHmacContext;
  hmacDigest(
    ctx: AddonHmacContext,
    data: Uint8Array,
    offset: number,
    length: number,
    tail: Uint8Array,
    out: Uint8Array,
  ): number;
  hmacOnce(hash: string, key: Uint8Array, data: Uint8Array, out: Uint8Array): number;
  digest(hash: string, data: Uint8Array, out: Uint8Array): number;
  x25519Create(priv: Uint8Array | undefined, pub: Uint8Array): AddonX25519Key;
  x25519Derive(key: AddonX25519Key, peer: Uint8Array, out: Uint8Array): boolean;
}

export type AddonStatus =
  | {
      readonly available: true;
      /** Where the addon was loaded from. */
      readonly path: string;
      /** OpenSSL_version() of the libcrypto the calls reach, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
      readonly library: string;
      /** That library's OPENSSLDIR, which tells the system copy from Node's bundled one. */
      readonly directory: string;
    }
  | { readonly available: false; readonly reason: string };

/** Set to 0 (or off, false) to behave as if the addon were absent, e.g. to measure the fallback. */
export const ADDON_ENV = 'MIP6SEC_OPENSSL_ADDON';

// Not a literal `new URL('…', import.meta.url)`: bundlers would try to ship the binary as an asset.
const ADDON_FILE = ['..', 'build', 'openssl_aead.node'].join('/');
const ERROR_FILE = ['..', 'build', 'build-error.txt'].join('/');

let loaded: { binding: AddonBinding; status: AddonStatus } | { status: AddonStatus } | undefined;

const EXPORTS = [
  'info',
  'aeadCreate',
  'aeadDispose',
  'aeadSeal',
  'aeadOpen',
  'aeadSealBatch',
  'aeadOpenBatch',
  'cbcCreate',
  'cbcEncrypt',
  'cbcDecrypt',
  'hmacCreate',
  'hmacDigest',
  'hmacOnce',
  'digest',
  'x25519Create',
  'x25519Derive',
] as const;

function unavailable(reason: string): { status: AddonStatus } {
  return { status: { available: false, reason } };
}

function load(): { binding: AddonBinding; status: AddonStatus } | { status: AddonStatus } {
  const proc = globalThis.process;
  const setting = proc?.env?.[ADDON_ENV];
  if (setting !== undefined && /^(0|off|false|no)$/i.test(setting)) {
    return unavailable(`disabled by ${ADDON_ENV}=${setting}`);
  }
  const get = proc?.getBuiltinModule;
  if (typeof get !== 'function' || typeof proc.dlopen !== 'function') {
    return unavailable('this runtime cannot load Node addons');
  }
  const fs = get('node:fs') as typeof NodeFs;
  const os = get('node:os') as typeof NodeOs;
  const url = get('node:url') as typeof NodeUrl;
  const path = url.fileURLToPath(new URL(ADDON_FILE, import.meta.url));
  if (!fs.existsSync(path)) {
    const errorFile = url.fileURLToPath(new URL(ERROR_FILE, import.meta.url));
    const why = fs.existsSync(errorFile)
      ? fs.readFileSync(errorFile, 'utf8').trim()
      : `${path} does not exist (run \`node scripts/build-addon.mjs\` in @mip6sec/crypto-openssl)`;
    return unavailable(`not built: ${why}`);
  }
  const flags = os.constants.dlopen;
  const module = { exports: {} as Record<string, unknown> };
  try {
    proc.dlopen(module, path, (flags.RTLD_NOW ?? 0) | (flags.RTLD_DEEPBIND ?? 0));
  } catch (e) {
    return unavailable(`${path} does not load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const missing = EXPORTS.filter((name) => typeof module.exports[name] !== 'function');
  if (missing.length > 0) return unavailable(`${path} lacks ${missing.join(', ')} (an older build?)`);
  const binding = module.exports as unknown as AddonBinding;
  const info = binding.info();
  return { binding, status: { available: true, path, library: info.version, directory: info.directory } };
}

/** Whether the addon is usable here, and if not, why. Loads it on the first call. */
export function opensslAddon(): AddonStatus {
  loaded ??= load();
  return loaded.status;
}

/** The loaded addon, or undefined (see {@link opensslAddon} for the reason). */
export function addonBinding(): AddonBinding | undefined {
  loaded ??= load();
  return 'binding' in loaded ? loaded.binding : undefined;
}
