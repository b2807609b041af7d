/**
 * Every scenario under every strategy, and what each scenario is for: its specific expectation
 * (a handover that still completes after a lost BU, a binding gone at home, no IKE needed after
 * the HA's IKE daemon restarts, ...). Small runs: a few handovers at 50 ms RTT, 1% loss.
 */
import type { SecurityAssociation } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import type { StrategyMetrics } from './metrics.js';
import { runScenario, SCENARIOS, ScenarioInterrupted, type ScenarioOptions, STRATEGIES } from './scenario.js';
import type { World } from './world.js';

async function run(
  strategy: string,
  scenario: string,
  extra: Partial<ScenarioOptions> = {},
): Promise<{ m: StrategyMetrics; world: World }> {
  const r = await runScenario(strategy, {
    scenario,
    mns: 1,
    handovers: 3,
    rttMs: 50,
    loss: 0.01,
    seed: 7,
    ...extra,
  });
  await r.world.stop();
  return { m: r.metrics, world: r.world };
}

const inPlace = ['migrate', 'msrd'] as const;

describe('every scenario under every strategy', () => {
  for (const scenario of SCENARIOS) {
    it.each([...STRATEGIES])(`${scenario} / %s runs to the end`, async (strategy) => {
      const { m } = await run(strategy, scenario, { handovers: 2 });
      expect(m.scenario).toBe(scenario);
      expect(m.strategy).toBe(strategy);
      expect(m.handovers).toBe(scenario === 'bootstrap' ? 1 : 2);
      expect(m.handoversCompleted).toBe(m.handovers);
    });
  }
});

