import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6Packet, mhMessage } from './arbitraries.test-util.js';
import { encodeIpv6Packet, mhPacket } from './ipv6-ext.js';
import {
  bytesToHex,
  decodeToJson,
  encodeFromJson,
  hexToBytes,
  ipv6PacketFromJson,
  ipv6PacketToJson,
  mhFromJson,
  mhToJson,
} from './json.js';
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

describe('hexToBytes', () => {
  it('takes plain, 0x-prefixed, spaced and colon-separated hex', () => {
    expect(hexToBytes('3b00')).toEqual(Uint8Array.of(0x3b, 0));
    expect(hexToBytes(' 0x3B 00\n')).toEqual(Uint8Array.of(0x3b, 0));
    expect(hexToBytes('3b:00')).toEqual(Uint8Array.of(0x3b, 0));
  });
  it('names the byte a bad digit would fill', () => {
    expect(errorOf(() => hexToBytes('3b0g')).message).toBe('EINVAL at byte 1: bad hex digit "g"');
    expect(errorOf(() => hexToBytes('3b0')).message).toBe('EINVAL at byte 1: odd number of hex digits');
  });
});

describe('MH JSON', () => {
  it('the package example: a BU in hex decodes to its fields', () => {
    expect(
      mhToJson(decodeMh(hexToBytes('3b03050000000007d0000e100100031020010db8000100000000000000000005'))),
    ).toEqual({
      type: 'BU',
      seq: 7,
      a: true,
      h: true,
      l: false,
      k: true,
      lifetime: 3600,
      options: [
        { type: 'padN', data: '' },
        { type: 'alternateCareOfAddress', address: COA },
      ],
      payloadProto: 59,
      checksum: 0,
    });
  });

  it('shows a BU the way the CLI prints it', () => {
    const b = encodeMh(
      {
        type: 'BU',
        seq: 7,
        a: true,
        h: true,
        k: true,
        lifetime: 3600,
        options: [{ type: 'alternateCareOfAddress', address: COA }],
      },
      { src: HOA, dst: HA },
    );
    const j = decodeToJson(b);
    expect(j).toEqual({
      type: 'BU',
      seq: 7,
      a: true,
      h: true,
      l: false,
      k: true,
      lifetime: 3600,
      options: [
        { type: 'padN', data: '' },
        { type: 'alternateCareOfAddress', address: COA },
      ],
      payloadProto: 59,
      checksum: (b[4]! << 8) | b[5]!,
    });
    expect(encodeFromJson(JSON.parse(JSON.stringify(j)))).toEqual(b);
  });

  it('fills defaults and padding for a hand-written document', () => {
    const b = encodeFromJson({
      type: 'BU',
      seq: 1,
      a: true,
      h: true,
      lifetime: 10,
      options: [{ type: 'alternateCareOfAddress', address: COA }],
    });
    expect(b.length).toBe(32);
    expect(b[0]).toBe(59);
  });

  it('round-trips every message through JSON text', () => {
    fc.assert(
      fc.property(mhMessage, (m) => {
        const b = encodeMh(m);
        // A Payload Proto of 0x60..0x6f looks like an IPv6 version nibble; decodeToJson would read a packet.
        fc.pre(b[0]! >> 4 !== 6);
        const j = JSON.parse(JSON.stringify(decodeToJson(b)));
        expect(encodeFromJson(j)).toEqual(b);
        expect(mhToJson(mhFromJson(j))).toEqual(j);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses bad documents with a JSON path', () => {
    const bad = (j: unknown) => errorOf(() => mhFromJson(j)).message;
    expect(bad(null)).toBe('EINVAL at $: expected an object');
    expect(bad({ type: 'XX' })).toMatch(/^EINVAL at \$\.type: expected one of BRR, HoTI/);
    expect(bad({ type: 'BU', seq: 1, lifetime: 2, status: 0 })).toMatch(
      /^EINVAL at \$\.status: unexpected key/,
    );
    expect(bad({ type: 'BU', lifetime: 2 })).toBe(
      'EINVAL at $.seq: expected an integer 0..65535, got nothing',
    );
    expect(bad({ type: 'BU', seq: 1, lifetime: 2, a: 'yes' })).toBe(
      'EINVAL at $.a: expected true or false, got "yes"',
    );
    expect(bad({ type: 'HoTI', homeInitCookie: '0102' })).toBe(
      'EINVAL at $.homeInitCookie: expected 8 octets, got 2',
    );
    expect(bad({ type: 'HoTI', homeInitCookie: 'xyz' })).toBe(
      'EINVAL at $.homeInitCookie: expected hex octets (an even number of hex digits)',
    );
    expect(bad({ type: 'BE', status: 1, homeAddress: 'x' })).toBe(
      'EINVAL at $.homeAddress: home address must be an IPv6 address, got "x"',
    );
    expect(
      bad({ type: 'BU', seq: 1, lifetime: 2, options: [{ type: 'nonceIndices', homeNonceIndex: 1 }] }),
    ).toBe('EINVAL at $.options[0].careOfNonceIndex: expected an integer 0..65535, got nothing');
    expect(bad({ type: 'BU', seq: 1, lifetime: 2, options: [{ type: 'pad1', data: '' }] })).toMatch(
      /^EINVAL at \$\.options\[0\]\.data: unexpected key/,
    );
    expect(bad({ type: 'BU', seq: 1, lifetime: 2, options: {} })).toBe(
      'EINVAL at $.options: expected a list',
    );
  });
});

describe('packet JSON', () => {
  it('a packet starting with version 6 decodes whole, with its extension headers', () => {
    const b = encodeIpv6Packet(
      mhPacket({
        src: HA,
        dst: COA,
        routingHeader2: HOA,
        message: { type: 'BA', status: 0, k: true, seq: 7, lifetime: 900 },
      }),
    );
    const j = decodeToJson(b);
    expect(j).toMatchObject({
      ipv6: { src: HA, dst: COA, hopLimit: 64 },
      extensions: [
        { type: 'routing', routingType: 2, segmentsLeft: 1, homeAddress: HOA },
        { type: 'mobility', message: { type: 'BA', status: 0, k: true, seq: 7, lifetime: 900 } },
      ],
    });
    expect(encodeFromJson(JSON.parse(JSON.stringify(j)))).toEqual(b);
  });

  it('computes the MH checksum when a hand-written packet leaves it out', () => {
    const b = encodeFromJson({
      ipv6: { src: COA, dst: HA },
      extensions: [
        { type: 'destinationOptions', options: [{ type: 'homeAddress', address: HOA }] },
        { type: 'mobility', message: { type: 'BU', seq: 3, a: true, h: true, lifetime: 5 } },
      ],
    });
    const j = decodeToJson(b); // verifies the checksum
    expect(j).toMatchObject({
      extensions: [{ options: [{ type: 'padN' }, { type: 'homeAddress' }] }, { message: { seq: 3 } }],
    });
  });

  it('round-trips every packet through JSON text', () => {
    fc.assert(
      fc.property(ipv6Packet, (p) => {
        const b = encodeIpv6Packet(p);
        const j = JSON.parse(JSON.stringify(ipv6PacketToJson(ipv6PacketFromJson(decodeToJson(b)))));
        expect(encodeFromJson(j)).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses bad packet documents with a JSON path', () => {
    const bad = (j: unknown) => errorOf(() => ipv6PacketFromJson(j)).message;
    expect(bad({ ipv6: { src: COA } })).toBe('EINVAL at $.ipv6.dst: expected a string, got nothing');
    expect(
      bad({
        ipv6: { src: COA, dst: HA },
        extensions: [{ type: 'routing', routingType: 2, segmentsLeft: 1, data: '00' }],
      }),
    ).toBe('EINVAL at $.extensions[0].data: a type 2 routing header has homeAddress, not data');
    expect(
      bad({ ipv6: { src: COA, dst: HA }, extensions: [{ type: 'mobility', message: { type: 'BU' } }] }),
    ).toBe('EINVAL at $.extensions[0].message.seq: expected an integer 0..65535, got nothing');
    expect(bad({ ipv6: { src: COA, dst: HA }, extensions: [{ type: 'wat' }] })).toBe(
      'EINVAL at $.extensions[0].type: unknown extension header "wat"',
    );
    expect(bad({ ipv6: { src: COA, dst: HA }, payload: { nextHeader: 300 } })).toBe(
      'EINVAL at $.payload.nextHeader: expected an integer 0..255, got 300',
    );
    expect(errorOf(() => encodeFromJson({ ipv6: { src: 'bad', dst: HA } })).message).toBe(
      'EINVAL at $.ipv6.src: source must be an IPv6 address, got "bad"',
    );
  });

  it('decode errors keep their byte offsets for the CLI', () => {
    expect(errorOf(() => decodeToJson(hexToBytes('3b02050000000007'))).message).toBe(
      'EINVAL at byte 1: Header Len 2 means 24 octets but only 8 are present',
    );
    expect(errorOf(() => decodeToJson(hexToBytes('60000000'))).message).toBe(
      'EINVAL at byte 4: IPv6 header truncated: 4 of 40 octets',
    );
    expect(bytesToHex(Uint8Array.of(0, 15, 255))).toBe('000fff');
  });
});
