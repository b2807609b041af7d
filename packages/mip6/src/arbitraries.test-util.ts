/** fast-check generators of Mobility Header messages and IPv6 packets, shared by the property tests. */
import { ipFromBytes } from '@mip6sec/core';
import fc from 'fast-check';
import type { ExtensionHeader, Ipv6Packet } from './ipv6-ext.js';
import type { MhMessage } from './mh-codec.js';
import type { MobilityOption } from './mh-options.js';

export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipFromBytes(b, 0, 6));
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const cookie = fc.uint8Array({ minLength: 8, maxLength: 8 });

export const mobilityOption: fc.Arbitrary<MobilityOption> = fc.oneof(
  u16.map((refreshInterval) => ({ type: 'bindingRefreshAdvice' as const, refreshInterval })),
  ipv6.map((address) => ({ type: 'alternateCareOfAddress' as const, address })),
  fc
    .record({ homeNonceIndex: u16, careOfNonceIndex: u16 })
    .map((r) => ({ type: 'nonceIndices' as const, ...r })),
  fc
    .uint8Array({ maxLength: 24 })
    .map((authenticator) => ({ type: 'bindingAuthorizationData' as const, authenticator })),
  fc
    .record({ optionType: fc.integer({ min: 6, max: 255 }), data: fc.uint8Array({ maxLength: 20 }) })
    .map((r) => ({ type: 'unknown' as const, ...r })),
  fc.integer({ min: 0, max: 9 }).map((n) => ({ type: 'padN' as const, data: new Uint8Array(n) })),
  fc.constant({ type: 'pad1' as const }),
);

const options = fc.array(mobilityOption, { maxLength: 5 });
const common = fc.record({
  payloadProto: fc.oneof(fc.constant(59), u8),
  headerReserved: fc.oneof(fc.constant(0), u8),
  checksum: u16,
});

export const mhMessage: fc.Arbitrary<MhMessage> = fc.oneof(
  fc
    .tuple(common, u16, options)
    .map(([c, reserved, o]) => ({ type: 'BRR' as const, ...c, reserved, options: o })),
  fc.tuple(common, u16, cookie, options).map(([c, reserved, homeInitCookie, o]) => ({
    type: 'HoTI' as const,
    ...c,
    reserved,
    homeInitCookie,
    options: o,
  })),
  fc.tuple(common, u16, cookie, options).map(([c, reserved, careOfInitCookie, o]) => ({
    type: 'CoTI' as const,
    ...c,
    reserved,
    careOfInitCookie,
    options: o,
  })),
  fc
    .tuple(common, u16, cookie, cookie, options)
    .map(([c, homeNonceIndex, homeInitCookie, homeKeygenToken, o]) => ({
      type: 'HoT' as const,
      ...c,
      homeNonceIndex,
      homeInitCookie,
      homeKeygenToken,
      options: o,
    })),
  fc
    .tuple(common, u16, cookie, cookie, options)
    .map(([c, careOfNonceIndex, careOfInitCookie, careOfKeygenToken, o]) => ({
      type: 'CoT' as const,
      ...c,
      careOfNonceIndex,
      careOfInitCookie,
      careOfKeygenToken,
      options: o,
    })),
  fc
    .tuple(
      common,
      u16,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 0x0fff }),
      u16,
      options,
    )
    .map(([c, seq, a, h, l, k, reserved, lifetime, o]) => ({
      type: 'BU' as const,
      ...c,
      seq,
      a,
      h,
      l,
      k,
      reserved,
      lifetime,
      options: o,
    })),
  fc
    .tuple(common, u8, fc.boolean(), fc.integer({ min: 0, max: 0x7f }), u16, u16, options)
    .map(([c, status, k, reserved, seq, lifetime, o]) => ({
      type: 'BA' as const,
      ...c,
      status,
      k,
      reserved,
      seq,
      lifetime,
      options: o,
    })),
  fc.tuple(common, u8, u8, ipv6, options).map(([c, status, reserved, homeAddress, o]) => ({
    type: 'BE' as const,
    ...c,
    status,
    reserved,
    homeAddress,
    options: o,
  })),
  fc
    .tuple(common, fc.integer({ min: 8, max: 255 }), fc.integer({ min: 0, max: 6 }))
    .chain(([c, mhType, n]) =>
      fc
        .uint8Array({ minLength: 2 + n * 8, maxLength: 2 + n * 8 })
        .map((data) => ({ type: 'unknown' as const, ...c, mhType, data })),
    ),
);

const ipv6Option = fc.oneof(
  ipv6.map((address) => ({ type: 'homeAddress' as const, address })),
  fc.integer({ min: 0, max: 6 }).map((n) => ({ type: 'padN' as const, data: new Uint8Array(n) })),
  fc
    .record({
      optionType: fc.integer({ min: 2, max: 255 }).filter((t) => t !== 201),
      data: fc.uint8Array({ maxLength: 12 }),
    })
    .map((r) => ({ type: 'unknown' as const, ...r })),
);

const extension: fc.Arbitrary<ExtensionHeader> = fc.oneof(
  fc.array(ipv6Option, { maxLength: 3 }).map((options) => ({ type: 'destinationOptions' as const, options })),
  fc
    .record({
      segmentsLeft: fc.integer({ min: 0, max: 1 }),
      homeAddress: ipv6,
      reserved: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
    })
    .map((r) => ({ type: 'routing' as const, routingType: 2, ...r })),
  fc
    .record({
      routingType: fc.integer({ min: 3, max: 255 }),
      segmentsLeft: u8,
      n: fc.integer({ min: 0, max: 3 }),
    })
    .chain((r) =>
      fc.uint8Array({ minLength: 4 + r.n * 8, maxLength: 4 + r.n * 8 }).map((data) => ({
        type: 'routing' as const,
        routingType: r.routingType,
        segmentsLeft: r.segmentsLeft,
        data,
      })),
    ),
);

/** Packets with Destination Options / routing headers, then either an MH or an opaque payload. */
export const ipv6Packet: fc.Arbitrary<Ipv6Packet> = fc
  .record({
    header: fc.record({
      trafficClass: u8,
      flowLabel: fc.integer({ min: 0, max: 0xfffff }),
      hopLimit: u8,
      src: ipv6,
      dst: ipv6,
    }),
    exts: fc.array(extension, { maxLength: 3 }),
    mh: fc.option(
      mhMessage.filter((m) => (m.payloadProto ?? 59) === 59),
      { nil: undefined },
    ),
    payload: fc.option(
      fc.record({ nextHeader: fc.constantFrom(6, 17, 50, 58), data: fc.uint8Array({ maxLength: 40 }) }),
      { nil: undefined },
    ),
  })
  .map(({ header, exts, mh, payload }) => {
    if (mh) return { header, extensions: [...exts, { type: 'mobility' as const, message: mh }] };
    return payload ? { header, extensions: exts, payload } : { header, extensions: exts };
  });