describe('what each scenario shows', () => {
  it.each([...STRATEGIES])(
    'bootstrap / %s: IKE from scratch, registered, payload through the tunnel',
    async (s) => {
      const { m } = await run(s, 'bootstrap', { mns: 3 });
      expect(m.handovers).toBe(3);
      expect(m.handoversCompleted).toBe(3);
      // IKE_SA_INIT, IKE_AUTH (the BU/BA SA) and a CREATE_CHILD_SA for the tunnel, per MN.
      expect(m.ikeExchanges).toBeGreaterThanOrEqual(3 * 3);
      expect(m.interruptionMs.count).toBe(3);
      expect(m.invariantViolations).toBe(0);
    },
  );

  it.each([...STRATEGIES])('lost-bu / %s: the handover completes through BU retransmission', async (s) => {
    const { m, world } = await run(s, 'lost-bu');
    expect(m.handoversCompleted).toBe(3);
    // Each handover's first BU was lost: the MN sent it again after INITIAL_BINDACK_TIMEOUT (1 s).
    expect(world.mns[0]!.mn.stats().retransmissions).toBeGreaterThanOrEqual(3);
    expect(m.interruptionMs.median).toBeGreaterThanOrEqual(1000);
    expect(m.invariantViolations, JSON.stringify(m.violations.slice(0, 3))).toBe(0);
  });

  it.each([...STRATEGIES])('lost-ba / %s: the handover completes through BU retransmission', async (s) => {
    const { m, world } = await run(s, 'lost-ba');
    expect(m.handoversCompleted).toBe(3);
    expect(world.mns[0]!.mn.stats().retransmissions).toBeGreaterThanOrEqual(3);
    // The HA took the binding before its BA was lost: payload is back after about one round trip.
    const base = (await run(s, 'handover')).m;
    expect(m.interruptionMs.median).toBeLessThanOrEqual(base.interruptionMs.median + 10);
    expect(m.invariantViolations, JSON.stringify(m.violations.slice(0, 3))).toBe(0);
  });

  it.each([...STRATEGIES])(
    'return-home / %s: deregistered at home, tunnel gone, and back again',
    async (s) => {
      const { m, world } = await run(s, 'return-home', { handovers: 3 });
      // Home, away, home: two deregistrations, and payload back through the tunnel in between.
      expect(m.handoversCompleted).toBe(3);
      const mn = world.mns[0]!;
      expect(mn.mn.stats().returnsHome).toBe(2);
      expect(m.interruptionMs.count).toBe(1);
      expect(mn.coa).toBe(mn.hoa);
      expect(world.ha.agent.lookup(mn.hoa)).toBeUndefined();
      const tunnels = (p: { templates: readonly { mode: string }[] }) =>
        p.templates.some((t) => t.mode === 'tunnel');
      expect(world.ha.inspect.policies().filter(tunnels)).toEqual([]);
      expect(mn.inspect.policies().filter(tunnels)).toEqual([]);
      // Both ends agree where the SAs are: MIGRATE and MSRD moved the tunnel SAs back to the HoA on
      // the MN and on the HA (inside the HA's binding-deleted hold); renegotiation replaced them.
      expect(m.invariantViolations, JSON.stringify(m.violations.slice(0, 3))).toBe(0);
      const mnEnd = (x: SecurityAssociation, ha: string) => (x.src === ha ? x.dst : x.src);
      for (const x of world.ha.inspect.sas().filter((x) => x.mode === 'tunnel' && x.state !== 'larval'))
        expect(mnEnd(x, world.ha.address)).toBe(mn.hoa);
    },
  );

  it.each([...STRATEGIES])(
    'return-home / %s, seeds 1-3: no violations, and every move away needs IKE only without an interface',
    async (s) => {
      for (const seed of [1, 2, 3]) {
        const { m } = await run(s, 'return-home', { handovers: 4, seed });
        expect(m.handoversCompleted).toBe(4);
        expect(m.invariantViolations, `seed ${seed}: ${JSON.stringify(m.violations.slice(0, 3))}`).toBe(0);
        if (s !== 'renegotiate') {
          expect(m.interruptionMs.median, `seed ${seed}`).toBeLessThan(100);
          expect(m.ikeExchanges).toBe(0);
        } else {
          for (const step of m.steps)
            expect(step.ikeExchanges, `seed ${seed} ${step.step}`).toBeGreaterThan(0);
        }
      }
    },
  );

  it.each([...inPlace])(
    'return-home / %s without loss: payload at home arrives natively and counts as delivered',
    async (s) => {
      const { m } = await run(s, 'return-home', { handovers: 4, loss: 0 });
      expect(m.invariantViolations).toBe(0);
      // Half the time is spent at home; only what the two moves away cost in flight is lost.
      expect(m.packetsSent).toBeGreaterThan(400);
      expect(m.packetsLost / m.packetsSent).toBeLessThan(0.03);
    },
  );

  it.each([...inPlace])('ike-restart / %s: handovers need no IKE, the HA holds no IKE_SA', async (s) => {
    const { m, world } = await run(s, 'ike-restart');
    expect(m.handoversCompleted).toBe(3);
    expect(m.ikeExchanges).toBe(0);
    expect(m.invariantViolations).toBe(0);
    expect(world.ha.ike.ikeSas()).toEqual([]);
    expect(m.interruptionMs.median).toBeLessThan(100);
  });

  it('ike-restart / renegotiate: re-establishes with the restarted daemon on every handover', async () => {
    const { m, world } = await run('renegotiate', 'ike-restart');
    expect(m.handoversCompleted).toBe(3);
    for (const step of m.steps) expect(step.ikeExchanges).toBeGreaterThanOrEqual(3);
    const mn = world.mns[0]!;
    const established = world.ha.ike.ikeSas().filter((i) => i.state === 'established');
    expect(established.map((i) => i.remote.ip)).toContain(mn.coa);
    // The SAs the restarted daemon forgot, on the CoA of the bootstrap, go when the binding
    // leaves that CoA: nothing is left on an address the MN left.
    expect(m.invariantViolations, JSON.stringify(m.violations.slice(0, 3))).toBe(0);
    expect(world.ha.strategy.metrics().orphanSasDeleted).toBeGreaterThanOrEqual(2);
    const coas = new Set(world.mns.map((x) => x.coa));
    const haSas = await world.ha.kernel.dumpSas();
    for (const sa of haSas.filter((x) => x.mode === 'tunnel'))
      expect(coas.has(sa.src === world.ha.address ? sa.dst : sa.src), `${sa.src} -> ${sa.dst}`).toBe(true);
  });

  it.each([...inPlace])(
    'rekey-during-handover / %s, seeds 1-3: no violations, payload back within about one round trip',
    async (s) => {
      for (const seed of [1, 2, 3]) {
        const { m } = await run(s, 'rekey-during-handover', { seed });
        expect(m.handoversCompleted).toBe(3);
        expect(m.invariantViolations, `seed ${seed}: ${JSON.stringify(m.violations.slice(0, 3))}`).toBe(0);
        // The rekeys (CREATE_CHILD_SA, then the old CHILD_SA's delete) and nothing else ran.
        expect(m.ikeExchanges).toBeGreaterThanOrEqual(1);
        // The request in flight went again from the new CoA when the IKE_SA moved: its answer came
        // back with the BA, not after the 4 s retransmission.
        expect(m.interruptionMs.median, `seed ${seed}`).toBeLessThan(100);
        expect(m.interruptionMs.max, `seed ${seed}`).toBeLessThan(1000);
      }
    },
  );

  it.each(['handover', 'rekey-during-handover'])(
    '%s / renegotiate, seeds 1-3: IKE again on every handover, and no state left behind',
    async (scenario) => {
      for (const seed of [1, 2, 3]) {
        const { m, world } = await run('renegotiate', scenario, { seed });
        expect(m.handoversCompleted).toBe(3);
        expect(m.invariantViolations, `seed ${seed}: ${JSON.stringify(m.violations.slice(0, 3))}`).toBe(0);
        // INIT, AUTH (with the BU/BA CHILD_SA) and the tunnel's CREATE_CHILD_SA, per move.
        for (const step of m.steps)
          expect(step.ikeExchanges, `seed ${seed} ${step.step}`).toBeGreaterThanOrEqual(3);
        // No negotiation toward an old CoA is left on the HA: one IKE_SA, established, on the CoA.
        const mn = world.mns[0]!;
        expect(world.ha.ike.ikeSas().map((x) => [x.remote.ip, x.state])).toEqual([[mn.coa, 'established']]);
      }
    },
  );

  it.each([...inPlace])(
    'rekey-during-handover / %s: the tunnel SAs were replaced, the transport SAs kept',
    async (s) => {
      let before: SecurityAssociation[] = [];
      const r = await runScenario(s, {
        scenario: 'rekey-during-handover',
        mns: 1,
        handovers: 1,
        rttMs: 50,
        loss: 0,
        seed: 3,
        // The move: the rekey's request is in flight, nothing new is installed yet.
        onHandover: (mn) => {
          before = mn.inspect.sas().filter((x) => x.state !== 'larval');
        },
      });
      const after = r.world.mns[0]!.inspect.sas();
      await r.world.stop();
      const spis = (list: SecurityAssociation[], mode: string) =>
        new Set(list.filter((x) => x.mode === mode).map((x) => x.spi));
      expect(spis(before, 'tunnel').size).toBe(2);
      expect(spis(after, 'tunnel').size).toBe(2);
      expect([...spis(after, 'tunnel')].filter((x) => spis(before, 'tunnel').has(x))).toEqual([]);
      expect(spis(after, 'transport')).toEqual(spis(before, 'transport'));
      expect(r.metrics.invariantViolations).toBe(0);
    },
  );

  it.each([...STRATEGIES])('storm / %s: many MNs moving at random times all reach consistency', async (s) => {
    const { m } = await run(s, 'storm', { mns: 12, handovers: 2 });
    expect(m.handovers).toBe(24);
    expect(m.handoversCompleted).toBe(24);
    expect(m.interruptionMs.count).toBe(24);
    expect(m.invariantViolations, JSON.stringify(m.violations.slice(0, 3))).toBe(0);
    if (s !== 'renegotiate') expect(m.ikeExchanges).toBe(0);
  });

  it('storm: the moves are spread over the window at seeded times', async () => {
    const times = async (seed: number) => {
      const at: number[] = [];
      const r = await runScenario('msrd', {
        scenario: 'storm',
        mns: 8,
        handovers: 1,
        rttMs: 50,
        loss: 0,
        seed,
        onHandover: (_mn, t) => at.push(t),
      });
      await r.world.stop();
      // The first eight are the bootstrap, all at once.
      return at.slice(8);
    };
    const a = await times(11);
    expect(a).toHaveLength(8);
    expect(await times(11)).toEqual(a);
    expect(await times(12)).not.toEqual(a);
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(200);
  });

  it('a run over its wall-clock budget stops and says how far it got', async () => {
    const err = await runScenario('msrd', {
      scenario: 'storm',
      mns: 20,
      handovers: 50,
      rttMs: 50,
      loss: 0,
      seed: 1,
      wallBudgetMs: 300,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioInterrupted);
    const p = (err as ScenarioInterrupted).progress;
    expect(['build', 'bootstrap', 'steps']).toContain(p.phase);
    expect(p.handovers).toBeLessThan(20 * 50);
  });
});
