// ESP encrypt+decrypt of 1400-byte packets with AES-128-GCM through two simulated kernels, per crypto
// provider, against `openssl speed -evp aes-128-gcm -bytes 1400` (encryption only) on the same machine.
// Needs the built packages (`npx nx run-many -t build`).
import { execFileSync } from 'node:child_process';
import { VirtualClock } from '@mip6sec/core';
import { NativeCryptoProvider, PortableCryptoProvider } from '@mip6sec/crypto';
import { buildUdp, PfkeyKernel } from '../dist/index.js';
import { newSaRecord } from '../dist/sad.js';

const A = '2001:db8::a';
const B = '2001:db8::b';
const SIZE = 1400;
// A UDP payload making the inner PDU 1400 bytes.
const payload = buildUdp(A, B, 4000, 5000, new Uint8Array(SIZE - 8).fill(7));

function kernelWith(crypto) {
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
      dir: 'out',
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
        enc: { alg: 'aes-gcm-16', key: new Uint8Array(20).fill(9) },
        replayWindow: 64,
      },
      0,
    ),
  );
  return k;
}

function run(crypto, seconds) {
  const tx = kernelWith(crypto);
  const rx = kernelWith(crypto);
  let packets = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) {
      const out = tx.datapath.output({ src: A, dst: B, proto: 17, payload });
      if (out.kind !== 'send' || rx.datapath.input(out.bytes).kind !== 'deliver')
        throw new Error('ESP round trip failed');
      packets++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { pps: packets / s, bytesPerSecond: (packets * SIZE) / s };
}

function opensslBytesPerSecond() {
  try {
    const out = execFileSync(
      'openssl',
      ['speed', '-seconds', '2', '-evp', 'aes-128-gcm', '-bytes', String(SIZE)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    // The table reports thousands of bytes per second: "AES-128-GCM  1234567.89k".
    const m = out.match(/aes-128-gcm\s+([\d.]+)k/i);
    return m ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

const ssl = opensslBytesPerSecond();
console.log(
  ssl === undefined
    ? 'openssl speed: not available'
    : `openssl speed -evp aes-128-gcm -bytes ${SIZE}: ${(ssl / 1e6).toFixed(1)} MB/s (encrypt only)`,
);
for (const [name, crypto] of [
  ['native', new NativeCryptoProvider()],
  ['portable', new PortableCryptoProvider()],
]) {
  run(crypto, 0.3); // warm-up
  const r = run(crypto, 2);
  const line = `ESP AES-128-GCM ${SIZE} B, ${name}: ${r.pps.toFixed(0)} packets/s encrypt+decrypt, ${(r.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  console.log(ssl === undefined ? line : `${line}; openssl/ours = ${(ssl / r.bytesPerSecond).toFixed(1)}`);
}
