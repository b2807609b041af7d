import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mhMessage } from './arbitraries.test-util.js';
import { verifyUpperLayerChecksum } from './checksum.js';
import { bytesToHex, hexToBytes } from './json.js';
import { decodeMh, decodeMhAt, encodeMh, type MhMessage, mhTypeNumber } from './mh-codec.js';
import { MhError } from './mh-error.js';

const COA = '2001:db8:1::5';
const HOA = '2001:db8::100';
const HA = '2001:db8::1';
const cookie = (x: number) => Uint8Array.from({ length: 8 }, (_, i) => x + i);

function errorOf(f: () => unknown): MhError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MhError);
    return e as MhError;
  }
  throw new Error('expected an MhError');
}

describe('every RFC 6275 message type', () => {
  // Layouts: RFC 6275 §6.1.2-6.1.9 / reference ike-mip6.md §3.3.
  const cases: [string, MhMessage, string][] = [
    ['BRR (0)', { type: 'BRR' }, '3b00000000000000'],
    ['HoTI (1)', { type: 'HoTI', homeInitCookie: cookie(1) }, '3b0101000000' + '0000' + '0102030405060708'],
    [
      'CoTI (2)',
      { type: 'CoTI', careOfInitCookie: cookie(0x11) },
      '3b0102000000' + '0000' + '1112131415161718',
    ],
    [
      'HoT (3)',
      { type: 'HoT', homeNonceIndex: 0x1234, homeInitCookie: cookie(1), homeKeygenToken: cookie(0x21) },
      '3b0203000000' + '1234' + '0102030405060708' + '2122232425262728',
    ],
    [
      'CoT (4)',
      { type: 'CoT', careOfNonceIndex: 0xbeef, careOfInitCookie: cookie(1), careOfKeygenToken: cookie(0x31) },
      '3b0204000000' + 'beef' + '0102030405060708' + '3132333435363738',
    ],
    [
      'BU (5)',
      { type: 'BU', seq: 0x102, a: true, h: true, lifetime: 0x20 },
      '3b0105000000' + '0102' + 'c000' + '0020' + '01020000',
    ],
    [
      'BA (6)',
      { type: 'BA', status: 135, k: true, seq: 9, lifetime: 0 },
      '3b0106000000' + '87' + '80' + '0009' + '0000' + '01020000',
    ],
    [
      'BE (7)',
      { type: 'BE', status: 2, homeAddress: HOA },
      '3b0207000000' + '02' + '00' + '20010db8000000000000000000000100',
    ],
  ];
  for (const [name, m, hex] of cases) {
    it(`${name} encodes to its RFC layout and decodes back`, () => {
      const b = encodeMh(m);
      expect(bytesToHex(b)).toBe(hex);
      expect(b.length % 8).toBe(0);
      const d = decodeMh(b);
      expect(d.type).toBe(m.type);
      expect(mhTypeNumber(d)).toBe(b[2]);
      expect(encodeMh(d)).toEqual(b);
      for (const [k, v] of Object.entries(m)) expect((d as unknown as Record<string, unknown>)[k]).toEqual(v);
    });
  }

  it('BU flags A H L K sit at 0x8000 0x4000 0x2000 0x1000; other bits are kept as reserved', () => {
    for (const [flag, mask] of [
      ['a', 0x8000],
      ['h', 0x4000],
      ['l', 0x2000],
      ['k', 0x1000],
    ] as const) {
      const b = encodeMh({ type: 'BU', seq: 1, lifetime: 1, [flag]: true });
      expect((b[8]! << 8) | b[9]!).toBe(mask);
      expect(decodeMh(b)).toMatchObject({ [flag]: true });
    }
    const b = encodeMh({ type: 'BU', seq: 1, lifetime: 1, reserved: 0x0801 });
    expect(decodeMh(b)).toMatchObject({ a: false, h: false, l: false, k: false, reserved: 0x0801 });
  });

  it('BA K flag is 0x80; the other 7 bits are kept', () => {
    const b = encodeMh({ type: 'BA', status: 0, k: true, reserved: 0x41, seq: 1, lifetime: 2 });
    expect(b[7]).toBe(0xc1);
    expect(decodeMh(b)).toMatchObject({ k: true, reserved: 0x41 });
  });

  it('reproduces the reference BU: A|H|K 0xD000, lifetime 0x0E10, PadN then Alt-CoA at 14, 32 octets (ike-mip6.md App. A.6)', () => {
    const b = encodeMh({
      type: 'BU',
      seq: 7,
      a: true,
      h: true,
      k: true,
      lifetime: 0x0e10,
      options: [{ type: 'alternateCareOfAddress', address: COA }],
    });
    expect(b.length).toBe(32);
    expect(b[1]).toBe(3);
    expect(bytesToHex(b.subarray(6, 14))).toBe('0007d0000e100100');
    expect(b[14]).toBe(3);
    expect(b[15]).toBe(16);
    expect(bytesToHex(b)).toBe('3b03050000000007d0000e100100031020010db8000100000000000000000005');
    const ba = encodeMh({ type: 'BA', status: 0, k: true, seq: 7, lifetime: 0x0e10 });
    expect(ba[7]).toBe(0x80);
  });

  it('an unknown MH type decodes as opaque with its type (so a receiver can answer BE status 2)', () => {
    const b = hexToBytes('3b0110000000' + 'aabbccddeeff00112233');
    const m = decodeMh(b);
    expect(m).toMatchObject({ type: 'unknown', mhType: 16 });
    expect(m.type === 'unknown' && bytesToHex(m.data)).toBe('aabbccddeeff00112233');
    expect(encodeMh(m)).toEqual(b);
  });

  it('keeps Payload Proto, the header reserved octet and reserved fields for a byte-exact round trip', () => {
    const b = encodeMh({
      type: 'BRR',
      payloadProto: 6,
      headerReserved: 0x5a,
      reserved: 0xfffe,
      checksum: 0x1234,
    });
    expect(bytesToHex(b)).toBe('0600005a1234fffe');
    expect(decodeMh(b)).toMatchObject({
      payloadProto: 6,
      headerReserved: 0x5a,
      reserved: 0xfffe,
      checksum: 0x1234,
    });
  });

  it('decodeMhAt reads one header inside a larger buffer and reports where it ends', () => {
    const mh = encodeMh({ type: 'BA', status: 0, seq: 3, lifetime: 4 });
    const buf = new Uint8Array(8 + mh.length + 4);
    buf.set(mh, 8);
    const { message, end } = decodeMhAt(buf, 8);
    expect(message).toMatchObject({ type: 'BA', seq: 3 });
    expect(end).toBe(8 + mh.length);
  });
});

