import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AOSP, RFC7634 } from './__fixtures__/vectors.js';
import { fromHex, toHex } from './bytes.js';
import { EXCHANGE, NOTIFY, PAYLOAD, PROTOCOL } from './constants.js';
import { IkeError } from './errors.js';
import { decodeHeader, decodeMessage, encodeMessage, type IkeMessage } from './message.js';
import { decodePayloads, encodePayloads } from './payloads/chain.js';
import type { Payload } from './payloads/types.js';
import { arbitraryMessage } from './test-support/arbitraries.js';

describe('IKE message codec', () => {
  it('decodes the AOSP IKE_SA_INIT request and encodes it back byte for byte', () => {
    // Source: AOSP IkeAuthPskPayloadTest.PSK_IKE_INIT_REQUEST_HEX_STRING.
    const bytes = fromHex(AOSP.ikeInitRequest);
    const m = decodeMessage(bytes);
    expect(m.exchange).toBe(EXCHANGE.IKE_SA_INIT);
    expect(m.initiator).toBe(true);
    expect(m.response).toBe(false);
    expect(m.messageId).toBe(0);
    expect(m.spiI).toBe(0x5f54bf6d8b48e6e1n);
    expect(m.spiR).toBe(0n);
    expect(m.payloads.map((p) => p.kind)).toEqual(['SA', 'KE', 'NONCE', 'N', 'N', 'V']);
    const sa = m.payloads[0];
    expect(sa?.kind === 'SA' && sa.proposals[0]?.transforms).toEqual([
      { type: 1, id: 12, attributes: [{ type: 14, value: 128 }] },
      { type: 3, id: 2 },
      { type: 4, id: 2 },
      { type: 2, id: 2 },
    ]);
    const ke = m.payloads[1];
    expect(ke?.kind === 'KE' && ke.group).toBe(2);
    expect(ke?.kind === 'KE' && ke.data.length).toBe(128);
    const nat = m.payloads[3];
    expect(nat?.kind === 'N' && nat.notify).toBe(NOTIFY.NAT_DETECTION_SOURCE_IP);
    expect(toHex(encodeMessage(m))).toBe(AOSP.ikeInitRequest);
  });

  it('decodes the AOSP IKE_AUTH inner payloads and re-encodes them byte for byte', () => {
    const plain = fromHex(AOSP.ikeAuthPlain);
    const payloads = decodePayloads(plain, 0, plain.length, PAYLOAD.IDi, { encrypted: true });
    expect(payloads.map((p) => p.kind)).toEqual(['IDi', 'IDr', 'AUTH', 'SA', 'TSi', 'TSr', 'N', 'N']);
    const tsi = payloads[4];
    expect(tsi?.kind === 'TSi' && tsi.selectors[0]).toEqual({
      tsType: 7,
      ipProto: 0,
      startPort: 0,
      endPort: 65535,
      start: '0.0.0.0',
      end: '255.255.255.255',
    });
    const sa = payloads[3];
    expect(sa?.kind === 'SA' && toHex(sa.proposals[0]!.spi)).toBe('2ad4c0a2');
    expect(sa?.kind === 'SA' && sa.proposals[0]!.protocol).toBe(PROTOCOL.ESP);
    const { first, bytes } = encodePayloads(payloads);
    expect(first).toBe(PAYLOAD.IDi);
    expect(toHex(bytes)).toBe(AOSP.ikeAuthPlain);
  });

  it('frames the sealed SK payload of an encrypted message and keeps it last', () => {
    const m = decodeMessage(fromHex(RFC7634.message));
    expect(m.exchange).toBe(EXCHANGE.INFORMATIONAL);
    expect(m.messageId).toBe(9);
    expect(m.initiator).toBe(false);
    const sk = m.payloads[0];
    expect(sk?.kind).toBe('SK');
    expect(sk?.kind === 'SK' && sk.firstPayload).toBe(PAYLOAD.N);
    expect(sk?.kind === 'SK' && sk.data.length).toBe(8 + 13 + 16);
    expect(toHex(encodeMessage(m))).toBe(RFC7634.message);
  });

  it('rejects a wrong major version with INVALID_MAJOR_VERSION and a bad length with INVALID_SYNTAX', () => {
    const bytes = fromHex(AOSP.ikeInitRequest);
    const v3 = bytes.slice();
    v3[17] = 0x30;
    expect(() => decodeHeader(v3)).toThrow(
      expect.objectContaining({ code: 'INVALID_MAJOR_VERSION', offset: 17 }),
    );
    expect(() => decodeHeader(bytes.subarray(0, 100))).toThrow(
      expect.objectContaining({ code: 'INVALID_SYNTAX' }),
    );
  });

  it('skips an unknown non-critical payload and rejects an unknown critical one with its type', () => {
    const base: IkeMessage = {
      spiI: 1n,
      spiR: 2n,
      exchange: EXCHANGE.INFORMATIONAL,
      response: false,
      initiator: true,
      messageId: 3,
      payloads: [
        { kind: 'UNKNOWN', type: 200, data: Uint8Array.of(1, 2, 3) },
        {
          kind: 'N',
          protocol: 0,
          spi: new Uint8Array(0),
          notify: NOTIFY.INITIAL_CONTACT,
          data: new Uint8Array(0),
        },
      ],
    };
    const ok = encodeMessage(base);
    expect(decodeMessage(ok).payloads[0]).toEqual({
      kind: 'UNKNOWN',
      type: 200,
      critical: false,
      data: Uint8Array.of(1, 2, 3),
    });
    const critical = encodeMessage({
      ...base,
      payloads: [{ ...base.payloads[0]!, critical: true }, base.payloads[1]!],
    });
    let err: unknown;
    try {
      decodeMessage(critical);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IkeError);
    expect((err as IkeError).code).toBe('UNSUPPORTED_CRITICAL_PAYLOAD');
    expect((err as IkeError).offset).toBe(28);
    expect((err as IkeError).notifyData).toEqual(Uint8Array.of(200));
  });

  it('keeps the critical bit of a known payload through a round trip', () => {
    const payloads: Payload[] = [{ kind: 'NONCE', critical: true, data: new Uint8Array(16).fill(7) }];
    const { first, bytes } = encodePayloads(payloads);
    expect(bytes[1]).toBe(0x80);
    expect(decodePayloads(bytes, 0, bytes.length, first)).toEqual(payloads);
  });

  it('rejects an SK payload that is not last and an SK inside SK', () => {
    const sk: Payload = { kind: 'SK', firstPayload: PAYLOAD.N, data: new Uint8Array(20) };
    const { bytes } = encodePayloads([sk]);
    const extended = new Uint8Array(bytes.length + 4);
    extended.set(bytes);
    expect(() => decodePayloads(extended, 0, extended.length, PAYLOAD.SK)).toThrow(
      expect.objectContaining({ code: 'INVALID_SYNTAX' }),
    );
    expect(() => decodePayloads(bytes, 0, bytes.length, PAYLOAD.SK, { encrypted: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_SYNTAX' }),
    );
  });

  it('round-trips every generated message byte for byte', () => {
    fc.assert(
      fc.property(arbitraryMessage(), (m) => {
        const bytes = encodeMessage(m);
        const back = decodeMessage(bytes);
        expect(toHex(encodeMessage(back))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('throws only IkeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(IkeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('throws only IkeError on mutated valid messages, with an offset inside the message', () => {
    fc.assert(
      fc.property(
        arbitraryMessage(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat()),
        (m, edits, cut) => {
          let bytes = encodeMessage(m);
          for (const [i, b] of edits) bytes[i % bytes.length] = b;
          if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
          try {
            decodeMessage(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(IkeError);
            const off = (e as IkeError).offset;
            if (off !== undefined) expect(off).toBeLessThanOrEqual(bytes.length);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
