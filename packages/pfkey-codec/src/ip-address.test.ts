/** IP address text: RFC 5952 canonical IPv6 output (§4, §5) and RFC 4291 §2.2 input forms. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefix, sockaddr } from './address-text.js';
import { PfkeyInputError } from './input-error.js';
import { formatIp, fromHex, parseIp, toHex } from './ip-address.js';

const fmt = (text: string): string => formatIp(parseIp(text) as Uint8Array);

describe('IPv6 text (RFC 5952)', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'], // §4.1 leading zeros, §4.2.1 longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
    ['2001:DB8::AAAA', '2001:db8::aaaa'], // §4.3 lower case
    ['2001:db8:0:0:0:1:0:0', '2001:db8::1:0:0'], // longest run wins over a later shorter one
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5 IPv4-mapped in mixed notation
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['::192.0.2.1', '::c000:201'], // IPv4-compatible (deprecated) is not special
    ['fe80::1:2', 'fe80::1:2'],
  ])('%s -> %s', (input, out) => expect(fmt(input)).toBe(out));

  it.each([
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    ':1::',
    '1:2:3:4:5:6:7::8',
    ':::',
    '1:2:3:4:5:6:7',
    'g::',
    '::ffff:256.0.0.1',
    '',
  ])('refuses %j', (t) => expect(parseIp(t)).toBeUndefined());
});

describe('IPv4 text', () => {
  it('formats and parses dotted quads', () => {
    expect(fmt('192.0.2.1')).toBe('192.0.2.1');
    expect(parseIp('0.0.0.0')).toEqual(new Uint8Array(4));
  });
  it.each(['1.2.3', '01.2.3.4', '256.1.1.1', '1.2.3.4.5', '1..2.3', '-1.2.3.4'])('refuses %j', (t) =>
    expect(parseIp(t)).toBeUndefined(),
  );
});

describe('round trips', () => {
  it('parse(format(bytes)) is the identity for any address', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
        ),
        (b) => {
          expect(parseIp(formatIp(b))).toEqual(b);
        },
      ),
      { numRuns: 500 },
    );
  });
  it('hex both ways', () => {
    expect(toHex(Uint8Array.of(0, 15, 255))).toBe('000fff');
    expect(fromHex('0x000FfF')).toEqual(Uint8Array.of(0, 15, 255));
    expect(fromHex('abc')).toBeUndefined();
    expect(fromHex('zz')).toBeUndefined();
  });
});

describe('sockaddr and prefix helpers', () => {
  it('build sockaddrs of the family the text names', () => {
    expect(sockaddr('192.0.2.1', 500)).toEqual({ family: 2, port: 500, addr: Uint8Array.of(192, 0, 2, 1) });
    expect(sockaddr('::1')).toMatchObject({ family: 10, port: 0, flowinfo: 0, scopeId: 0 });
    expect(prefix('2001:db8::/32')).toMatchObject({ prefixlen: 32 });
    expect(prefix('10.0.0.1').prefixlen).toBe(32);
  });
  it('refuse bad text with PfkeyInputError', () => {
    expect(() => sockaddr('nope')).toThrow(PfkeyInputError);
    expect(() => sockaddr('::1', 70000)).toThrow(/port 70000/);
    expect(() => prefix('10.0.0.0/33')).toThrow(/not in 0..32/);
    expect(() => prefix('10.0.0.0/x')).toThrow(/prefix length/);
  });
});
