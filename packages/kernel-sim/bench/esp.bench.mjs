// ESP with AES-128-GCM on 1400-byte packets through the simulated kernel's datapath, per crypto provider
// and engine, against `openssl speed` run in the same script: the outbound path (SPD lookup, SA, sequence
// number, ESP and IP header, encryption) against `openssl speed -evp aes-128-gcm -bytes 1400`, the inbound
// path (parse, SA by SPI, replay window, decryption, policy check) against `openssl speed -decrypt ...`,
// and both together against the rate OpenSSL would take for one encryption plus one decryption. The same
// paths with AES-128-CBC + HMAC-SHA-256-128 follow, without an OpenSSL ratio (no one openssl speed line
// measures that pair).
//
// Rates are per CPU second of this process (user + system), as `openssl speed` counts user CPU time, so
// other jobs on a shared machine slow both sides alike. Each measurement is repeated; the best and the
// spread (worst..best) are printed. Needs the built packages (`npx nx run-many -t build`).
//
//   node bench/esp.bench.mjs [--seconds 1] [--reps 5] [--only native/openssl-addon,portable] [--suites gcm,cbc]
import { execFileSync } from 'node:child_process';
import { VirtualClock } from '@mip6sec/core';
import { NativeCryptoProvider, PortableCryptoProvider } from '@mip6sec/crypto';
import { buildUdp, PfkeyKernel } from '../dist/index.js';
import { newSaRecord } from '../dist/sad.js';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
};
const SECONDS = Number(arg('seconds', '1'));
const REPS = Number(arg('reps', '5'));
const ONLY = arg('only', '').split(',').filter(Boolean);
const SUITES = arg('suites', 'gcm,cbc').split(',');
const SUITE_SA = {
  gcm: { label: 'AES-128-GCM', enc: { alg: 'aes-gcm-16', key: new Uint8Array(20).fill(9) } },
  cbc: {
    label: 'AES-128-CBC + HMAC-SHA-256-128',
    enc: { alg: 'aes-cbc', key: new Uint8Array(16).fill(9) },
    integ: { alg: 'hmac-sha2-256-128', key: new Uint8Array(32).fill(8) },
  },
};

const A = '2001:db8::a';
const B = '2001:db8::b';
const SIZE = 1400;
/** Packets made per timed batch; the inbound path is timed on packets made (untimed) just before. */
const BATCH = 512;
// A UDP payload making the inner PDU, the part ESP encrypts, 1400 bytes.
const payload = buildUdp(A, B, 4000, 5000, new Uint8Array(SIZE - 8).fill(7));

/** One end of the SA: the sender's kernel has the outbound policy, the receiver's the inbound one. */
function kernelWith(crypto, dir, suite) {
  const k = new PfkeyKernel({ clock: new VirtualClock(), crypto });
  k.spd.add(
    {
      selector: {
        src: { addr: A, len: 128 },
        dst: { addr: B, len: 128 },
        proto: 255,
        srcPort: 0,
        dstPort: 0,
      },
      dir,
    },
    {
      action: 'protect',
      priority: 0,
      templates: [{ proto: 'esp', mode: 'transport', level: 'require', reqid: 0 }],
    },
    false,
  );
  k.sad.insert(
    newSaRecord(
      { src: A, dst: B, spi: 0x100, proto: 'esp' },
      {
        mode: 'transport',
        reqid: 0,
        enc: SUITE_SA[suite].enc,
        ...(SUITE_SA[suite].integ ? { integ: SUITE_SA[suite].integ } : {}),
        replayWindow: 64,
      },
      0,
    ),
  );
  return k;
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Packets per CPU second of `mode` ('encrypt', 'decrypt' or 'both') for about `seconds` of wall time. */
function measure(crypto, suite, mode, seconds) {
  const tx = kernelWith(crypto, 'out', suite);
  const rx = kernelWith(crypto, 'in', suite);
  const sent = new Array(BATCH);
  const send = () => {
    const out = tx.datapath.output({ src: A, dst: B, proto: 17, payload });
    if (out.kind !== 'send') throw new Error(`outbound ESP failed: ${JSON.stringify(out)}`);
    return out.bytes;
  };
  const receive = (bytes) => {
    const r = rx.datapath.input(bytes);
    if (r.kind !== 'deliver') throw new Error(`inbound ESP failed: ${JSON.stringify(r)}`);
  };
  let packets = 0;
  let cpu = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    if (mode === 'decrypt') for (let i = 0; i < BATCH; i++) sent[i] = send();
    const t0 = cpuMicros();
    if (mode === 'encrypt') for (let i = 0; i < BATCH; i++) sent[i] = send();
    else if (mode === 'decrypt') for (let i = 0; i < BATCH; i++) receive(sent[i]);
    else for (let i = 0; i < BATCH; i++) receive(send());
    cpu += cpuMicros() - t0;
    packets += BATCH;
  }
  return packets / (cpu / 1e6);
}

