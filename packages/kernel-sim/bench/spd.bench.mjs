// SPD lookup at 1k, 100k and 1M policies, and MIGRATE messages processed per second at 100k bindings.
// Needs the built package: `npx nx build @mip6sec/kernel-sim` (or tsc -b) first.
import { canonicalIp, selector, VirtualClock } from '@mip6sec/core';
import {
  buildMigrate,
  encode,
  IPPROTO_ESP,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TUNNEL,
} from '@mip6sec/pfkey-codec';
import { PfkeyKernel, Spd } from '../dist/index.js';

const HA = '2001:db8::1';
// Addresses in core's canonical text (RFC 5952), as the kernel writes them.
const hoa = (i) =>
  canonicalIp(`2001:db8:${(0x1000 + (i >>> 16)).toString(16)}:${(i & 0xffff).toString(16)}::100`);
const coa = (i, gen) =>
  canonicalIp(
    `2001:db8:${(0x8000 + gen).toString(16)}:${(i & 0xffff).toString(16)}:${(i >>> 16).toString(16)}::5`,
  );
const protect = (reqid, src, dst) => ({
  action: 'protect',
  priority: 10,
  templates: [{ proto: 'esp', mode: 'tunnel', level: 'unique', reqid, src, dst }],
});

function buildSpd(n) {
  const spd = new Spd();
  // One outbound tunnel policy per binding (HA side), plus wider policies a real SPD also holds.
  for (let i = 0; i < n; i++) {
    spd.add(
      { selector: selector({ addr: '::', len: 0 }, hoa(i)), dir: 'out' },
      protect((i % 0x3fff) + 1, HA, coa(i, 0)),
      false,
    );
  }
  spd.add(
    { selector: selector({ addr: '2001:db8::', len: 32 }, { addr: '2001:db8:ffff::', len: 48 }), dir: 'out' },
    { action: 'bypass', priority: 1, templates: [] },
    false,
  );
  spd.add(
    { selector: selector({ addr: '::', len: 0 }, { addr: '::', len: 0 }, { proto: 58 }), dir: 'out' },
    { action: 'bypass', priority: 0, templates: [] },
    false,
  );
  return spd;
}

function timeLookups(spd, n, count) {
  let x = 12345;
  const keys = [];
  for (let k = 0; k < 1000; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    keys.push({ src: '2001:db8:5::9', dst: hoa(x % n), proto: 17, srcPort: 4000, dstPort: 53 });
  }
  let hits = 0;
  for (let k = 0; k < 2000; k++) if (spd.lookup('out', keys[k % keys.length])) hits++; // warm-up
  const t0 = performance.now();
  for (let k = 0; k < count; k++) if (spd.lookup('out', keys[k % keys.length])) hits++;
  const ms = performance.now() - t0;
  if (hits < count) throw new Error('a lookup missed');
  return ms / count;
}

const sizes = [1_000, 100_000, 1_000_000];
const perLookup = {};
for (const n of sizes) {
  const t0 = performance.now();
  const spd = buildSpd(n);
  const built = performance.now() - t0;
  const us = timeLookups(spd, n, 200_000) * 1000;
  perLookup[n] = us;
  console.log(
    `SPD ${n.toLocaleString('en')} policies: built in ${(built / 1000).toFixed(1)} s, ${(1e6 / us).toFixed(0)} lookups/s (${us.toFixed(2)} µs each)`,
  );
}
const ratio = perLookup[1_000_000] / perLookup[1_000];
console.log(`1M/1k lookup time ratio: ${ratio.toFixed(2)} (aim < 3)`);

// MIGRATE at 100k bindings, through a PF_KEY socket: one message per binding moves its policy and SA.
{
  const n = 100_000;
  const kernel = new PfkeyKernel({ clock: new VirtualClock(), rcvbuf: 1 << 30 });
  for (let i = 0; i < n; i++) {
    const reqid = (i % 0x3fff) + 1;
    kernel.spd.add(
      { selector: selector({ addr: '::', len: 0 }, hoa(i)), dir: 'out' },
      protect(reqid, HA, coa(i, 0)),
      false,
    );
  }
  const { newSaRecord } = await import('../dist/sad.js');
  for (let i = 0; i < n; i++) {
    kernel.sad.insert(
      newSaRecord(
        { src: HA, dst: coa(i, 0), spi: 0x1000 + i, proto: 'esp' },
        {
          mode: 'tunnel',
          reqid: (i % 0x3fff) + 1,
          enc: { alg: 'aes-gcm-16', key: new Uint8Array(20) },
          replayWindow: 64,
        },
        0,
      ),
    );
  }
  const messages = [];
  for (let i = 0; i < n; i++) {
    messages.push(
      encode(
        buildMigrate({
          selector: { src: '::/0', dst: hoa(i) },
          dir: IPSEC_DIR_OUTBOUND,
          kmaddress: { local: HA, remote: coa(i, 1) },
          bundles: [
            {
              proto: IPPROTO_ESP,
              mode: IPSEC_MODE_TUNNEL,
              reqid: (i % 0x3fff) + 1,
              old: { src: HA, dst: coa(i, 0) },
              new: { src: HA, dst: coa(i, 1) },
            },
          ],
        }),
        { origin: 'user' },
      ),
    );
  }
  const mip6d = kernel.openSocket('mip6d');
  const ike = kernel.openSocket('ike');
  const t0 = performance.now();
  for (const m of messages) {
    mip6d.write(m);
    mip6d.readAll();
    ike.readAll();
  }
  const s = (performance.now() - t0) / 1000;
  const moved = kernel.sad.all().filter((r) => r.dst.startsWith('2001:db8:8001:')).length;
  if (moved !== n) throw new Error(`only ${moved} of ${n} SAs migrated`);
  console.log(
    `MIGRATE at ${n.toLocaleString('en')} bindings: ${(n / s).toFixed(0)} messages/s (${((s * 1e6) / n).toFixed(1)} µs each, broadcast to 2 sockets)`,
  );
}