describe('checksum (RFC 6275 §6.1.1)', () => {
  it('is computed over the pseudo-header with next header 135 and verified on decode', () => {
    const b = encodeMh({ type: 'BU', seq: 7, a: true, h: true, lifetime: 100 }, { src: HOA, dst: HA });
    expect(verifyUpperLayerChecksum(HOA, HA, b)).toBe(true);
    expect(decodeMh(b, { src: HOA, dst: HA })).toMatchObject({ seq: 7 });
    // With the CoA instead of the HoA as source, the sum does not verify.
    const e = errorOf(() => decodeMh(b, { src: COA, dst: HA }));
    expect(e.offset).toBe(4);
    expect(e.message).toMatch(/^EINVAL at byte 4: checksum 0x[0-9a-f]{4} is wrong, expected 0x[0-9a-f]{4}/);
  });

  it('matches the checksum scapy computed for an IPv6/HAO/BU packet (interop vector)', () => {
    // MH of the packet IPv6(2001:db8:1::5 -> 2001:db8::1)/DestOpt(HAO 2001:db8::100)/MH BU seq 7 lifetime 3600,
    // Alt-CoA 2001:db8:1::5, checksum 0x22fc as written by scapy 2.5.0 (HoA in the pseudo-header).
    const mh = hexToBytes('3b03050022fc000700000e100100031020010db8000100000000000000000005');
    expect(decodeMh(mh, { src: HOA, dst: HA })).toMatchObject({
      type: 'BU',
      seq: 7,
      lifetime: 3600,
      checksum: 0x22fc,
    });
    expect(bytesToHex(encodeMh(decodeMh(mh), { src: HOA, dst: HA }))).toBe(bytesToHex(mh));
  });

  it('any single bit flip is caught', () => {
    fc.assert(
      fc.property(mhMessage, fc.nat(), (m, bit) => {
        const b = encodeMh(m, { src: HOA, dst: HA });
        const i = bit % (b.length * 8);
        const c = b.slice();
        c[i >> 3]! ^= 0x80 >> (i & 7);
        expect(verifyUpperLayerChecksum(HOA, HA, c)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('decode errors: EINVAL at byte N with a one-line reason', () => {
  const cases: [string, string, number, RegExp][] = [
    ['empty input', '', 0, /truncated: 0 octets/],
    ['shorter than the 6-octet header', '3b000000', 4, /truncated: 4 octets/],
    [
      'Header Len beyond the input',
      '3b02050000000007',
      1,
      /Header Len 2 means 24 octets but only 8 are present/,
    ],
    [
      'BU shorter than its 12 octets',
      '3b00050000000007',
      1,
      /BU needs at least 12 octets, Header Len 0 gives 8/,
    ],
    ['BE shorter than its 24 octets', '3b01070000000200' + '0000000000000000', 1, /BE needs at least 24/],
    ['HoT shorter than its 24 octets', '3b01030000000000' + '0000000000000000', 1, /HoT needs at least 24/],
    ['option length runs past the end', '3b01050000000001c000001001060000', 13, /length 6 runs past the end/],
    ['option with no length octet', '3b0105000000000100000001000000' + '05', 15, /no length octet/],
  ];
  for (const [name, hex, offset, reason] of cases) {
    it(name, () => {
      const e = errorOf(() => decodeMh(hexToBytes(hex)));
      expect(e.code).toBe('EINVAL');
      expect(e.offset).toBe(offset);
      expect(e.message).toMatch(reason);
      expect(e.message.startsWith(`EINVAL at byte ${offset}: `)).toBe(true);
      expect(e.message).not.toContain('\n');
    });
  }

  it('octets after the Mobility Header', () => {
    const e = errorOf(() => decodeMh(hexToBytes('3b00000000000000ff')));
    expect(e.message).toBe('EINVAL at byte 8: 1 octets after the end of the Mobility Header');
  });

  it('known options with a wrong length (BRA 2, Alt-CoA 16, Nonce Indices 4)', () => {
    // BA fixed part 12, then type/len at 12/13.
    const ba = '3b0206000000000000010002';
    expect(errorOf(() => decodeMh(hexToBytes(`${ba}0203${'00'.repeat(10)}`))).message).toBe(
      'EINVAL at byte 13: Binding Refresh Advice option length 3, must be 2',
    );
    expect(errorOf(() => decodeMh(hexToBytes(`${ba}0405${'00'.repeat(10)}`))).message).toBe(
      'EINVAL at byte 13: Nonce Indices option length 5, must be 4',
    );
    const bu = hexToBytes(`3b0305000000000100000001${'0100'}030f${'00'.repeat(16)}`);
    expect(errorOf(() => decodeMh(bu)).message).toBe(
      'EINVAL at byte 15: Alternate Care-of Address option length 15, must be 16',
    );
  });

  it('options off their RFC 6275 §6.2 alignment are refused unless asked to be lenient', () => {
    // Alt-CoA right after the BU's fixed part (offset 12, not 8n+6), then 2 octets PadN.
    const bad = hexToBytes(`3b0305000000000100000001${'0310'}${'20010db8000100000000000000000005'}0100`);
    const e = errorOf(() => decodeMh(bad));
    expect(e.message).toBe(
      'EINVAL at byte 12: Alternate Care-of Address option at offset 12 breaks its 8n+6 alignment',
    );
    const lenient = decodeMh(bad, { strictAlignment: false });
    expect(lenient).toMatchObject({
      options: [{ type: 'alternateCareOfAddress', address: COA }, { type: 'padN' }],
    });
    expect(encodeMh(lenient, { autoPad: false })).toEqual(bad);
    // BRA at an odd offset: Pad1 then BRA at 13.
    const bra = hexToBytes('3b01060000000000000100020002000a0000');
    expect(() => decodeMh(bra)).toThrow(MhError);
    // Binding Authorization Data at 12 (not 8n+2).
    const bad2 = hexToBytes(`3b0205000000000100000001050a${'11'.repeat(10)}`);
    expect(errorOf(() => decodeMh(bad2)).message).toMatch(
      /Binding Authorization Data option at offset 12 breaks its 8n\+2 alignment/,
    );
  });
});

describe('encode errors name the field', () => {
  const cases: [string, () => unknown, string][] = [
    [
      'seq out of range',
      () => encodeMh({ type: 'BU', seq: 65536, lifetime: 0 }),
      'EINVAL at $.seq: sequence number must be an integer 0..65535, got 65536',
    ],
    [
      'lifetime not an integer',
      () => encodeMh({ type: 'BA', status: 0, seq: 0, lifetime: 1.5 }),
      'EINVAL at $.lifetime: lifetime (4-second units) must be an integer 0..65535, got 1.5',
    ],
    [
      'status out of range',
      () => encodeMh({ type: 'BA', status: 256, seq: 0, lifetime: 0 }),
      'EINVAL at $.status: status must be an integer 0..255, got 256',
    ],
    [
      'cookie of the wrong size',
      () => encodeMh({ type: 'HoTI', homeInitCookie: new Uint8Array(7) }),
      'EINVAL at $.homeInitCookie: home init cookie must be 8 octets',
    ],
    [
      'bad home address',
      () => encodeMh({ type: 'BE', status: 1, homeAddress: '10.0.0.1' }),
      'EINVAL at $.homeAddress: home address must be an IPv6 address, got "10.0.0.1"',
    ],
    [
      'bad flag',
      () => encodeMh({ type: 'BU', seq: 0, lifetime: 0, a: 1 as unknown as boolean }),
      'EINVAL at $.a: flag must be true or false, got 1',
    ],
    [
      'reserved BU bits overlapping the flags',
      () => encodeMh({ type: 'BU', seq: 0, lifetime: 0, reserved: 0x1000 }),
      'EINVAL at $.reserved: reserved flag bits must be an integer 0..4095, got 4096',
    ],
    [
      'unknown type name',
      () => encodeMh({ type: 'XX' } as unknown as MhMessage),
      'EINVAL at $.type: unknown message type "XX"',
    ],
    [
      'unknown with a known number',
      () => encodeMh({ type: 'unknown', mhType: 5, data: new Uint8Array(2) }),
      'EINVAL at $.mhType: MH type 5 is BU; encode it by name',
    ],
    [
      'unknown data not filling 8-octet units',
      () => encodeMh({ type: 'unknown', mhType: 9, data: new Uint8Array(3) }),
      'EINVAL at $.data: message data of 3 octets leaves the header 9 long, not a multiple of 8',
    ],
    [
      'Alt-CoA not an address',
      () =>
        encodeMh({
          type: 'BU',
          seq: 0,
          lifetime: 0,
          options: [{ type: 'alternateCareOfAddress', address: 'x:y' }],
        }),
      'EINVAL at $.options[0].address: not an IPv6 address: "x:y"',
    ],
    [
      'unknown option with a known type',
      () => encodeMh({ type: 'BRR', options: [{ type: 'unknown', optionType: 3, data: new Uint8Array() }] }),
      'EINVAL at $.options[0].optionType: option type 3 is Alternate Care-of Address, not unknown',
    ],
    [
      'nonce index out of range',
      () =>
        encodeMh({
          type: 'BRR',
          options: [{ type: 'nonceIndices', homeNonceIndex: -1, careOfNonceIndex: 0 }],
        }),
      'EINVAL at $.options[0].homeNonceIndex: nonce index must be an integer 0..65535',
    ],
    [
      'options not filling 8-octet units without autoPad',
      () => encodeMh({ type: 'BRR', options: [{ type: 'pad1' }] }, { autoPad: false }),
      'EINVAL at $.options: options leave the header 9 octets long, not a multiple of 8',
    ],
    [
      'header longer than 2048 octets',
      () =>
        encodeMh({
          type: 'BRR',
          options: Array.from({ length: 10 }, () => ({ type: 'padN' as const, data: new Uint8Array(250) })),
        }),
      'EINVAL at $.options: header of 2528 octets exceeds the 2048 Header Len allows',
    ],
  ];
  for (const [name, f, message] of cases) {
    it(name, () => {
      const e = errorOf(f);
      expect(e.message).toBe(message);
      expect(e.offset).toBeUndefined();
    });
  }
});

describe('properties', () => {
  it('decode(encode(m)) re-encodes identically and keeps every field', () => {
    fc.assert(
      fc.property(mhMessage, (m) => {
        const b = encodeMh(m);
        expect(b.length % 8).toBe(0);
        const d = decodeMh(b);
        expect(encodeMh(d)).toEqual(b);
        expect(d.type).toBe(m.type);
        // Non-padding options survive in order.
        if (m.type !== 'unknown' && d.type !== 'unknown') {
          const strip = (o: readonly { type: string }[]) =>
            o.filter((x) => x.type !== 'pad1' && x.type !== 'padN');
          expect(strip(d.options ?? [])).toEqual(strip(m.options ?? []));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes: decodeMh throws only MhError, and whatever it accepts re-encodes byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        let m: MhMessage;
        try {
          m = decodeMh(b);
        } catch (e) {
          expect(e).toBeInstanceOf(MhError);
          expect((e as MhError).message).toMatch(/^EINVAL at byte \d+: \S/);
          return;
        }
        expect(encodeMh(m)).toEqual(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid headers: one changed octet is either refused with MhError or round-trips exactly', () => {
    fc.assert(
      fc.property(
        mhMessage,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (m, at, v, lenient) => {
          const b = encodeMh(m);
          b[at % b.length] = v;
          try {
            const d = decodeMh(b, { strictAlignment: !lenient });
            expect(encodeMh(d, { autoPad: !lenient })).toEqual(b);
          } catch (e) {
            expect(e).toBeInstanceOf(MhError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
