import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COA1, COA2, COA3, HOA } from './fake-network.test-util.js';
import { prng, type Scenario, scenario } from './scenario.test-util.js';
import { seqNewer } from './sequence.js';

const LINKS = [COA1, COA2, COA3, HOA];

/** Runs the network until MN and HA agree on where the MN is; returns how long it took (ms). */
async function converge(s: Scenario, where: string, limitMs = 900_000): Promise<number> {
  const start = s.clock.now();
  const home = where === HOA;
  for (;;) {
    const st = s.mn.state();
    const entry = s.ha.lookup(HOA);
    const done = home
      ? st.atHome && st.pendingSeq === undefined && st.binding === undefined && entry === undefined
      : st.pendingSeq === undefined &&
        st.binding?.coa === where &&
        entry?.coa === where &&
        entry.seq === st.binding.seq;
    if (done) return s.clock.now() - start;
    if (s.clock.now() - start > limitMs)
      throw new Error(`no convergence on ${where} within ${limitMs} ms: ${JSON.stringify({ st, entry })}`);
    await s.net.run(250);
  }
}

describe('roaming across links and home again, with packet loss', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`converges after every move with 30 % loss each way (seed ${seed})`, async () => {
      const rand = prng(seed);
      const s = scenario({ mn: { lifetime: 120 } });
      s.net.loss = () => rand() < 0.3;
      await s.start();
      const path = [COA1, COA2, HOA, COA3, COA1, HOA, COA2];
      for (const where of path) {
        s.mnIp.attach(where, where === HOA ? 'home' : where);
        await converge(s, where);
        // Let refreshes run a while; the binding must hold under loss.
        await s.net.run(where === HOA ? 5000 : 200_000);
        await converge(s, where);
      }
      expect(s.mnEvents.of('mip6.binding-rejected')).toEqual([]);
      expect(s.mnEvents.of('mip6.returned-home').length).toBe(2);
      // The HA accepted strictly newer numbers, modulo 2^16.
      const accepted = s.haEvents.of('mip6.binding-accepted').map((e) => e.seq as number);
      for (let i = 1; i < accepted.length; i++) expect(seqNewer(accepted[i]!, accepted[i - 1]!)).toBe(true);
      // Every BU the HA accepted was announced before its BA, and every BU the MN sent before it left.
      expect(s.mnEvents.of('mip6.binding-sending').length).toBe(
        s.wire('mn').filter((w) => w.mh.type === 'BU').length,
      );
      expect(s.mn.stats().retransmissions).toBeGreaterThan(0);
      expect(s.net.dropped.length).toBeGreaterThan(0);
    });
  }

  it('random walks with random loss always converge (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...LINKS), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 65535 }),
        async (path, seed, loss, initialSeq) => {
          const rand = prng(seed);
          const s = scenario({ mn: { initialSeq } });
          s.net.loss = () => rand() < loss;
          await s.start();
          for (const where of path) {
            s.mnIp.attach(where, where);
            await converge(s, where);
          }
          s.mn.stop();
          s.ha.stop();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a move while a BU is in flight: the old BA is discarded, the new CoA wins', async () => {
    const s = scenario({ delayMs: 300, mn: { maxUpdateRate: 0 } });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(400); // BU at the HA, BA on its way to COA1
    s.mnIp.attach(COA2, 'link2');
    await converge(s, COA2);
    expect(s.ha.lookup(HOA)?.coa).toBe(COA2);
    expect(s.mnEvents.of('mip6.binding-acknowledged').map((e) => e.coa)).toEqual([COA2]);
  });
});
