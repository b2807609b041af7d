/**
 * A MIGRATE that never reaches the MN's kernel (the strategy's test seam loses the first one that
 * moves a tunnel): the reconciliation repairs it within the handover, nothing restarted; with the
 * reconciliation off (`--no-reconcile`) the tunnel stays on the old CoA and the invariant checker
 * says so, naming the step, the host and the object.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.js';

const run = async (reconcile: boolean) => {
  const r = await runScenario('migrate', {
    scenario: 'lost-migrate',
    mns: 1,
    handovers: 3,
    rttMs: 50,
    loss: 0,
    seed: 5,
    reconcile,
  });
  await r.world.stop();
  return r.metrics;
};

describe('lost MIGRATE', () => {
  let lostWithRepair = 0;

  it('is recovered by the reconciliation, without restarting anything', async () => {
    const m = await run(true);
    lostWithRepair = m.packetsLost;
    expect(m.strategyCounters.migratesLost).toBe(1);
    expect(m.strategyCounters.reconcileMigrates).toBeGreaterThanOrEqual(1);
    expect(m.handoversCompleted).toBe(3);
    expect(m.invariantViolations, JSON.stringify(m.violations.slice(0, 3))).toBe(0);
    // No IKE: the repair is one more MIGRATE, not a re-negotiation.
    expect(m.ikeExchanges).toBe(0);
  });

  it('without the reconciliation, the invariant checker catches the inconsistency', async () => {
    const m = await run(false);
    expect(m.strategyCounters.migratesLost).toBe(1);
    expect(m.strategyCounters.reconcileMigrates).toBe(0);
    expect(m.invariantViolations).toBeGreaterThan(0);
    const first = m.violations[0]!;
    expect(first.step).toBe('handover 1');
    expect(first.host).toBe('mn1');
    expect(first.object).toMatch(/^(SP|SA) /);
    expect(['tunnel endpoint = CoA', 'SA endpoint = CoA']).toContain(first.rule);
    // The MN's own state is what went wrong; the step is named in every report.
    expect(m.violations.every((v) => v.step.startsWith('handover '))).toBe(true);
    expect(m.violations.some((v) => v.host === 'mn1')).toBe(true);
    // The MN's uplink kept leaving from the old CoA until the next move re-pointed the tunnel.
    expect(m.packetsLost).toBeGreaterThan(lostWithRepair);
  });
});
