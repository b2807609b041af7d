/**
 * A long fuzzing run of the decoder (the unit tests run the same properties briefly): seeds are valid
 * messages built with the package's builders, damaged by bit flips, byte overwrites, truncation, length
 * changes and splicing, plus plain random bytes. Every decode must either succeed, in which case the
 * message re-encodes to exactly the same bytes, or throw PfkeyError with an offset inside the input. Any
 * other exception, an out-of-range offset or a round-trip difference fails the run; fast-check prints the
 * counterexample and its seed.
 *
 *   npx nx build @mip6sec/pfkey-codec && node packages/pfkey-codec/fuzz/fuzz-decode.mjs [runs] [seed]
 *   (or: npm run fuzz -w @mip6sec/pfkey-codec)
 */
import fc from 'fast-check';
import { MESSAGES } from '../bench/messages.mjs';
import { decode, encode, PfkeyError, toHex } from '../dist/index.js';

const runs = Number(process.argv[2] ?? 200000);
const seed = process.argv[3] === undefined ? Date.now() : Number(process.argv[3]);

const seeds = Object.values(MESSAGES).map((m) => encode(m));
const origins = ['any', 'user', 'kernel'];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('u16'), at: fc.nat(), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({
    kind: fc.constant('splice'),
    at: fc.nat(),
    other: fc.nat(),
    len: fc.integer({ min: 1, max: 64 }),
  }),
);

function mutate(bytes, muts) {
  let b = bytes.slice();
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] ^= 1 << m.bit;
    else if (m.kind === 'byte') b[at] = m.value;
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else if (m.kind === 'u16' && at + 1 < b.length) {
      b[at] = m.value & 0xff;
      b[at + 1] = m.value >> 8;
    } else if (m.kind === 'splice') {
      const src = m.other % b.length;
      b.copyWithin(at, src, Math.min(b.length, src + m.len));
    }
  }
  return b;
}

const input = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
      .map(([s, m]) => mutate(s, m)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
);

let accepted = 0;
let refused = 0;
const started = process.hrtime.bigint();
fc.assert(
  fc.property(input, fc.constantFrom(...origins), (bytes, origin) => {
    let msg;
    try {
      msg = decode(bytes, { origin });
    } catch (e) {
      if (!(e instanceof PfkeyError)) throw e;
      if (e.offset < 0 || e.offset > bytes.length)
        throw new Error(`offset ${e.offset} outside ${bytes.length} bytes: ${e.message}`);
      if (e.message !== `${e.code} at byte ${e.offset}: ${e.reason}`)
        throw new Error(`bad message format: ${e.message}`);
      refused++;
      return;
    }
    accepted++;
    const again = toHex(encode(msg, { origin }));
    if (again !== toHex(bytes)) throw new Error(`round trip differs:\n in  ${toHex(bytes)}\n out ${again}`);
  }),
  { numRuns: runs, seed },
);
const secs = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  `fuzz-decode: ${runs} inputs (seed ${seed}) in ${secs.toFixed(1)} s: ${accepted} accepted and re-encoded identically, ${refused} refused with PfkeyError, nothing else thrown`,
);
