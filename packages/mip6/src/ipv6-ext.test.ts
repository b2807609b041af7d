import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6Packet } from './arbitraries.test-util.js';
import {
  decodeIpv6Packet,
  encodeIpv6Packet,
  type Ipv6Packet,
  looksLikeIpv6,
  mhPacket,
  mobilityMessageOf,
} from './ipv6-ext.js';
import { bytesToHex, hexToBytes } from './json.js';
import { decodeMh, encodeMh } from './mh-codec.js';
import { MhError } from './mh-error.js';

const HOA = '2001:db8::100';
const HA = '2001:db8::1';
const COA = '2001:db8:1::5';

function errorOf(f: () => unknown): MhError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MhError);
    return e as MhError;
  }
  throw new Error('expected an MhError');
}

describe('BU from the CoA with a Home Address option (RFC 6275 §6.3, RFC 3776 §3)', () => {
  const bu = {
    type: 'BU' as const,
    seq: 7,
    a: true,
    h: true,
    k: true,
    lifetime: 900,
    options: [{ type: 'alternateCareOfAddress' as const, address: COA }],
  };
  const bytes = encodeIpv6Packet(mhPacket({ src: COA, dst: HA, homeAddressOption: HOA, message: bu }));

  it('lays out IPv6 | DestOpt{PadN(4), HAO at 8n+6} | MH, with next headers 60 then 135', () => {
    expect(bytes[0]! >> 4).toBe(6);
    expect(bytes[6]).toBe(60);
    expect(bytes[40]).toBe(135);
    expect(bytes[41]).toBe(2); // 24-octet destination options header
    expect(bytesToHex(bytes.subarray(42, 46))).toBe('01020000'); // PadN of 4 octets puts the HAO at offset 6
    expect(bytes[46]).toBe(0xc9);
    expect(bytes[47]).toBe(16);
    expect((bytes[4]! << 8) | bytes[5]!).toBe(bytes.length - 40);
  });

  it('has its MH checksum computed with the HoA as source', () => {
    const mh = bytes.subarray(64);
    expect(() => decodeMh(mh, { src: HOA, dst: HA })).not.toThrow();
    expect(() => decodeMh(mh, { src: COA, dst: HA })).toThrow(/checksum/);
  });

  it('decodes back to the same packet', () => {
    const p = decodeIpv6Packet(bytes);
    expect(p.header).toEqual({ trafficClass: 0, flowLabel: 0, hopLimit: 64, src: COA, dst: HA });
    expect(p.extensions[0]).toEqual({
      type: 'destinationOptions',
      options: [
        { type: 'padN', data: new Uint8Array(2) },
        { type: 'homeAddress', address: HOA },
      ],
    });
    expect(mobilityMessageOf(p)).toMatchObject({
      type: 'BU',
      seq: 7,
      a: true,
      h: true,
      k: true,
      lifetime: 900,
    });
    expect(p.payload).toBeUndefined();
    expect(encodeIpv6Packet(p)).toEqual(bytes);
  });
});

describe('BA to the CoA with a type 2 routing header (RFC 6275 §6.4)', () => {
  const bytes = encodeIpv6Packet(
    mhPacket({
      src: HA,
      dst: COA,
      routingHeader2: HOA,
      message: { type: 'BA', status: 0, k: true, seq: 7, lifetime: 900 },
    }),
  );

  it('lays out Next Header, Hdr Ext Len 2, type 2, Segments Left 1, reserved, HoA', () => {
    expect(bytes[6]).toBe(43);
    expect(bytesToHex(bytes.subarray(40, 48))).toBe('8702020100000000');
    expect(bytesToHex(bytes.subarray(48, 64))).toBe('20010db8000000000000000000000100');
  });

  it('has its MH checksum computed with the HoA (the final destination) as destination', () => {
    expect(() => decodeMh(bytes.subarray(64), { src: HA, dst: HOA })).not.toThrow();
    const p = decodeIpv6Packet(bytes);
    expect(p.extensions[0]).toEqual({
      type: 'routing',
      routingType: 2,
      segmentsLeft: 1,
      reserved: 0,
      homeAddress: HOA,
    });
    expect(encodeIpv6Packet(p)).toEqual(bytes);
  });

  it('with Segments Left 0 (already processed) the IPv6 destination is final', () => {
    const p: Ipv6Packet = {
      header: { src: HA, dst: HOA },
      extensions: [
        { type: 'routing', routingType: 2, segmentsLeft: 0, homeAddress: HOA },
        { type: 'mobility', message: { type: 'BA', status: 0, seq: 1, lifetime: 1 } },
      ],
    };
    const b = encodeIpv6Packet(p);
    expect(decodeIpv6Packet(b).extensions[1]).toMatchObject({ type: 'mobility' });
  });
});

