/**
 * AES-128-GCM seal and open of 1400-byte packets (a full ESP payload on a 1500-byte link) per provider
 * and engine, next to `openssl speed` on the same machine. Run after `npx nx build @mip6sec/crypto`:
 *   npm run bench -w @mip6sec/crypto [-- --seconds 1 --reps 3]
 *
 * Four ways per engine: the allocating CryptoProvider calls (aesGcmSeal / aesGcmOpen, a new array per
 * packet), the in-place contexts the ESP datapath uses (aeadContext: keyed once, output into the caller's
 * buffer), and, on the OpenSSL addon, batches of 64 packets per call. Seal rates are compared with
 * `openssl speed -evp aes-128-gcm`, open rates with `openssl speed -decrypt -evp aes-128-gcm`. Rates are
 * per CPU second of this process, as openssl speed counts user CPU time; best of the repeats, with the
 * spread.
 */
import { spawnSync } from 'node:child_process';
import { BATCH_ROW_FIELDS, BatchRow, OpensslAead, opensslAddon } from '@mip6sec/crypto-openssl';
import { aeadContext, NativeCryptoProvider, PortableCryptoProvider } from '../dist/index.js';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] !== undefined ? Number(process.argv[at + 1]) : fallback;
};
const PACKET = 1400;
const SECONDS = arg('seconds', 1);
const REPS = arg('reps', 3);
const BATCH = 64;

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Packets per CPU second of `step(i)` (which handles `per` packets), best and worst of the repeats. */
function measure(step, per = 1) {
  for (let i = 0; i < 200; i++) step(i); // warm the JIT and the cipher tables
  const runs = [];
  for (let r = 0; r < REPS; r++) {
    let n = 0;
    const t0 = cpu();
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) for (let k = 0; k < 64; k++) step(n++);
    runs.push((n * per) / ((cpu() - t0) / 1e6));
  }
  return { best: Math.max(...runs), worst: Math.min(...runs) };
}

function benchEngine(label, provider) {
  const key = new Uint8Array(16).fill(5);
  const aad = new Uint8Array(8).fill(6); // SPI and sequence number, as ESP authenticates them
  const nonce = new Uint8Array(12);
  const setNonce = (i) => {
    nonce[8] = i >>> 24;
    nonce[9] = i >>> 16;
    nonce[10] = i >>> 8;
    nonce[11] = i;
  };
  const plaintext = new Uint8Array(PACKET).fill(7);
  setNonce(0);
  const sealed = provider.aesGcmSeal(key, nonce, aad, plaintext);
  const out = [];
  out.push([
    'alloc seal',
    'encrypt',
    measure((i) => {
      setNonce(i);
      provider.aesGcmSeal(key, nonce, aad, plaintext);
    }),
  ]);
  setNonce(0);
  out.push(['alloc open', 'decrypt', measure(() => provider.aesGcmOpen(key, nonce, aad, sealed))]);
  const ctx = aeadContext(provider, 'aes-gcm', key);
  const buf = new Uint8Array(PACKET + 16);
  out.push([
    'in-place seal',
    'encrypt',
    measure((i) => {
      setNonce(i);
      ctx.seal(nonce, aad, buf, 0, PACKET);
    }),
  ]);
  // Open needs a valid tag each time: re-seal an untimed copy would cost as much, so open one sealed
  // packet copied in (the copy is 1400 bytes of memcpy, a few percent of the open).
  const work = new Uint8Array(PACKET + 16);
  setNonce(0);
  out.push([
    'in-place open',
    'decrypt',
    measure(() => {
      work.set(sealed);
      if (!ctx.open(nonce, aad, work, 0, PACKET)) throw new Error('open failed');
    }),
  ]);
  return { label, engine: ctx.engine, out };
}

