/**
 * AES-128-GCM seal and open of 1400-byte packets (a full ESP payload on a 1500-byte link) for each
 * provider, next to `openssl speed` on the same machine. Run after `npx nx build @mip6sec/crypto`:
 *   npm run bench -w @mip6sec/crypto
 * openssl speed times encryption only, so the ratio compares our seal-only rate with it; the
 * seal+open rate is what an ESP endpoint that both sends and receives would see.
 */
import { spawnSync } from 'node:child_process';
import { NativeCryptoProvider, PortableCryptoProvider } from '../dist/index.js';

const PACKET = 1400;
const SECONDS = 2;

function measure(label, step) {
  // Warm up the JIT and the cipher tables before timing.
  for (let i = 0; i < 200; i++) step(i);
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 64; k++) step(n++);
  }
  const seconds = (performance.now() - start) / 1000;
  return { label, packetsPerSecond: n / seconds, mbPerSecond: (n * PACKET) / seconds / 1e6 };
}

function benchProvider(p) {
  const key = p.randomBytes(16);
  const aad = p.randomBytes(8); // SPI and sequence number, as ESP authenticates them
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  const plaintext = p.randomBytes(PACKET);
  const setNonce = (i) => view.setUint32(8, i >>> 0);
  const seal = measure('seal', (i) => {
    setNonce(i);
    p.aesGcmSeal(key, nonce, aad, plaintext);
  });
  const both = measure('seal+open', (i) => {
    setNonce(i);
    const sealed = p.aesGcmSeal(key, nonce, aad, plaintext);
    p.aesGcmOpen(key, nonce, aad, sealed);
  });
  return { name: p.name, seal, both };
}

function opensslSpeed() {
  const r = spawnSync(
    'openssl',
    ['speed', '-evp', 'aes-128-gcm', '-bytes', String(PACKET), '-seconds', String(SECONDS)],
    {
      encoding: 'utf8',
    },
  );
  if (r.error) return { missing: `openssl could not be run (${r.error.code ?? r.error.message})` };
  // The last table row reads "AES-128-GCM    1681444.68k": thousands of bytes per second.
  const row = r.stdout.split('\n').find((line) => /^aes-128-gcm\s+[\d.]+k\s*$/i.test(line.trim()));
  if (!row) return { missing: `openssl speed printed no AES-128-GCM row (exit ${r.status})` };
  const bytesPerSecond = Number.parseFloat(row.trim().split(/\s+/)[1]) * 1000;
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
  return { version, mbPerSecond: bytesPerSecond / 1e6, packetsPerSecond: bytesPerSecond / PACKET };
}

const fmt = (x, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`AES-128-GCM, ${PACKET}-byte packets, ${SECONDS} s per measurement, node ${process.version}\n`);
const results = [new NativeCryptoProvider(), new PortableCryptoProvider()].map(benchProvider);
const openssl = opensslSpeed();

for (const r of results) {
  for (const m of [r.seal, r.both]) {
    console.log(
      `${r.name.padEnd(9)} ${m.label.padEnd(10)} ${fmt(m.packetsPerSecond).padStart(10)} packets/s ${fmt(m.mbPerSecond, 1).padStart(8)} MB/s`,
    );
  }
}
if (openssl.missing) {
  console.log(`\n${openssl.missing}: no ratio printed.`);
} else {
  console.log(
    `${'openssl'.padEnd(9)} ${'seal'.padEnd(10)} ${fmt(openssl.packetsPerSecond).padStart(10)} packets/s ${fmt(openssl.mbPerSecond, 1).padStart(8)} MB/s  (${openssl.version}, openssl speed -evp)`,
  );
  console.log('\nratio ours/openssl (seal-only, like for like):');
  for (const r of results)
    console.log(`  ${r.name.padEnd(9)} ${fmt(r.seal.mbPerSecond / openssl.mbPerSecond, 3)}`);
}
