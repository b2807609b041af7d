import { VirtualClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { describe, expect, it } from 'vitest';
import { CookieJar } from './cookies.js';

describe('CookieJar (RFC 7296 section 2.6)', () => {
  it('verifies its cookies only for the same Ni, IPi and SPIi, across one secret change but not two', () => {
    const clock = new VirtualClock();
    const jar = new CookieJar(createCryptoProvider(), clock, 1000);
    const ni = new Uint8Array(32).fill(1);
    const c = jar.make(ni, '192.0.2.1', 42n);
    expect(c).toHaveLength(36);
    expect(jar.verify(c, ni, '192.0.2.1', 42n)).toBe(true);
    expect(jar.verify(c, ni, '192.0.2.2', 42n)).toBe(false);
    expect(jar.verify(c, ni, '192.0.2.1', 43n)).toBe(false);
    expect(jar.verify(c, new Uint8Array(32), '192.0.2.1', 42n)).toBe(false);
    expect(jar.verify(c.subarray(0, 20), ni, '192.0.2.1', 42n)).toBe(false);
    clock.advance(1500);
    expect(jar.verify(c, ni, '192.0.2.1', 42n)).toBe(true);
    clock.advance(1500);
    expect(jar.verify(c, ni, '192.0.2.1', 42n)).toBe(false);
    // A stateless responder needs no timer for this.
    expect(clock.pending).toBe(0);
  });
});
