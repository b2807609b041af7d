/**
 * The addon gate for tests: under CI (CI=true) a missing addon fails the test with the loader's
 * reason, because CI builds it (`nx build` runs the build-addon target, and the test command installs
 * gcc and libssl-dev); elsewhere the test is skipped with that reason.
 */
import { expect } from 'vitest';
import { opensslAddon } from './addon.js';
import { OpensslError } from './errors.js';

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

/** Runs `fn` and expects an OpensslError with `code` (and a message matching `message`, if given). */
export function expectOpensslError(fn: () => unknown, code: string, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(OpensslError);
  expect((thrown as OpensslError).code).toBe(code);
  if (message) expect((thrown as OpensslError).message).toMatch(message);
}
