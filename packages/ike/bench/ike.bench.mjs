/**
 * IKE_SA setups per second of our responder, driven by our initiator over the in-memory network
 * in this process (no sockets, no root): IKE_SA_INIT + IKE_AUTH with the first CHILD_SA installed
 * in kernel-sim, C at a time, with p50/p90/p99 setup latency. Both ends share one thread, so the
 * rate counts the initiator's work too; `--json` prints the results for tools.
 *
 *   npx nx build @mip6sec/ike && npm run bench -w @mip6sec/ike [-- --count 400 --concurrency 16 --json]
 *
 * The driver is `benchResponder` / `benchIkeSetups` from @mip6sec/ike (src/bench-driver.ts), the
 * one to reuse against another responder (bench/charon.bench.mjs compares with strongSwan).
 */
// An entry point: tsyringe (behind @inject in the daemon) needs the metadata polyfill first.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { SystemClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { benchResponder } from '../dist/index.js';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '40' },
    crypto: { type: 'string', default: 'native' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(opts.count);
const concurrency = Number(opts.concurrency);
const warmup = Number(opts.warmup);
for (const [k, v] of Object.entries({ count, concurrency, warmup })) {
  if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1)) {
    process.stderr.write(`error: --${k} must be a whole number${k === 'warmup' ? '' : ' above 0'}\n`);
    process.exit(1);
  }
}

const clock = new SystemClock();
const crypto = createCryptoProvider(opts.crypto);
const kernel = () => new SimKernel(new PfkeyKernel({ clock, crypto }));
const suites = [
  { ike: ['aes128gcm16-prfsha256-x25519'], esp: ['aes128gcm16'] },
  { ike: ['aes128gcm16-prfsha256-ecp256'], esp: ['aes128gcm16'] },
  { ike: ['aes128-sha256-modp2048'], esp: ['aes128-sha256'] },
];

const results = [];
for (const s of suites) {
  const cpu0 = process.cpuUsage();
  const r = await benchResponder({
    count,
    concurrency,
    warmup,
    clock,
    crypto,
    kernel,
    ike: s.ike,
    esp: s.esp,
  });
  const cpu = process.cpuUsage(cpu0);
  results.push({ ...s, ...r, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e3) / 1e3 });
}

if (opts.json)
  process.stdout.write(
    `${JSON.stringify({ node: process.version, crypto: opts.crypto, results }, null, 2)}\n`,
  );
else {
  process.stdout.write(
    `IKE_SA setups (IKE_SA_INIT + IKE_AUTH + CHILD_SA), ${count} per suite, ${concurrency} at a time, ${opts.crypto} crypto, Node ${process.version}\n`,
  );
  for (const r of results) {
    const l = r.latencyMs;
    process.stdout.write(
      `  ${r.ike[0].padEnd(32)} ${r.setupsPerSecond.toFixed(1).padStart(7)} setups/s  p50 ${l.p50.toFixed(1)} ms  p90 ${l.p90.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms  (${r.established}/${r.count} ok, CPU ${r.cpuSeconds} s)\n`,
    );
  }
}
if (results.some((r) => r.established === 0)) process.exit(1);