/** Bytes per second from `openssl speed` (user CPU time), best of two runs, or undefined. */
function opensslRate(decrypt) {
  let best;
  for (let i = 0; i < 2; i++) {
    try {
      const out = execFileSync(
        'openssl',
        [
          'speed',
          '-seconds',
          String(Math.max(1, Math.round(SECONDS))),
          ...(decrypt ? ['-decrypt'] : []),
          '-evp',
          'aes-128-gcm',
          '-bytes',
          String(SIZE),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      // The table reports thousands of bytes per second: "AES-128-GCM  1234567.89k".
      const m = out.match(/aes-128-gcm\s+([\d.]+)k/i);
      if (m) best = Math.max(best ?? 0, Number(m[1]) * 1000);
    } catch {
      return undefined;
    }
  }
  return best;
}

const mb = (pps) => (pps * SIZE) / 1e6;
const fmt = (x, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

const opensslVersion = (() => {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();
const sslEnc = opensslRate(false);
const sslDec = opensslRate(true);
const ssl = { encrypt: sslEnc, decrypt: sslDec };
// One packet both ways costs an encryption plus a decryption.
if (sslEnc !== undefined && sslDec !== undefined) ssl.both = 1 / (1 / sslEnc + 1 / sslDec);

console.log(
  `ESP, ${SIZE}-byte packets, transport mode IPv6; ${REPS} x ${SECONDS} s per figure, ` +
    `rates per CPU second; node ${process.version}`,
);
if (sslEnc === undefined) console.log('openssl speed: not available, no ratios');
else
  console.log(
    `${opensslVersion}: encrypt ${fmt(sslEnc / 1e6)} MB/s, decrypt ${fmt(sslDec / 1e6)} MB/s, ` +
      `encrypt+decrypt ${fmt(ssl.both / 1e6)} MB/s`,
  );

const providers = [
  ['native/openssl-addon', () => new NativeCryptoProvider({ engine: 'openssl-addon' })],
  ['native/node:crypto', () => new NativeCryptoProvider({ engine: 'node:crypto' })],
  ['portable/noble', () => new PortableCryptoProvider()],
];
for (const suite of SUITES) {
  if (!SUITE_SA[suite]) throw new Error(`unknown suite ${suite} (gcm, cbc)`);
  console.log(`\n${SUITE_SA[suite].label}`);
  for (const [name, make] of providers) {
    if (ONLY.length > 0 && !ONLY.includes(name)) continue;
    let crypto;
    try {
      crypto = make();
    } catch (e) {
      console.log(`${name.padEnd(22)} not available: ${e.message}`);
      continue;
    }
    for (const mode of ['encrypt', 'decrypt', 'both']) {
      measure(crypto, suite, mode, Math.min(0.3, SECONDS)); // warm-up
      const runs = [];
      for (let r = 0; r < REPS; r++) runs.push(measure(crypto, suite, mode, SECONDS));
      const best = Math.max(...runs);
      const worst = Math.min(...runs);
      const ref = suite === 'gcm' ? ssl[mode] : undefined;
      const ratio = ref === undefined ? '' : `  ${fmt((100 * mb(best) * 1e6) / ref)}% of openssl`;
      console.log(
        `${name.padEnd(22)} ${mode.padEnd(8)} ${fmt(best, 0).padStart(9)} packets/s ${fmt(mb(best)).padStart(7)} MB/s` +
          ` (spread ${fmt(mb(worst))}..${fmt(mb(best))})${ratio}`,
      );
    }
  }
}
