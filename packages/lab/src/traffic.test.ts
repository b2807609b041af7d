import 'reflect-metadata';
import { renegotiateStrategy } from '@mip6sec/renegotiate';
import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation.js';
import { TrafficGenerator } from './traffic.js';
import { buildWorld } from './world.js';

describe('TrafficGenerator, probe mode', () => {
  it('a probe runs as long as its mark asks, and stops there when nothing comes back', async () => {
    const sim = new Simulation(1);
    // Everything on the foreign links is lost: the MN never registers, no payload comes back.
    const world = await buildWorld(sim, {
      mns: 2,
      rttMs: 50,
      loss: 1,
      foreignLinks: 2,
      strategy: () => renegotiateStrategy(),
    });
    const traffic = new TrafficGenerator(sim, world, { mode: 'probe', intervalMs: 10, probeMaxMs: 1000 });
    traffic.start();
    const [a, b] = world.mns as [(typeof world.mns)[number], (typeof world.mns)[number]];
    for (const mn of world.mns) world.attach(mn, world.foreignLinks[0]!);
    traffic.mark(a);
    traffic.mark(b, 5000);
    expect(traffic.activeFlows).toBe(2);
    await sim.runFor(2000);
    // The default probe (1 s) is over; the one marked for 5 s still sends.
    expect(traffic.activeFlows).toBe(1);
    const sentAt2s = traffic.flows.get(b.hoa)!.sent;
    await sim.runFor(2000);
    expect(traffic.flows.get(b.hoa)!.sent).toBeGreaterThan(sentAt2s);
    await sim.runFor(2000);
    expect(traffic.activeFlows).toBe(0);
    const sentAt6s = traffic.flows.get(b.hoa)!.sent;
    await sim.runFor(1000);
    expect(traffic.flows.get(b.hoa)!.sent).toBe(sentAt6s);
    await world.stop();
  });
});
