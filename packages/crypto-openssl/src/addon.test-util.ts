/**
 * The addon gate for tests: under CI (CI=true) a missing addon fails the test with the loader's
 * reason, because CI builds it (`nx build` runs the build-addon target, and the test command installs
 * gcc and libssl-dev); elsewhere the test is skipped with that reason.
 */
import { opensslAddon } from './addon.js';

export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** Returns when the addon is usable; otherwise fails (CI) or skips (elsewhere) with the reason. */
export function requireAddon(skip: (note: string) => void): boolean {
  const s = opensslAddon();
  if (s.available) return true;
  if (inCi()) throw new Error(`the OpenSSL addon must be built under CI: ${s.reason}`);
  skip(`OpenSSL addon not available (CI=true makes this a failure): ${s.reason}`);
  return false;
}
