import { IPPROTO_MH, ipFromBytes } from '@mip6sec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressAt,
  buildIpPacket,
  buildUdp,
  IPPROTO_DSTOPTS,
  IPPROTO_ROUTING,
  internetChecksum,
  MAX_IP_HEADER_LEN,
  packetKey,
  parseIpPacket,
  parseUdp,
  udpChecksumOk,
} from './ip-packet.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('IPv6 with the Mobile IPv6 extension headers', () => {
  it('lays out RH2 then the HAO destination options (RFC 6275 6.3, 6.4) and parses them back', () => {
    const mh = Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 0);
    const bytes = buildIpPacket({
      src: '2001:db8:c::5',
      dst: '2001:db8::1',
      proto: IPPROTO_MH,
      payload: mh,
      homeAddressOption: '2001:db8::100',
      routingHeader2: '2001:db8::200',
    });
    expect(bytes.length).toBe(40 + 24 + 24 + 8);
    expect(bytes[6]).toBe(IPPROTO_ROUTING);
    // RH2: next header DSTOPTS, length 2, type 2, segments left 1, reserved, address.
    expect(hex(bytes.subarray(40, 48))).toBe('3c02020100000000');
    // DestOpts: next header MH, length 2, PadN(4), HAO type 0xc9 length 16 at offset 6 (8n+6).
    expect(hex(bytes.subarray(64, 72))).toBe('87020102 0000c910'.replace(' ', ''));
    const p = parseIpPacket(bytes);
    expect(p).toMatchObject({
      family: 6,
      src: '2001:db8:c::5',
      dst: '2001:db8::1',
      proto: IPPROTO_MH,
      homeAddressOption: '2001:db8::100',
      routingHeader2: '2001:db8::200',
      headerLength: 88,
    });
    expect(p.payload).toEqual(mh);
    expect(bytes[p.nextHeaderOffset]).toBe(IPPROTO_MH);
    expect(IPPROTO_DSTOPTS).toBe(60);
  });

  it('writes the headers into headroom before the payload without copying it, and falls back when short', () => {
    const spec = {
      src: '2001:db8:c::5',
      dst: '2001:db8::1',
      proto: IPPROTO_MH,
      homeAddressOption: '2001:db8::100',
      routingHeader2: '2001:db8::200',
    };
    const mh = Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 0);
    const copied = buildIpPacket({ ...spec, payload: mh });
    const room = new Uint8Array(MAX_IP_HEADER_LEN + mh.length).fill(0xee);
    const payload = room.subarray(MAX_IP_HEADER_LEN);
    payload.set(mh);
    const inPlace = buildIpPacket({ ...spec, payload }, MAX_IP_HEADER_LEN);
    expect(inPlace.buffer).toBe(room.buffer);
    expect(hex(inPlace)).toBe(hex(copied));
    // IPv4 needs 20 of the 88 bytes; the view starts where its header does.
    const v4 = buildIpPacket({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, payload }, MAX_IP_HEADER_LEN);
    expect(v4.byteOffset).toBe(MAX_IP_HEADER_LEN - 20);
    expect(hex(v4)).toBe(hex(buildIpPacket({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, payload: mh })));
    // Headroom smaller than the headers: a new buffer, the payload's untouched.
    const short = room.subarray(80);
    const fallback = buildIpPacket({ ...spec, payload: short }, 8);
    expect(fallback.buffer).not.toBe(room.buffer);
    expect(hex(fallback)).toBe(hex(buildIpPacket({ ...spec, payload: short.slice() })));
  });

  it('refuses truncated or malformed headers', () => {
    const good = buildIpPacket({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      proto: 17,
      payload: new Uint8Array(8),
      homeAddressOption: '2001:db8::3',
    });
    expect(() => parseIpPacket(good.subarray(0, 50))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const badLen = good.slice();
    badLen[47] = 10;
    expect(() => parseIpPacket(badLen)).toThrow();
    expect(() => parseIpPacket(Uint8Array.of(0x50))).toThrow(/IP version 5/);
  });

  it('never throws anything but a coded error on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        try {
          parseIpPacket(b);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('EINVAL');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('addresses named from bytes', () => {
  it('give the canonical text, cached or not (property over colliding and repeated addresses)', () => {
    // Few distinct values per byte: many repeats (cache hits) and many slot collisions (evictions).
    const addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => b.map((x) => x & 0x13));
    fc.assert(
      fc.property(fc.array(addr, { minLength: 1, maxLength: 60 }), fc.nat(3), (list, at) => {
        for (const a of [...list, ...list]) {
          const buf = new Uint8Array(at + 16);
          buf.set(a, at);
          expect(addressAt(buf, at, 6)).toBe(ipFromBytes(a, 0, 6));
          expect(addressAt(buf, at, 4)).toBe(ipFromBytes(a, 0, 4));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('hand back the same string each time for the same address', () => {
    const b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(addressAt(b, 0, 6)).toBe('2001:db8::1');
    expect(addressAt(Uint8Array.from(b), 0, 6)).toBe('2001:db8::1');
  });
});

describe('IPv4 and UDP checksums', () => {
  it('IPv4 header checksum verifies (RFC 791), and a corrupted one is refused', () => {
    const b = buildIpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.2',
      proto: 17,
      payload: new Uint8Array(12),
      id: 0x1234,
    });
    expect(internetChecksum(b.subarray(0, 20))).toBe(0);
    expect(parseIpPacket(b)).toMatchObject({ family: 4, src: '192.0.2.1', dst: '198.51.100.2', proto: 17 });
    const bad = b.slice();
    bad[8] = 1;
    expect(() => parseIpPacket(bad)).toThrow(/checksum/);
  });

  it('UDP checksum over the pseudo-header, both families; zero means none over IPv4 only', () => {
    for (const [s, d] of [
      ['192.0.2.1', '192.0.2.2'],
      ['2001:db8::1', '2001:db8::2'],
    ] as const) {
      const u = buildUdp(s, d, 500, 4500, new TextEncoder().encode('odd length!'));
      expect(udpChecksumOk(s, d, u)).toBe(true);
      expect(parseUdp(u)).toMatchObject({ sport: 500, dport: 4500 });
      const bad = u.slice();
      bad[9]! ^= 0xff;
      expect(udpChecksumOk(s, d, bad)).toBe(false);
    }
    expect(
      udpChecksumOk(
        '192.0.2.1',
        '192.0.2.2',
        buildUdp('192.0.2.1', '192.0.2.2', 1, 2, new Uint8Array(3), false),
      ),
    ).toBe(true);
  });

  it('a known IPv4 header checksum (RFC 1071 example header)', () => {
    const h = Uint8Array.from(Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex'));
    expect(internetChecksum(h)).toBe(0xb861);
  });
});

describe('packetKey', () => {
  it('offers ports, the MH type, and ICMP type/code in the port fields', () => {
    expect(packetKey('a', 'b', 17, Uint8Array.of(1, 244, 17, 148))).toEqual({
      src: 'a',
      dst: 'b',
      proto: 17,
      srcPort: 500,
      dstPort: 4500,
    });
    expect(packetKey('a', 'b', IPPROTO_MH, Uint8Array.of(59, 1, 6))).toEqual({
      src: 'a',
      dst: 'b',
      proto: IPPROTO_MH,
      mhType: 6,
    });
    expect(packetKey('a', 'b', 58, Uint8Array.of(146, 0))).toEqual({
      src: 'a',
      dst: 'b',
      proto: 58,
      srcPort: 146,
      dstPort: 0,
    });
  });
});