function benchBatch() {
  const key = new Uint8Array(16).fill(5);
  const aead = new OpensslAead('aes-gcm', key, { salt: new Uint8Array(4).fill(1) });
  // ESP-like layout per packet: AAD (8), IV (8), data, tag (16).
  const stride = 8 + 8 + PACKET + 16;
  const buf = new Uint8Array(stride * BATCH);
  const table = new Uint32Array(BATCH * BATCH_ROW_FIELDS);
  for (let i = 0; i < BATCH; i++) {
    const row = i * BATCH_ROW_FIELDS;
    table[row + BatchRow.nonce] = i * stride + 8;
    table[row + BatchRow.aad] = i * stride;
    table[row + BatchRow.aadLength] = 8;
    table[row + BatchRow.data] = i * stride + 16;
    table[row + BatchRow.dataLength] = PACKET;
  }
  const seal = measure(() => aead.sealBatch(buf, table, BATCH), BATCH);
  aead.sealBatch(buf, table, BATCH);
  const sealedCopy = buf.slice();
  const open = measure(() => {
    buf.set(sealedCopy);
    if (aead.openBatch(buf, table, BATCH) !== BATCH) throw new Error('batch open failed');
  }, BATCH);
  return [
    [`batch seal (${BATCH}/call)`, 'encrypt', seal],
    [`batch open (${BATCH}/call)`, 'decrypt', open],
  ];
}

function opensslSpeed(decrypt) {
  const r = spawnSync(
    'openssl',
    [
      'speed',
      ...(decrypt ? ['-decrypt'] : []),
      '-evp',
      'aes-128-gcm',
      '-bytes',
      String(PACKET),
      '-seconds',
      String(Math.max(1, Math.round(SECONDS * 2))),
    ],
    { encoding: 'utf8' },
  );
  if (r.error) return undefined;
  // The last table row reads "AES-128-GCM    1681444.68k": thousands of bytes per second.
  const row = r.stdout.split('\n').find((line) => /^aes-128-gcm\s+[\d.]+k\s*$/i.test(line.trim()));
  return row ? (Number.parseFloat(row.trim().split(/\s+/)[1]) * 1000) / PACKET : undefined;
}

const fmt = (x, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (pps) => (pps * PACKET) / 1e6;

console.log(
  `AES-128-GCM, ${PACKET}-byte packets, ${REPS} x ${SECONDS} s per figure, per CPU second; node ${process.version}`,
);
const ssl = { encrypt: opensslSpeed(false), decrypt: opensslSpeed(true) };
const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout?.trim();
if (ssl.encrypt === undefined) console.log('openssl speed: not available, no ratios');
else
  console.log(
    `${version}: encrypt ${fmt(mb(ssl.encrypt), 1)} MB/s, decrypt ${fmt(mb(ssl.decrypt), 1)} MB/s (openssl speed -evp [-decrypt])`,
  );
const status = opensslAddon();
console.log(
  status.available
    ? `OpenSSL addon: ${status.library} (${status.directory})`
    : `OpenSSL addon not available: ${status.reason}`,
);

const engines = [
  ...(status.available ? [['native', new NativeCryptoProvider({ engine: 'openssl-addon' })]] : []),
  ['native', new NativeCryptoProvider({ engine: 'node:crypto' })],
  ['portable', new PortableCryptoProvider()],
];
const rows = [];
for (const [label, p] of engines) {
  const r = benchEngine(label, p);
  const who = r.engine === r.label ? r.label : `${r.label}/${r.engine}`;
  for (const [what, op, m] of r.out) rows.push([who, what, op, m]);
}
if (status.available) for (const [what, op, m] of benchBatch()) rows.push(['openssl-addon', what, op, m]);
for (const [who, what, op, m] of rows) {
  const ref = ssl[op];
  const ratio = ref === undefined ? '' : `  ${fmt((100 * m.best) / ref, 1)}% of openssl ${op}`;
  console.log(
    `${who.padEnd(22)} ${what.padEnd(20)} ${fmt(m.best).padStart(9)} packets/s ${fmt(mb(m.best), 1).padStart(7)} MB/s (spread ${fmt(mb(m.worst), 1)}..${fmt(mb(m.best), 1)})${ratio}`,
  );
}
