import { buildIpPacket, buildUdp } from '@mip6sec/kernel-sim';
import { describe, expect, it } from 'vitest';
import type { NetworkNode } from './network.js';
import { encodePcap, LINKTYPE_RAW } from './pcap.js';
import { Rng } from './rng.js';
import { Simulation } from './simulation.js';

const packet = (src: string, dst: string, n: number) =>
  buildIpPacket({ src, dst, proto: 17, payload: buildUdp(src, dst, 9, 9, Uint8Array.of(n)) });

function sink(name: string, log: { at: number; n: number }[], sim: Simulation): NetworkNode {
  return { name, deliver: (b) => log.push({ at: sim.now(), n: b[b.length - 1]! }) };
}

describe('Network', () => {
  it('delivers after the delay of both links and routes on the destination', async () => {
    const sim = new Simulation(1);
    const got: { at: number; n: number }[] = [];
    const a = sink('a', [], sim);
    const b = sink('b', got, sim);
    sim.network.addLink({ name: 'la', delayMs: 10 });
    sim.network.addLink({ name: 'lb', delayMs: 15 });
    sim.network.attach(a, 'la', '2001:db8::a');
    sim.network.attach(b, 'lb', '2001:db8::b');
    sim.network.transmit(a, packet('2001:db8::a', '2001:db8::b', 7));
    await sim.runFor(24);
    expect(got).toEqual([]);
    await sim.runFor(2);
    expect(got).toEqual([{ at: 25, n: 7 }]);
  });

  it('drops packets from an address the sender does not own, and to one that left', async () => {
    const sim = new Simulation(1);
    const got: { at: number; n: number }[] = [];
    const a = sink('a', [], sim);
    const b = sink('b', got, sim);
    sim.network.addLink({ name: 'l', delayMs: 5 });
    sim.network.attach(a, 'l', '2001:db8::a');
    sim.network.attach(b, 'l', '2001:db8::b');
    sim.network.transmit(b, packet('2001:db8::a', '2001:db8::b', 1));
    sim.network.transmit(a, packet('2001:db8::a', '2001:db8::b', 2));
    sim.network.detach('2001:db8::b');
    await sim.runFor(50);
    expect(got).toEqual([]);
    expect(sim.network.noRoute).toBe(2);
  });

  it('loses the same packets for the same seed, and different ones for another', async () => {
    const run = async (seed: number) => {
      const sim = new Simulation(seed);
      const got: { at: number; n: number }[] = [];
      const a = sink('a', [], sim);
      const b = sink('b', got, sim);
      sim.network.addLink({ name: 'l', delayMs: 5, loss: 0.3, jitterMs: 2 });
      sim.network.attach(a, 'l', '2001:db8::a');
      sim.network.attach(b, 'l', '2001:db8::b');
      for (let i = 0; i < 200; i++) sim.network.transmit(a, packet('2001:db8::a', '2001:db8::b', i & 0xff));
      await sim.runFor(100);
      return got;
    };
    const one = await run(42);
    expect(await run(42)).toEqual(one);
    expect(await run(43)).not.toEqual(one);
    // 0.3 loss applies on the sending and the receiving side of one shared link: about half arrive.
    expect(one.length).toBeGreaterThan(60);
    expect(one.length).toBeLessThan(150);
  });

  it('duplicates and reorders as configured, the same way for the same seed', async () => {
    const run = async (seed: number, opts: { duplicate?: number; reorder?: number }) => {
      const sim = new Simulation(seed);
      const got: { at: number; n: number }[] = [];
      const a = sink('a', [], sim);
      const b = sink('b', got, sim);
      sim.network.addLink({ name: 'l', delayMs: 5, ...opts });
      sim.network.attach(a, 'l', '2001:db8::a');
      sim.network.attach(b, 'l', '2001:db8::b');
      for (let i = 0; i < 100; i++) {
        sim.network.transmit(a, packet('2001:db8::a', '2001:db8::b', i));
        await sim.runFor(1);
      }
      await sim.runFor(50);
      return got.map((g) => g.n);
    };
    const dup = await run(9, { duplicate: 0.2 });
    expect(dup.length).toBeGreaterThan(110);
    expect(dup.length).toBeLessThan(135);
    expect(new Set(dup).size).toBe(100);
    expect(await run(9, { duplicate: 0.2 })).toEqual(dup);
    const reordered = await run(9, { reorder: 0.2 });
    expect(reordered).toHaveLength(100);
    expect([...reordered].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // A held-back packet is overtaken by the ones sent after it.
    const inversions = reordered.filter((n, i) => i > 0 && n < reordered[i - 1]!).length;
    expect(inversions).toBeGreaterThan(5);
    expect(await run(9, {})).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('drops the next matching packets on request', async () => {
    const sim = new Simulation(1);
    const got: { at: number; n: number }[] = [];
    const a = sink('a', [], sim);
    const b = sink('b', got, sim);
    sim.network.addLink({ name: 'l', delayMs: 1 });
    sim.network.attach(a, 'l', '2001:db8::a');
    sim.network.attach(b, 'l', '2001:db8::b');
    sim.network.dropNext((bytes) => bytes[bytes.length - 1] === 2, 1);
    for (const n of [1, 2, 2, 3]) sim.network.transmit(a, packet('2001:db8::a', '2001:db8::b', n));
    await sim.runFor(10);
    expect(got.map((g) => g.n)).toEqual([1, 2, 3]);
  });
});

describe('Rng', () => {
  it('is deterministic and forks independent streams', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new Rng(5).fork('x').next()).not.toEqual(new Rng(5).fork('y').next());
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('pcap', () => {
  it('writes a classic little-endian header with LINKTYPE_RAW and one record per packet', () => {
    const p = packet('2001:db8::a', '2001:db8::b', 1);
    const out = encodePcap([{ timeMs: 1500.25, bytes: p }]);
    const v = new DataView(out.buffer);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect(v.getUint32(20, true)).toBe(LINKTYPE_RAW);
    expect(v.getUint32(24, true)).toBe(1);
    expect(v.getUint32(28, true)).toBe(500250);
    expect(v.getUint32(32, true)).toBe(p.length);
    expect(out.subarray(40)).toEqual(p);
  });
});