describe('other headers and payloads', () => {
  it('keeps Hop-by-Hop, unknown options, other routing types and an opaque payload', () => {
    const p: Ipv6Packet = {
      header: { src: COA, dst: HA, trafficClass: 0xb8, flowLabel: 0xabcde, hopLimit: 3 },
      extensions: [
        { type: 'hopByHop', options: [{ type: 'unknown', optionType: 5, data: Uint8Array.of(0, 0) }] },
        { type: 'routing', routingType: 4, segmentsLeft: 0, data: new Uint8Array(12) },
        {
          type: 'destinationOptions',
          options: [{ type: 'unknown', optionType: 0x1e, data: Uint8Array.of(1, 2, 3) }],
        },
      ],
      payload: { nextHeader: 50, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) },
    };
    const b = encodeIpv6Packet(p);
    const d = decodeIpv6Packet(b);
    expect(d.header).toEqual({ trafficClass: 0xb8, flowLabel: 0xabcde, hopLimit: 3, src: COA, dst: HA });
    expect(d.extensions.map((e) => e.type)).toEqual(['hopByHop', 'routing', 'destinationOptions']);
    expect(d.payload).toEqual({ nextHeader: 50, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) });
    expect(encodeIpv6Packet(d)).toEqual(b);
  });

  it('a bare IPv6 header with No Next Header has neither extensions nor payload', () => {
    const b = encodeIpv6Packet({ header: { src: '::1', dst: '::2' }, extensions: [] });
    expect(b.length).toBe(40);
    expect(b[6]).toBe(59);
    expect(decodeIpv6Packet(b)).toEqual({
      header: { trafficClass: 0, flowLabel: 0, hopLimit: 64, src: '::1', dst: '::2' },
      extensions: [],
    });
  });

  it('looksLikeIpv6 tests the version nibble', () => {
    expect(looksLikeIpv6(Uint8Array.of(0x60))).toBe(true);
    expect(looksLikeIpv6(Uint8Array.of(0x3b))).toBe(false);
    expect(looksLikeIpv6(new Uint8Array())).toBe(false);
  });
});

describe('decode errors', () => {
  const bu = encodeIpv6Packet(
    mhPacket({ src: COA, dst: HA, homeAddressOption: HOA, message: { type: 'BU', seq: 1, lifetime: 1 } }),
  );
  const ba = encodeIpv6Packet(
    mhPacket({
      src: HA,
      dst: COA,
      routingHeader2: HOA,
      message: { type: 'BA', status: 0, seq: 1, lifetime: 1 },
    }),
  );
  const mutate = (b: Uint8Array, at: number, v: number) => {
    const c = b.slice();
    c[at] = v;
    return c;
  };
  const cases: [string, () => Uint8Array, number, RegExp][] = [
    ['truncated IPv6 header', () => bu.subarray(0, 39), 39, /IPv6 header truncated: 39 of 40/],
    ['wrong version', () => mutate(bu, 0, 0x45), 0, /IP version 4, expected 6/],
    [
      'Payload Length disagreeing with the octets',
      () => mutate(bu, 5, bu[5]! + 8),
      4,
      /Payload Length \d+ but \d+ octets follow/,
    ],
    ['extension header beyond the packet', () => mutate(bu, 41, 9), 41, /Hdr Ext Len 9 means 80 octets/],
    ['HAO of the wrong length', () => mutate(bu, 47, 15), 47, /Home Address option length 15, must be 16/],
    [
      'HAO off its 8n+6 alignment',
      () => {
        // PadN of 3 octets moves the HAO to offset 5; a Pad1 after it keeps the header 24 octets.
        const c = bu.slice();
        c.set([1, 1, 0], 42); // PadN of 3 octets: HAO now at offset 5
        c.set([0xc9, 16], 45);
        c.set(bu.subarray(48, 64), 47);
        c[63] = 0; // Pad1 fills the end
        return c;
      },
      45,
      /Home Address option at offset 5 breaks its 8n\+6 alignment/,
    ],
    [
      'RH2 with a wrong Hdr Ext Len',
      () => mutate(ba, 41, 1),
      41,
      /type 2 routing header Hdr Ext Len 1, must be 2/,
    ],
    ['RH2 with Segments Left 2', () => mutate(ba, 43, 2), 43, /Segments Left 2, must be 0 or 1/],
    [
      'MH checksum wrong',
      () => mutate(bu, bu.length - 1, bu[bu.length - 1]! ^ 1),
      68,
      /checksum 0x[0-9a-f]+ is wrong/,
    ],
  ];
  for (const [name, make, offset, reason] of cases) {
    it(name, () => {
      const e = errorOf(() => decodeIpv6Packet(make()));
      expect(e.offset).toBe(offset);
      expect(e.message).toMatch(reason);
    });
  }

  it('a Hop-by-Hop header after another header', () => {
    const b = encodeIpv6Packet({
      header: { src: '::1', dst: '::2' },
      extensions: [{ type: 'destinationOptions', options: [] }],
      payload: { nextHeader: 59, data: new Uint8Array(8) },
    });
    const c = b.slice();
    c[40] = 0; // the DO header now says a Hop-by-Hop header follows
    expect(errorOf(() => decodeIpv6Packet(c)).message).toBe(
      'EINVAL at byte 40: Hop-by-Hop Options header must come right after the IPv6 header',
    );
  });

  it('checksum verification can be turned off', () => {
    const c = bu.slice();
    c[c.length - 1]! ^= 1;
    expect(() => decodeIpv6Packet(c, { verifyChecksum: false })).not.toThrow();
  });
});

