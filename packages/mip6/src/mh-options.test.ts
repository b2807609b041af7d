import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mobilityOption } from './arbitraries.test-util.js';
import { bytesToHex } from './json.js';
import { decodeMh, encodeMh } from './mh-codec.js';
import {
  decodeMobilityOptions,
  findOption,
  layoutMobilityOptions,
  MOBILITY_OPTION_ALIGNMENT,
  type MobilityOption,
  optionSize,
  padding,
  paddingFor,
} from './mh-options.js';

const COA = '2001:db8:1::5';

/** Offset of each non-padding option inside an encoded MH. */
function offsets(b: Uint8Array, fixed: number): { type: number; at: number }[] {
  const out: { type: number; at: number }[] = [];
  let p = fixed;
  while (p < b.length) {
    if (b[p] === 0) {
      p++;
      continue;
    }
    if (b[p] !== 1) out.push({ type: b[p]!, at: p });
    p += 2 + b[p + 1]!;
  }
  return out;
}

describe('every mobility option (RFC 6275 §6.2.2–6.2.7)', () => {
  const cases: [string, MobilityOption, string][] = [
    ['Pad1 (0)', { type: 'pad1' }, '00'],
    ['PadN (1)', { type: 'padN', data: new Uint8Array(3) }, '0103000000'],
    [
      'Binding Refresh Advice (2), 4-second units',
      { type: 'bindingRefreshAdvice', refreshInterval: 0x0102 },
      '02020102',
    ],
    [
      'Alternate Care-of Address (3)',
      { type: 'alternateCareOfAddress', address: COA },
      '031020010db8000100000000000000000005',
    ],
    [
      'Nonce Indices (4)',
      { type: 'nonceIndices', homeNonceIndex: 0x0a0b, careOfNonceIndex: 0x0c0d },
      '04040a0b0c0d',
    ],
    [
      'Binding Authorization Data (5)',
      { type: 'bindingAuthorizationData', authenticator: Uint8Array.from({ length: 12 }, (_, i) => i) },
      '050c000102030405060708090a0b',
    ],
    [
      'unknown type kept opaque',
      { type: 'unknown', optionType: 42, data: Uint8Array.of(9, 8, 7) },
      '2a03090807',
    ],
  ];
  for (const [name, o, hex] of cases) {
    it(name, () => {
      expect(optionSize(o)).toBe(hex.length / 2);
      // Inside a BRR (fixed part 8), laid out with padding, then read back.
      const b = encodeMh({ type: 'BRR', options: [o] });
      expect(bytesToHex(b)).toContain(hex);
      const d = decodeMh(b);
      expect(d.type === 'BRR' && d.options?.filter((x) => x.type !== 'pad1' && x.type !== 'padN')).toEqual(
        o.type === 'pad1' || o.type === 'padN' ? [] : [o],
      );
    });
  }

  it('findOption returns the first option of a kind', () => {
    const opts: MobilityOption[] = [
      { type: 'pad1' },
      { type: 'alternateCareOfAddress', address: COA },
      { type: 'alternateCareOfAddress', address: '::1' },
    ];
    expect(findOption(opts, 'alternateCareOfAddress')?.address).toBe(COA);
    expect(findOption(opts, 'nonceIndices')).toBeUndefined();
  });
});

describe('alignment (RFC 6275 §6.2: BRA 2n, Alt-CoA 8n+6, Nonce 2n, BAD 8n+2; the MH a multiple of 8)', () => {
  it('the table says what the RFC says', () => {
    expect(MOBILITY_OPTION_ALIGNMENT).toEqual({
      bindingRefreshAdvice: { x: 2, y: 0 },
      alternateCareOfAddress: { x: 8, y: 6 },
      nonceIndices: { x: 2, y: 0 },
      bindingAuthorizationData: { x: 8, y: 2 },
    });
  });

  it('paddingFor and padding choose Pad1 for one octet and PadN otherwise', () => {
    expect(paddingFor(12, { x: 8, y: 6 })).toBe(2);
    expect(paddingFor(14, { x: 8, y: 6 })).toBe(0);
    expect(paddingFor(15, { x: 8, y: 6 })).toBe(7);
    expect(paddingFor(13, { x: 2, y: 0 })).toBe(1);
    expect(paddingFor(8, { x: 8, y: 2 })).toBe(2);
    expect(paddingFor(5, undefined)).toBe(0);
    expect(padding(0)).toEqual([]);
    expect(padding(1)).toEqual([{ type: 'pad1' }]);
    expect(padding(2)).toEqual([{ type: 'padN', data: new Uint8Array(0) }]);
    expect(padding(6)).toEqual([{ type: 'padN', data: new Uint8Array(4) }]);
  });

  it('Alt-CoA after a BU fixed part is preceded by PadN(0) — the UMIP/RFC layout', () => {
    const laid = layoutMobilityOptions([{ type: 'alternateCareOfAddress', address: COA }], 12, true);
    expect(laid.map((o) => o.type)).toEqual(['padN', 'alternateCareOfAddress']);
    expect(laid.reduce((n, o) => n + optionSize(o), 12)).toBe(32);
  });

  it('every laid-out option meets its alignment and every MH is a multiple of 8 octets', () => {
    const TYPE_ALIGN: Record<number, [number, number]> = { 2: [2, 0], 3: [8, 6], 4: [2, 0], 5: [8, 2] };
    fc.assert(
      fc.property(
        fc.constantFrom(8, 12, 16, 24),
        fc.array(mobilityOption, { maxLength: 6 }),
        (fixed, options) => {
          const type = fixed === 8 ? 'BRR' : fixed === 12 ? 'BU' : fixed === 16 ? 'HoTI' : 'BE';
          const base =
            type === 'BRR'
              ? { type }
              : type === 'BU'
                ? { type, seq: 1, lifetime: 1 }
                : type === 'HoTI'
                  ? { type, homeInitCookie: new Uint8Array(8) }
                  : { type, status: 1, homeAddress: '::' };
          const b = encodeMh({ ...base, options } as Parameters<typeof encodeMh>[0]);
          expect(b.length % 8).toBe(0);
          for (const { type: t, at } of offsets(b, fixed)) {
            const a = TYPE_ALIGN[t];
            if (a) expect(at % a[0]).toBe(a[1]);
          }
          // And the strict decoder agrees.
          expect(() => decodeMh(b)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodeMobilityOptions reads an options area inside a larger buffer', () => {
    const area = Uint8Array.of(0, 0, 0, 0, 0, 0, 0x02, 0x02, 0x00, 0x05);
    expect(decodeMobilityOptions(area, 4, 10, 0)).toEqual([
      { type: 'pad1' },
      { type: 'pad1' },
      { type: 'bindingRefreshAdvice', refreshInterval: 5 },
    ]);
  });
});
