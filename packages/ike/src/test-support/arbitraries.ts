/** fast-check generators of well-formed payloads and messages, for round-trip and fuzz tests. */
import { ipFromBytes } from '@mip6sec/core';
import fc from 'fast-check';
import { PAYLOAD } from '../constants.js';
import type { IkeMessage } from '../message.js';
import type { Payload, Proposal, TrafficSelector, Transform, TransformAttribute } from '../payloads/types.js';

const bytes = (max = 40, min = 0) => fc.uint8Array({ minLength: min, maxLength: max });
const critical = fc.option(fc.constant(true), { nil: undefined });

const attribute: fc.Arbitrary<TransformAttribute> = fc.oneof(
  fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), data: bytes(12) }),
);

const transform: fc.Arbitrary<Transform> = fc
  .record({
    type: fc.integer({ min: 1, max: 5 }),
    id: fc.integer({ min: 0, max: 0xffff }),
    attributes: fc.array(attribute, { maxLength: 2 }),
  })
  .map((t) => (t.attributes.length ? t : { type: t.type, id: t.id }));

const proposal: fc.Arbitrary<Proposal> = fc.record({
  num: fc.integer({ min: 1, max: 255 }),
  protocol: fc.integer({ min: 1, max: 3 }),
  spi: fc.constantFrom(0, 4, 8).chain((n) => bytes(n, n)),
  transforms: fc.array(transform, { minLength: 1, maxLength: 5 }),
});

const selector: fc.Arbitrary<TrafficSelector> = fc.oneof(
  fc
    .record({
      family: fc.constantFrom(4 as const, 6 as const),
      ipProto: fc.integer({ min: 0, max: 255 }),
      startPort: fc.integer({ min: 0, max: 0xffff }),
      endPort: fc.integer({ min: 0, max: 0xffff }),
      a: bytes(16, 16),
      b: bytes(16, 16),
    })
    .map(
      (r): TrafficSelector => ({
        tsType: r.family === 4 ? 7 : 8,
        ipProto: r.ipProto,
        startPort: r.startPort,
        endPort: r.endPort,
        start: ipFromBytes(r.a, 0, r.family),
        end: ipFromBytes(r.b, 0, r.family),
      }),
    ),
  fc.record({
    tsType: fc.constantFrom(9, 13, 200),
    ipProto: fc.integer({ min: 0, max: 255 }),
    data: bytes(20),
  }),
);

const known = new Set<number>(Object.values(PAYLOAD));

/** Any payload but SK/SKF (those must come last). */
export const arbitraryPayload: fc.Arbitrary<Payload> = fc
  .oneof(
    fc.record({
      kind: fc.constant('SA' as const),
      proposals: fc.array(proposal, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('KE' as const),
      group: fc.integer({ min: 0, max: 0xffff }),
      data: bytes(64),
    }),
    fc.record({
      kind: fc.constantFrom('IDi' as const, 'IDr' as const),
      idType: fc.integer({ min: 0, max: 255 }),
      data: bytes(),
    }),
    fc.record({
      kind: fc.constantFrom('CERT' as const, 'CERTREQ' as const),
      encoding: fc.integer({ min: 0, max: 255 }),
      data: bytes(),
    }),
    fc.record({
      kind: fc.constant('AUTH' as const),
      method: fc.integer({ min: 0, max: 255 }),
      data: bytes(),
    }),
    fc.record({ kind: fc.constantFrom('NONCE' as const, 'V' as const, 'EAP' as const), data: bytes() }),
    fc.record({
      kind: fc.constant('N' as const),
      protocol: fc.integer({ min: 0, max: 3 }),
      spi: fc.constantFrom(0, 4, 8).chain((n) => bytes(n, n)),
      notify: fc.integer({ min: 0, max: 0xffff }),
      data: bytes(),
    }),
    fc.constantFrom(0, 4, 8).chain((spiSize) =>
      fc.record({
        kind: fc.constant('D' as const),
        protocol: fc.integer({ min: 0, max: 3 }),
        spiSize: fc.constant(spiSize),
        spis: fc.array(bytes(spiSize, spiSize), { maxLength: 4 }),
      }),
    ),
    fc.record({
      kind: fc.constantFrom('TSi' as const, 'TSr' as const),
      selectors: fc.array(selector, { maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant('CP' as const),
      cfgType: fc.integer({ min: 0, max: 255 }),
      attributes: fc.array(fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), value: bytes(21) }), {
        maxLength: 4,
      }),
    }),
    fc.record({
      kind: fc.constant('UNKNOWN' as const),
      type: fc.integer({ min: 1, max: 255 }).filter((t) => !known.has(t)),
      critical: fc.constant(false),
      data: bytes(),
    }),
  )
  .chain((p) => critical.map((c) => (c && p.kind !== 'UNKNOWN' ? { ...p, critical: c } : p)));

const sealed: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({
    kind: fc.constant('SK' as const),
    firstPayload: fc.integer({ min: 0, max: 255 }),
    data: bytes(80),
  }),
  fc
    .record({
      kind: fc.constant('SKF' as const),
      firstPayload: fc.integer({ min: 0, max: 255 }),
      total: fc.integer({ min: 1, max: 0xffff }),
      data: bytes(40),
    })
    .chain((r) => fc.integer({ min: 1, max: r.total }).map((fragment) => ({ ...r, fragment }))),
);

export function arbitraryMessage(): fc.Arbitrary<IkeMessage> {
  return fc.record({
    spiI: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    spiR: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    exchange: fc.integer({ min: 0, max: 255 }),
    response: fc.boolean(),
    initiator: fc.boolean(),
    messageId: fc.integer({ min: 0, max: 0xffffffff }),
    payloads: fc
      .tuple(fc.array(arbitraryPayload, { maxLength: 6 }), fc.option(sealed, { nil: undefined }))
      .map(([ps, sk]) => (sk ? [...ps, sk] : ps)),
  });
}
