/**
 * Properties (fast-check, bounded runs): model -> bytes -> model and bytes -> model -> bytes round trips,
 * the JSON form round trip, and that decoding arbitrary or damaged bytes only ever throws PfkeyError with an
 * offset inside the input (never RangeError from an out-of-bounds read, never a hang).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbExtensionSoup,
  arbGetReplyWithReplay,
  arbMigrate,
  arbSpdAddWithRef,
} from './arbitraries.test-util.js';
import { decode, decodeAll } from './decode.js';
import { encode } from './encode.js';
import { toHex } from './ip-address.js';
import { fromJson, toJson } from './json.js';
import type { PfkeyMessage } from './model.js';
import { PfkeyError } from './pfkey-error.js';
import { SAMPLES } from './samples.test-util.js';

const RUNS = { numRuns: 400 };

const anyMessage = fc.oneof(arbExtensionSoup, arbMigrate, arbSpdAddWithRef, arbGetReplyWithReplay);

/** Decodes; returns the message, or checks the error is a PfkeyError pointing into the input. */
function decodeOrPfkeyError(bytes: Uint8Array): PfkeyMessage | undefined {
  try {
    return decode(bytes);
  } catch (e) {
    if (!(e instanceof PfkeyError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(bytes.length);
    expect(e.message).toBe(`${e.code} at byte ${e.offset}: ${e.reason}`);
    return undefined;
  }
}

describe('round trips', () => {
  it('model -> bytes -> model gives the same model, and the same bytes again', () => {
    fc.assert(
      fc.property(anyMessage, (m) => {
        const bytes = encode(m);
        expect(bytes.length % 8).toBe(0);
        const back = decode(bytes);
        expect(back).toEqual(m);
        expect(toHex(encode(back))).toBe(toHex(bytes));
      }),
      RUNS,
    );
  });

  it('model -> JSON text -> model encodes to the same bytes', () => {
    fc.assert(
      fc.property(anyMessage, (m) => {
        const text = JSON.stringify(toJson(m));
        expect(toHex(encode(fromJson(JSON.parse(text))))).toBe(toHex(encode(m)));
      }),
      RUNS,
    );
  });

  it('bytes -> model -> bytes is the identity for every damaged message the decoder still accepts', () => {
    const damaged = anyMessage.chain((m) => {
      const bytes = encode(m);
      return fc
        .array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((flips) => {
          const b = bytes.slice();
          for (const [i, bit] of flips) b[i] = (b[i] as number) ^ (1 << bit);
          return b;
        });
    });
    let accepted = 0;
    fc.assert(
      fc.property(damaged, (b) => {
        const m = decodeOrPfkeyError(b);
        if (m) {
          accepted++;
          expect(toHex(encode(m, { validate: false }))).toBe(toHex(b));
          expect(toHex(encode(m))).toBe(toHex(b));
        }
      }),
      { numRuns: 1000 },
    );
    // Plenty of single-bit changes land in values (addresses, keys, counters) and stay valid.
    expect(accepted).toBeGreaterThan(50);
  });

  it('every sample round-trips through decodeAll when concatenated', () => {
    const parts = SAMPLES.map((s) => encode(s.msg, { origin: s.origin }));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    const msgs = decodeAll(all);
    expect(msgs).toHaveLength(SAMPLES.length);
    msgs.forEach((m, i) => {
      expect(toHex(encode(m))).toBe(toHex(parts[i] as Uint8Array));
    });
  });
});

describe('hostile input only ever raises PfkeyError', () => {
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        decodeOrPfkeyError(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('a valid header followed by arbitrary extension bytes', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 40 }))
      .chain(([type, words]) =>
        fc.uint8Array({ minLength: 8 * words, maxLength: 8 * words }).map((body) => {
          const b = new Uint8Array(16 + body.length);
          b.set([2, type, 0, 0, (2 + words) & 0xff, (2 + words) >> 8]);
          b.set(body, 16);
          return b;
        }),
      );
    fc.assert(
      fc.property(arb, (b) => void decodeOrPfkeyError(b)),
      { numRuns: 1000 },
    );
  });

  it('truncated messages: EMSGSIZE, or EINVAL for stray bytes', () => {
    fc.assert(
      fc.property(
        anyMessage.chain((m) => {
          const b = encode(m);
          return fc.nat(b.length - 1).map((n) => b.subarray(0, n));
        }),
        (b) => {
          expect(() => decode(b)).toThrow(PfkeyError);
          try {
            decode(b);
          } catch (e) {
            expect(['EMSGSIZE', 'EINVAL']).toContain((e as PfkeyError).code);
          }
        },
      ),
      RUNS,
    );
  });

  it('an extension made longer than it is: refused at its header when it runs past the message', () => {
    const arb = anyMessage
      .filter((m) => m.extensions.length > 0)
      .chain((m) => {
        const b = encode(m);
        // Offsets of the extension headers.
        const offs: number[] = [];
        const dv = new DataView(b.buffer);
        for (let o = 16; o < b.length; o += dv.getUint16(o, true) * 8) offs.push(o);
        return fc.tuple(fc.constant(b), fc.constantFrom(...offs), fc.integer({ min: 1, max: 70000 }));
      });
    fc.assert(
      fc.property(arb, ([bytes, off, grow]) => {
        const b = bytes.slice();
        const dv = new DataView(b.buffer);
        const words = dv.getUint16(off, true) + grow;
        if (words > 0xffff) return;
        dv.setUint16(off, words, true);
        if (off + words * 8 > b.length) {
          expect(() => decode(b)).toThrow(`EINVAL at byte ${off}: sadb_ext_len says ${words * 8} bytes`);
        } else {
          // Inside the message it swallows its neighbours: refused, unless its body is opaque bytes
          // (identity, kmprivate, unknown), and then what was accepted still re-encodes exactly.
          const m = decodeOrPfkeyError(b);
          if (m) expect(toHex(encode(m))).toBe(toHex(b));
        }
      }),
      RUNS,
    );
  });
});
