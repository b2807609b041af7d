/**
 * The comparison's headline, as relations that must hold on any seed: at 50 ms RTT and 1% loss,
 * over 200 handovers, MIGRATE and MSRD hand over without IKE and without violations in about one
 * MN-HA round trip; renegotiating needs IKE on every handover and takes clearly longer.
 */
import { describe, expect, it } from 'vitest';
import type { StrategyMetrics } from './metrics.js';
import { runScenario, STRATEGIES } from './scenario.js';

const RTT = 50;
const HANDOVERS = 200;
const SEEDS = [1, 2, 3];

async function run(strategy: string, seed: number): Promise<StrategyMetrics> {
  const r = await runScenario(strategy, {
    scenario: 'handover',
    mns: 1,
    handovers: HANDOVERS,
    rttMs: RTT,
    loss: 0.01,
    seed,
  });
  await r.world.stop();
  return r.metrics;
}

describe(`handover at ${RTT} ms RTT, 1% loss, ${HANDOVERS} handovers`, () => {
  const results = new Map<string, StrategyMetrics>();
  const key = (s: string, seed: number) => `${s}/${seed}`;

  for (const seed of SEEDS) {
    for (const strategy of STRATEGIES) {
      it(`${strategy}, seed ${seed}: every handover completes`, async () => {
        const m = await run(strategy, seed);
        results.set(key(strategy, seed), m);
        expect(m.handovers).toBe(HANDOVERS);
        expect(m.handoversCompleted).toBe(HANDOVERS);
        expect(m.interruptionMs.count).toBe(HANDOVERS);
        expect(m.steps).toHaveLength(HANDOVERS);
      }, 120_000);
    }
  }

  it.each(['migrate', 'msrd'])('%s: no IKE, no violation, a median interruption of about one RTT', (s) => {
    for (const seed of SEEDS) {
      const m = results.get(key(s, seed))!;
      expect(m.ikeExchanges, `seed ${seed}`).toBe(0);
      expect(m.ikeMessages, `seed ${seed}`).toBe(0);
      expect(m.invariantViolations, `seed ${seed}: ${JSON.stringify(m.violations.slice(0, 3))}`).toBe(0);
      // The BU's way to the HA and the first tunnelled datagram's way back, plus at most one
      // payload interval (10 ms) for the next datagram to leave the correspondent.
      expect(m.interruptionMs.median, `seed ${seed}`).toBeGreaterThanOrEqual(RTT);
      expect(m.interruptionMs.median, `seed ${seed}`).toBeLessThanOrEqual(RTT * 1.5);
      // One BU/BA per handover, a retransmission now and then at 1% loss.
      expect(m.roundTrips, `seed ${seed}`).toBeGreaterThanOrEqual(1);
      expect(m.roundTrips, `seed ${seed}`).toBeLessThan(1.2);
    }
  });

  it('renegotiate: IKE on every handover and a clearly longer interruption', () => {
    for (const seed of SEEDS) {
      const r = results.get(key('renegotiate', seed))!;
      const m = results.get(key('migrate', seed))!;
      for (const step of r.steps)
        expect(step.ikeExchanges, `seed ${seed} ${step.step}`).toBeGreaterThanOrEqual(1);
      // IKE_SA_INIT, IKE_AUTH and a CREATE_CHILD_SA at least: three round trips more than a BU/BA.
      expect(r.ikeExchanges / r.handovers, `seed ${seed}`).toBeGreaterThanOrEqual(3);
      expect(r.interruptionMs.median, `seed ${seed}`).toBeGreaterThanOrEqual(3 * m.interruptionMs.median);
      expect(r.interruptionMs.median, `seed ${seed}`).toBeGreaterThanOrEqual(4 * RTT);
      expect(r.roundTrips, `seed ${seed}`).toBeGreaterThan(m.roundTrips + 2);
      // Longer interruptions lose more payload and put more signalling on the air.
      expect(r.packetsLost, `seed ${seed}`).toBeGreaterThan(m.packetsLost);
      expect(r.signallingBytes, `seed ${seed}`).toBeGreaterThan(m.signallingBytes);
    }
  });

  it('the figures agree across seeds', () => {
    for (const s of STRATEGIES) {
      const medians = SEEDS.map((seed) => results.get(key(s, seed))!.interruptionMs.median);
      const lo = Math.min(...medians);
      const hi = Math.max(...medians);
      // The same design on another seed: the median moves by at most a payload interval or 20%.
      expect(hi - lo, `${s} medians ${medians.join(', ')}`).toBeLessThanOrEqual(Math.max(10, 0.2 * lo));
      const kernel = SEEDS.map((seed) => results.get(key(s, seed))!.kernelMessages / HANDOVERS);
      expect(Math.max(...kernel) / Math.min(...kernel), `${s} kernel messages per handover`).toBeLessThan(
        1.25,
      );
    }
    for (const seed of SEEDS) {
      const mig = results.get(key('migrate', seed))!;
      const msrd = results.get(key('msrd', seed))!;
      // The two interface designs hand over alike; they differ in how the kernel is told.
      expect(Math.abs(mig.interruptionMs.median - msrd.interruptionMs.median)).toBeLessThanOrEqual(10);
      expect(mig.handoversCompleted).toBe(msrd.handoversCompleted);
    }
  });
});
