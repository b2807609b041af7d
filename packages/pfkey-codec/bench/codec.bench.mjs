/**
 * Decode and encode rates of @mip6sec/pfkey-codec for three typical messages, next to JSON.parse and
 * JSON.stringify of the same message's JSON form (toJson output) measured in the same run.
 *
 *   npx nx build @mip6sec/pfkey-codec && node packages/pfkey-codec/bench/codec.bench.mjs
 *   (or: npm run bench -w @mip6sec/pfkey-codec)
 *
 * "decode / JSON.parse" above 1 means decoding the bytes is that many times faster than parsing the JSON.
 */
import { decode, encode, toJson } from '../dist/index.js';
import { MESSAGES } from './messages.mjs';

const MIN_NS = BigInt(Number(process.env.BENCH_MS ?? 400) * 1e6);
let sink = 0;

/** Operations per second of `fn`, after a warm-up, over at least MIN_NS. */
function rate(fn) {
  for (let i = 0; i < 20000; i++) sink += fn() ? 1 : 0;
  let ops = 0;
  let batch = 1000;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < MIN_NS) {
    for (let i = 0; i < batch; i++) sink += fn() ? 1 : 0;
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
    batch = Math.min(batch * 2, 100000);
  }
  return (ops * 1e9) / Number(elapsed);
}

const fmt = (n) => `${(n / 1e3).toFixed(0).padStart(7)} k/s`;
const rows = [];
for (const [name, msg] of Object.entries(MESSAGES)) {
  const bytes = encode(msg);
  const obj = toJson(msg);
  const text = JSON.stringify(obj);
  const dec = rate(() => decode(bytes));
  const parse = rate(() => JSON.parse(text));
  const enc = rate(() => encode(msg));
  const stringify = rate(() => JSON.stringify(obj));
  rows.push({ name, bytes: bytes.length, json: text.length, dec, parse, enc, stringify });
}

const header = [
  'message',
  'bytes',
  'JSON chars',
  'decode',
  'JSON.parse',
  'decode/parse',
  'encode',
  'JSON.stringify',
  'encode/stringify',
];
const lines = rows.map((r) => [
  r.name,
  String(r.bytes),
  String(r.json),
  fmt(r.dec),
  fmt(r.parse),
  `${(r.dec / r.parse).toFixed(1)}x`,
  fmt(r.enc),
  fmt(r.stringify),
  `${(r.enc / r.stringify).toFixed(1)}x`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const row = (cells) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`@mip6sec/pfkey-codec bench, node ${process.version} (messages per second)\n`);
console.log(row(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const l of lines) console.log(row(l));
if (sink === 0.5) console.log(sink);
