import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  formatEndpoint,
  ipFromBytes,
  ipToBytes,
  isIp,
  networkOf,
  parsePrefix,
  prefixContains,
} from './address.js';
import { AddressError } from './errors.js';

describe('canonical text (RFC 5952)', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs (4.2.3)
    ['2001:0db8:0000:0000:0001:0000:0000:0000', '2001:db8:0:0:1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero word is not compressed (4.2.2)
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::0:0:1', 'fe80::1'],
    ['192.0.2.1', '192.0.2.1'],
  ])('%s -> %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.256',
    '01.2.3.4',
    '2001:db8::1::2',
    '2001:db8:1:2:3:4:5:6:7',
    'g::1',
    '1:2:3:4:5:6:7',
    ':::',
  ])('rejects %j with AddressError', (text) => {
    expect(() => ipToBytes(text)).toThrow(AddressError);
    expect(isIp(text)).toBe(false);
  });

  it('bytes -> text -> bytes is the identity for any IPv6 or IPv4 address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(ipToBytes(ipFromBytes(b, 0, 6))).toEqual(b);
        expect(canonicalIp(ipFromBytes(b, 0, 6))).toBe(ipFromBytes(b, 0, 6));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(ipToBytes(ipFromBytes(b, 0, 4))).toEqual(b);
      }),
    );
  });
});

describe('prefixes', () => {
  it('parses, contains and normalises', () => {
    const p = parsePrefix('2001:db8:1::1/64');
    expect(p).toEqual({ addr: '2001:db8:1::1', len: 64 });
    expect(networkOf(p)).toEqual({ addr: '2001:db8:1::', len: 64 });
    expect(prefixContains(p, '2001:db8:1::ffff')).toBe(true);
    expect(prefixContains(p, '2001:db8:2::1')).toBe(false);
    expect(prefixContains({ addr: '::', len: 0 }, '2001:db8::1')).toBe(true);
    expect(prefixContains({ addr: '::', len: 0 }, '192.0.2.1')).toBe(false);
    expect(prefixContains(parsePrefix('10.0.0.0/9'), '10.127.0.1')).toBe(true);
    expect(prefixContains(parsePrefix('10.0.0.0/9'), '10.128.0.1')).toBe(false);
    expect(parsePrefix('192.0.2.7')).toEqual({ addr: '192.0.2.7', len: 32 });
    expect(() => parsePrefix('2001:db8::/129')).toThrow(AddressError);
    expect(() => parsePrefix('10.0.0.0/33')).toThrow(AddressError);
  });

  it('formats endpoints with brackets for IPv6', () => {
    expect(formatEndpoint({ ip: '2001:db8::1', port: 500 })).toBe('[2001:db8::1]:500');
    expect(formatEndpoint({ ip: '192.0.2.1', port: 4500 })).toBe('192.0.2.1:4500');
  });
});