describe('encode errors', () => {
  it('names the field', () => {
    const bad = (p: unknown) => errorOf(() => encodeIpv6Packet(p as Ipv6Packet)).message;
    expect(bad({ header: { src: 'nope', dst: HA }, extensions: [] })).toBe(
      'EINVAL at $.header.src: source must be an IPv6 address, got "nope"',
    );
    expect(bad({ header: { src: COA, dst: HA, flowLabel: 1 << 20 }, extensions: [] })).toMatch(
      /^EINVAL at \$\.header\.flowLabel: /,
    );
    expect(
      bad({
        header: { src: COA, dst: HA },
        extensions: [
          { type: 'mobility', message: { type: 'BRR' } },
          { type: 'destinationOptions', options: [] },
        ],
      }),
    ).toBe('EINVAL at $.extensions[0]: the Mobility Header must be the last extension header');
    expect(
      bad({
        header: { src: COA, dst: HA },
        extensions: [{ type: 'mobility', message: { type: 'BU', seq: -1, lifetime: 0 } }],
      }),
    ).toBe('EINVAL at $.extensions[0].message.seq: sequence number must be an integer 0..65535, got -1');
    expect(
      bad({
        header: { src: COA, dst: HA },
        extensions: [{ type: 'routing', routingType: 2, segmentsLeft: 3, homeAddress: HOA }],
      }),
    ).toBe('EINVAL at $.extensions[0].segmentsLeft: a type 2 routing header has 0 or 1 segments left');
    expect(
      bad({
        header: { src: COA, dst: HA },
        extensions: [{ type: 'destinationOptions', options: [{ type: 'homeAddress', address: '1.2.3.4' }] }],
      }),
    ).toBe(
      'EINVAL at $.extensions[0].options[0].address: home address must be an IPv6 address, got "1.2.3.4"',
    );
    expect(
      bad({
        header: { src: COA, dst: HA },
        extensions: [
          {
            type: 'destinationOptions',
            options: [{ type: 'unknown', optionType: 201, data: new Uint8Array() }],
          },
        ],
      }),
    ).toBe('EINVAL at $.extensions[0].options[0].optionType: option type 201 has a name; use it');
    expect(bad({ header: { src: COA, dst: HA }, extensions: [{ type: 'fragment' }] })).toBe(
      'EINVAL at $.extensions[0].type: unknown extension header "fragment"',
    );
    expect(
      bad({
        header: { src: COA, dst: HA },
        extensions: [{ type: 'routing', routingType: 0, segmentsLeft: 0, data: new Uint8Array(3) }],
      }),
    ).toMatch(/not a multiple of 8/);
  });
});

describe('properties', () => {
  it('encode(decode(encode(p))) is stable and decode keeps the header', () => {
    fc.assert(
      fc.property(ipv6Packet, (p) => {
        const b = encodeIpv6Packet(p);
        const d = decodeIpv6Packet(b);
        expect(encodeIpv6Packet(d)).toEqual(b);
        expect(d.header.src).toBe(p.header.src);
      }),
      { numRuns: 500 },
    );
  });

  it('random and mutated bytes: only MhError, and accepted input re-encodes byte for byte', () => {
    fc.assert(
      fc.property(ipv6Packet, fc.nat(), fc.integer({ min: 0, max: 255 }), (p, at, v) => {
        const b = encodeIpv6Packet(p);
        b[at % b.length] = v;
        try {
          const d = decodeIpv6Packet(b);
          expect(encodeIpv6Packet(d)).toEqual(b);
        } catch (e) {
          expect(e).toBeInstanceOf(MhError);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: 120 }), (b) => {
        b[0] = 0x60 | (b[0]! & 0x0f);
        b[4] = 0;
        b[5] = b.length - 40;
        try {
          expect(encodeIpv6Packet(decodeIpv6Packet(b))).toEqual(b);
        } catch (e) {
          expect(e).toBeInstanceOf(MhError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

it('decodes a bare MH hex inside a packet built by hand (no helper)', () => {
  const mh = encodeMh({ type: 'BRR' }, { src: HA, dst: HOA });
  const hex = `6000000000088740${'20010db8000000000000000000000001'}${'20010db8000000000000000000000100'}${bytesToHex(mh)}`;
  const p = decodeIpv6Packet(hexToBytes(hex));
  expect(mobilityMessageOf(p)).toMatchObject({ type: 'BRR' });
});
