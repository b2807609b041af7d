/**
 * `mip6sec mh decode|encode` run as a subprocess on messages built with @mip6sec/mip6's encoders: a bare
 * Binding Update and whole IPv6 packets (BU with a Home Address option, BA with a type 2 routing header)
 * decode to the values they were built from and come back byte for byte through a shell pipe.
 */
import { type BindingUpdate, bytesToHex, encodeIpv6Packet, encodeMh, mhPacket } from '@mip6sec/mip6';
import { describe, expect, it } from 'vitest';
import { cli, expectInputError, shell } from './cli.test-util.js';

const HOA = '2001:db8::100';
const HA = '2001:db8::1';
const COA = '2001:db8:1::5';

const bu: BindingUpdate = {
  type: 'BU',
  seq: 7,
  a: true,
  h: true,
  k: true,
  lifetime: 225,
  options: [{ type: 'alternateCareOfAddress', address: COA }],
};
// The checksum covers the pseudo-header of the home address, so the bare BU and the packet sent
// from the CoA with a Home Address option carry the same one.
const buHex = bytesToHex(encodeMh(bu, { src: HOA, dst: HA }));
const buPacketHex = bytesToHex(
  encodeIpv6Packet(mhPacket({ src: COA, dst: HA, homeAddressOption: HOA, message: bu })),
);
const baPacketHex = bytesToHex(
  encodeIpv6Packet(
    mhPacket({
      src: HA,
      dst: COA,
      routingHeader2: HOA,
      message: { type: 'BA', status: 0, k: true, seq: 7, lifetime: 225 },
    }),
  ),
);

function decoded(hex: string): Record<string, unknown> {
  const r = cli(['mh', 'decode', hex]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function expectPipeRoundTrip(hex: string): void {
  const r = shell('mip6sec mh decode "$HEX" | mip6sec mh encode', { HEX: hex });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${hex}\n`);
  const stdin = shell('echo "0x$HEX" | mip6sec mh decode --compact | mip6sec mh encode -', { HEX: hex });
  expect(stdin.stdout).toBe(`${hex}\n`);
}

describe('mh decode and encode', () => {
  it('a bare Binding Update', () => {
    const json = decoded(buHex);
    expect(json).toMatchObject({ type: 'BU', seq: 7, a: true, h: true, l: false, k: true, lifetime: 225 });
    expect(json.options).toContainEqual({ type: 'alternateCareOfAddress', address: COA });
    expect(json.payloadProto).toBe(59);
    expect(json.checksum).not.toBe(0);
    expectPipeRoundTrip(buHex);
  });

  it('an IPv6 packet carrying a BU with a Home Address option', () => {
    const json = decoded(buPacketHex) as { ipv6: unknown; extensions: Record<string, unknown>[] };
    expect(json.ipv6).toMatchObject({ src: COA, dst: HA, hopLimit: 64 });
    expect(json.extensions.map((e) => e.type)).toEqual(['destinationOptions', 'mobility']);
    expect(json.extensions[0]?.options).toContainEqual({ type: 'homeAddress', address: HOA });
    const bare = decoded(buHex);
    expect(json.extensions[1]?.message).toEqual(bare);
    expectPipeRoundTrip(buPacketHex);
  });

  it('an IPv6 packet carrying a BA with a type 2 routing header', () => {
    const json = decoded(baPacketHex) as { ipv6: unknown; extensions: Record<string, unknown>[] };
    expect(json.ipv6).toMatchObject({ src: HA, dst: COA });
    expect(json.extensions[0]).toEqual({
      type: 'routing',
      routingType: 2,
      segmentsLeft: 1,
      homeAddress: HOA,
    });
    expect(json.extensions[1]?.message).toMatchObject({
      type: 'BA',
      status: 0,
      k: true,
      seq: 7,
      lifetime: 225,
    });
    expectPipeRoundTrip(baPacketHex);
  });
});

describe('bad MH input: one error line, status 1', () => {
  it('truncated messages and packets, a wrong checksum, bad hex', () => {
    expectInputError(cli(['mh', 'decode', buHex.slice(0, -8)]), /^error: EINVAL at byte 1: .+$/);
    expectInputError(cli(['mh', 'decode', '3b0a']), /^error: EINVAL at byte 2: .+$/);
    expectInputError(cli(['mh', 'decode', buPacketHex.slice(0, -4)]), /^error: EINVAL at byte 4: .+$/);
    // one bit of the Home Address changed: the pseudo-header no longer matches the checksum
    const spoofed = buPacketHex.replace('c91020010db8', 'c91020010db9');
    expect(spoofed).not.toBe(buPacketHex);
    expectInputError(cli(['mh', 'decode', spoofed]), /^error: EINVAL at byte \d+: checksum .+$/);
    expectInputError(cli(['mh', 'decode', `${buHex}g`]), /^error: EINVAL at byte 32: not a hex digit: "g"$/);
    expectInputError(cli(['mh', 'decode'], ''), /^error: EINVAL at byte 0: empty input$/);
  });

  it('JSON the encoder refuses, located by its path', () => {
    const path = /^error: EINVAL at \$\.[a-z]+: .+$/;
    expectInputError(cli(['mh', 'encode', '{"type":"BU","seq":70000,"lifetime":1}']), path);
    expectInputError(cli(['mh', 'encode'], '{"type":"XX"}'), path);
    expectInputError(cli(['mh', 'encode', '[1,']), /^error: EINVAL( at byte \d+)?: not JSON: .+$/);
  });
});
