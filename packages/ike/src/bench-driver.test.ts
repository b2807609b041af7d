import { SystemClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { benchIkeSetups, benchResponder, percentile } from './bench-driver.js';
import { Lab } from './test-support/harness.js';
import { pair } from './test-support/peers.js';

describe('the IKE_SA setup benchmark driver', () => {
  let lab: Lab | undefined;
  afterEach(async () => lab?.stop());

  it('takes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(v, 50), percentile(v, 99), percentile(v, 100), percentile([7], 1)]).toEqual([
      50, 99, 100, 7,
    ]);
    expect(percentile([], 50)).toBeNaN();
  });

  it('makes fresh IKE SAs against a responder, times them, and deletes them afterwards', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab);
    const peer = {
      name: 'gw',
      local: '2001:db8::a',
      remote: '2001:db8::b',
      localId: 'alice@example.org',
      remoteId: 'gw.example.org',
      auth: { psk: 'correct horse battery staple' },
      ike: ['aes128-sha256-modp2048'],
      children: [
        { name: 'net', esp: ['aes128gcm16'], localTs: ['2001:db8:a::/48'], remoteTs: ['2001:db8:b::/48'] },
      ],
    };
    const r = await lab.run(
      benchIkeSetups(a.ike, peer, { count: 12, concurrency: 4, warmup: 2, clock: lab.clock }),
    );
    expect(r).toMatchObject({ count: 12, established: 12, failed: 0, failures: {} });
    // Four at a time over a 5 ms link: three rounds of two round trips, in virtual time.
    expect(r.latencyMs.p50).toBe(20);
    expect(r.seconds).toBeCloseTo(0.06, 2);
    expect(r.setupsPerSecond).toBe(200);
    // 12 + 2 warm-up IKE SAs were made by b as responder, and none is left.
    expect(b.of('ike.sa-established')).toHaveLength(14);
    expect(b.ike.listSas()).toEqual([]);
    expect(a.ike.listSas()).toEqual([]);
    // A wrong key: every setup fails and is counted by its code.
    const bad = await lab.run(
      benchIkeSetups(
        a.ike,
        { ...peer, auth: { psk: 'wrong' } },
        { count: 3, concurrency: 3, clock: lab.clock },
      ),
    );
    expect(bad).toMatchObject({ established: 0, failed: 3, failures: { AUTHENTICATION_FAILED: 3 } });
    await expect(benchIkeSetups(a.ike, peer, { count: 0, concurrency: 1 })).rejects.toMatchObject({
      code: 'EINVAL',
    });
  });

  it('runs our responder and initiator on the in-memory network in real time', async () => {
    const clock = new SystemClock();
    const r = await benchResponder({
      count: 6,
      concurrency: 3,
      clock,
      crypto: createCryptoProvider(),
      kernel: () => new SimKernel(new PfkeyKernel({ clock })),
    });
    expect(r).toMatchObject({ established: 6, failed: 0 });
    expect(r.setupsPerSecond).toBeGreaterThan(0);
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
  });
});
