import { describe, expect, it } from 'vitest';
import { upperLayerChecksum, verifyUpperLayerChecksum } from './checksum.js';

describe('IPv6 pseudo-header checksum (RFC 8200 §8.1, RFC 6275 §6.1.1)', () => {
  it('matches a hand computation for a minimal BRR', () => {
    // Sum of ::1 (1) + ::2 (2) + length 8 + next header 135 + words 0x3b00,0x0000,0x0000(cksum),0x0000 =
    // 1 + 2 + 8 + 135 + 0x3b00 = 0x3b92, so the checksum is ~0x3b92 = 0xc46d.
    const mh = Uint8Array.of(0x3b, 0, 0, 0, 0, 0, 0, 0);
    expect(upperLayerChecksum('::1', '::2', mh)).toBe(0xc46d);
    mh[4] = 0xc4;
    mh[5] = 0x6d;
    expect(verifyUpperLayerChecksum('::1', '::2', mh)).toBe(true);
    expect(verifyUpperLayerChecksum('::2', '::1', mh)).toBe(true); // the sum is commutative
    expect(verifyUpperLayerChecksum('::1', '::3', mh)).toBe(false);
  });

  it('carries around the end (one’s complement) and handles an odd length', () => {
    const data = Uint8Array.of(0xff, 0xff, 0, 0, 0xff);
    const c = upperLayerChecksum('ffff::', 'ffff::', data, 17, 2);
    data[2] = c >> 8;
    data[3] = c & 0xff;
    expect(verifyUpperLayerChecksum('ffff::', 'ffff::', data, 17, 2)).toBe(true);
  });

  it('accepts both spellings of a zero sum', () => {
    // Find data whose computed checksum is 0 and check that 0xffff verifies too.
    const mh = Uint8Array.of(0x3b, 0, 0, 0, 0, 0, 0, 0);
    const c = upperLayerChecksum('::1', '::2', mh);
    // Put the checksum's complement into the reserved words so the remaining sum is all ones.
    mh[6] = c >> 8;
    mh[7] = c & 0xff;
    expect(upperLayerChecksum('::1', '::2', mh)).toBe(0);
    expect(verifyUpperLayerChecksum('::1', '::2', mh)).toBe(true);
    mh[4] = 0xff;
    mh[5] = 0xff;
    expect(verifyUpperLayerChecksum('::1', '::2', mh)).toBe(true);
  });

  it('refuses data too short to hold the field', () => {
    expect(verifyUpperLayerChecksum('::1', '::2', Uint8Array.of(1, 2, 3))).toBe(false);
  });
});
