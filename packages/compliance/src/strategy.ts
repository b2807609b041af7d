/**
 * @module
 * The suite every MobilityStrategy passes on the same kernel-level scenarios: an MN and its HA with
 * the RFC 4877 policy set of @mip6sec/mip6, tunnel SAs installed as IKE would, and the bus events of
 * bootstrap, handover, refresh and return home, with a recording KeyManager double.
 *
 * - Every strategy: IKE is told to negotiate the BU/BA SA from the CoA; a re-registration with the
 *   same CoA changes nothing in either kernel and calls nothing in IKE.
 * - Strategies with `updatesInPlace`: after a move every tunnel SP template and SA endpoint on both
 *   sides equals the new CoA, the SAs kept their SPIs, the IKE_SAs follow, nothing is re-negotiated
 *   and the resolver answers (new CoA, HA) for the MN's policies.
 * - The others: KeyManager.reestablish(HA, new CoA) was called and had finished before the BU left,
 *   and the tunnel SP templates were re-pointed to the new CoA.
 * - The fixture plays the mip6 daemons in their default SPD mode: they add and remove entries, and
 *   leave moving the endpoints of existing ones to the strategy.
 *
 * @example
 * ```ts
 * import { strategyComplianceSuite } from '@mip6sec/compliance/strategy';
 * strategyComplianceSuite({
 *   name: 'migrate',
 *   makeStrategy: () => new MigrateStrategy(),
 *   makeKernel: (_role, { bus, clock }) => new SimKernel({ bus, clock }),
 * });
 * ```
 */
import type { BusEvent, HostRole, Ip, KernelAcquire, MobilityStrategy, SecurityPolicy } from '@mip6sec/core';
import { IPPROTO_MH } from '@mip6sec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FixtureHost, type FixtureOptions, StrategyFixture } from './strategy-fixture.js';

export {
  type KeyManagerCall,
  RecordingKeyManager,
  type RecordingKeyManagerOptions,
} from './recording-key-manager.js';
export {
  type ComplianceAddresses,
  DEFAULT_ADDRESSES,
  FixtureHost,
  type FixtureOptions,
  StrategyFixture,
  settle,
} from './strategy-fixture.js';
export { installTunnelSas, tunnelMnEnds } from './tunnel-sas.js';

export interface StrategyComplianceOptions extends FixtureOptions {
  /** Shown in the suite's title. */
  readonly name: string;
}

/** The MN's BU policy (HoA -> HA, MH type BU) as the kernel holds it. */
async function buPolicy(h: FixtureHost, hoa: Ip, ha: Ip): Promise<SecurityPolicy> {
  const p = (await h.kernel.dumpPolicies()).find(
    (x) =>
      x.dir === (h.role === 'mn' ? 'out' : 'in') &&
      x.selector.proto === IPPROTO_MH &&
      x.selector.src.addr === hoa &&
      x.selector.dst.addr === ha,
  );
  if (!p) throw new Error(`no BU policy on the ${h.role}`);
  return p;
}

/** The ACQUIRE the kernel raises when the BU hits its policy without an SA (extended: with the ref). */
function acquireFor(h: FixtureHost, p: SecurityPolicy, hoa: Ip, ha: Ip): KernelAcquire {
  const ref = h.refOf(p);
  return {
    type: 'kernel.acquire',
    seq: 1,
    policy: { index: p.index, selector: p.selector, dir: p.dir },
    templates: p.templates,
    src: hoa,
    dst: ha,
    ...(ref ? { ref } : {}),
  };
}

async function resolveForPolicy(s: MobilityStrategy, p: SecurityPolicy) {
  const r = await s.resolver.resolve({
    policy: { index: p.index, selector: p.selector, dir: p.dir },
    templates: p.templates,
  });
  return r && { local: r.local, remote: r.remote };
}

function spis(sas: readonly { spi: number }[]): number[] {
  return sas.map((s) => s.spi).sort((a, b) => a - b);
}

/** Registers the vitest suite. Call it at the top level of a test file. */
export function strategyComplianceSuite(options: StrategyComplianceOptions): void {
  describe(`MobilityStrategy compliance: ${options.name}`, () => {
    let f: StrategyFixture;
    let hoa: Ip;
    let ha: Ip;
    let coa1: Ip;
    let coa2: Ip;

    beforeEach(async () => {
      f = await StrategyFixture.create(options);
      ({ hoa, ha, coa1, coa2 } = f.addr);
      await f.start();
      // Bootstrap from a foreign link, then IKE negotiates everything from the CoA.
      await f.move(coa1);
      await f.negotiate();
    });

    afterEach(async () => {
      await f.stop();
    });

    const inPlace = (role: HostRole) => options.makeStrategy(role).updatesInPlace;

    it('tells IKE to negotiate the BU/BA SA from the care-of address on bootstrap', async () => {
      const bu = await buPolicy(f.mn, hoa, ha);
      expect(await resolveForPolicy(f.mn.strategy, bu)).toEqual({ local: coa1, remote: ha });
      const viaAcquire = await f.mn.strategy.resolver.resolve({
        acquire: acquireFor(f.mn, bu, hoa, ha),
        policy: { index: bu.index, selector: bu.selector, dir: bu.dir },
      });
      expect(viaAcquire && { local: viaAcquire.local, remote: viaAcquire.remote }).toEqual({
        local: coa1,
        remote: ha,
      });
    });

    it('reports its counters as finite numbers', () => {
      for (const h of [f.mn, f.ha]) {
        for (const [k, v] of Object.entries(h.strategy.metrics())) {
          expect(Number.isFinite(v), `${h.role} metric ${k}`).toBe(true);
        }
      }
    });

    if (inPlace('mn')) {
      it('moves every tunnel SP and SA to the new CoA on both sides, keeping SPIs and IKE_SAs', async () => {
        const mnBefore = spis(await f.mn.tunnelSas({ a: coa1, b: ha }));
        const haBefore = spis(await f.ha.tunnelSas({ a: coa1, b: ha }));
        expect(mnBefore.length).toBe(4);
        await f.move(coa2);

        for (const h of [f.mn, f.ha]) {
          const policies = await h.tunnelPolicies(hoa);
          expect(policies.length, `${h.role} tunnel policies`).toBeGreaterThan(0);
          for (const p of policies) {
            for (const t of p.templates) {
              const ends = [t.src, t.dst].sort();
              expect(ends, `${h.role} ${p.dir} template`).toEqual([coa2, ha].sort());
            }
          }
          const sas = await h.tunnelSas({ a: coa1, b: coa2 });
          for (const s of sas)
            expect([s.src, s.dst].sort(), `${h.role} SA ${s.spi}`).toEqual([coa2, ha].sort());
        }
        expect(spis(await f.mn.tunnelSas({ a: coa2, b: ha }))).toEqual(mnBefore);
        expect(spis(await f.ha.tunnelSas({ a: coa2, b: ha }))).toEqual(haBefore);

        const mnIke = f.mn.keyManager.ikeSas();
        expect(mnIke.map((s) => [s.local.ip, s.remote.ip])).toEqual([[coa2, ha]]);
        expect(f.ha.keyManager.ikeSas().map((s) => [s.local.ip, s.remote.ip])).toEqual([[ha, coa2]]);
        for (const h of [f.mn, f.ha]) {
          expect(
            h.keyManager.calls.filter((c) => c.kind === 'reestablish'),
            h.role,
          ).toEqual([]);
        }
      });

      it("resolves (new CoA, HA) for the MN's policies after a move", async () => {
        await f.move(coa2);
        const bu = await buPolicy(f.mn, hoa, ha);
        expect(await resolveForPolicy(f.mn.strategy, bu)).toEqual({ local: coa2, remote: ha });
        for (const p of await f.mn.tunnelPolicies(hoa)) {
          const r = await resolveForPolicy(f.mn.strategy, p);
          // A strategy may leave tunnel entries to their template; if it answers, the CoA it is.
          if (r) expect(r, `${p.dir} tunnel policy`).toEqual({ local: coa2, remote: ha });
        }
        const haSide = await buPolicy(f.ha, hoa, ha);
        expect(await resolveForPolicy(f.ha.strategy, haSide)).toEqual({ local: ha, remote: coa2 });
      });

      it('moves back home: the SAs and IKE_SAs of both sides return to the HoA with their SPIs', async () => {
        await f.move(coa2);
        const before = spis(await f.mn.tunnelSas({ a: coa2, b: ha }));
        const haBefore = spis(await f.ha.tunnelSas({ a: coa2, b: ha }));
        await f.move(hoa);
        const after = await f.mn.tunnelSas({ a: coa2, b: hoa });
        expect(spis(after)).toEqual(before);
        for (const s of after) expect([s.src, s.dst].sort()).toEqual([hoa, ha].sort());
        expect(f.mn.keyManager.ikeSas().map((s) => [s.local.ip, s.remote.ip])).toEqual([[hoa, ha]]);
        // The HA follows while its tunnel entries still exist (binding-deleted is held before the
        // mip6 daemon removes them), so both ends agree where the SAs are.
        const haAfter = await f.ha.tunnelSas({ a: coa2, b: hoa });
        expect(spis(haAfter)).toEqual(haBefore);
        for (const s of haAfter) expect([s.src, s.dst].sort(), `HA SA ${s.spi}`).toEqual([hoa, ha].sort());
        expect(await f.ha.tunnelPolicies(hoa)).toEqual([]);
        expect(f.ha.keyManager.ikeSas().map((s) => [s.local.ip, s.remote.ip])).toEqual([[ha, hoa]]);
        const bu = await buPolicy(f.mn, hoa, ha);
        expect(await resolveForPolicy(f.mn.strategy, bu)).toEqual({ local: hoa, remote: ha });
        const haSide = await buPolicy(f.ha, hoa, ha);
        expect(await resolveForPolicy(f.ha.strategy, haSide)).toEqual({ local: ha, remote: hoa });
        expect(f.mn.keyManager.calls.filter((c) => c.kind === 'reestablish')).toEqual([]);
      });
    } else {
      it('re-negotiates IKE from the new CoA before the BU leaves', async () => {
        await f.move(coa2);
        for (const h of [f.mn, f.ha]) {
          for (const p of await h.tunnelPolicies(hoa)) {
            for (const t of p.templates)
              expect([t.src, t.dst].sort(), `${h.role} ${p.dir}`).toEqual([coa2, ha].sort());
          }
        }
        const log = f.mn.keyManager.calls;
        const asked = log.findIndex((c) => c.kind === 'reestablish');
        const done = log.findIndex((c) => c.kind === 'reestablish-done');
        const lastBu = log.map((c) => c.kind === 'mark' && c.label === 'bu-released').lastIndexOf(true);
        expect(log[asked]).toEqual({ kind: 'reestablish', peer: ha, local: coa2 });
        expect(done).toBeGreaterThan(asked);
        expect(lastBu).toBeGreaterThan(done);
        expect(f.ha.keyManager.calls.filter((c) => c.kind === 'reestablish')).toEqual([]);
        expect(f.mn.keyManager.ikeSas().map((s) => [s.local.ip, s.remote.ip])).toEqual([[coa2, ha]]);
      });

      it('re-negotiates from the HoA before the deregistration BU when the MN returns home', async () => {
        await f.move(coa2);
        const from = f.mn.keyManager.calls.length;
        await f.move(hoa);
        const log = f.mn.keyManager.calls.slice(from);
        const done = log.findIndex((c) => c.kind === 'reestablish-done');
        const bu = log.findIndex((c) => c.kind === 'mark' && c.label === 'bu-released');
        expect(log.find((c) => c.kind === 'reestablish')).toEqual({
          kind: 'reestablish',
          peer: ha,
          local: hoa,
        });
        expect(done).toBeGreaterThanOrEqual(0);
        expect(bu).toBeGreaterThan(done);
      });
    }

    it('changes nothing on a re-registration with the same CoA', async () => {
      await f.move(coa2);
      const snapshot = async (h: FixtureHost) => ({
        policies: await h.kernel.dumpPolicies(),
        sas: await h.kernel.dumpSas(),
        ike: h.keyManager.ikeSas(),
      });
      const before = { mn: await snapshot(f.mn), ha: await snapshot(f.ha) };
      const calls = { mn: f.mn.keyManager.calls.length, ha: f.ha.keyManager.calls.length };
      const kernelEvents: BusEvent[] = [];
      const subs = [f.mn, f.ha].map((h) =>
        h.bus.events.subscribe((e) => {
          // SPD events are left out: the MIPv6 daemon's own re-sync of its entries may rewrite them
          // unchanged; the snapshot below catches any real change to the SPD.
          if (e.type === 'kernel.migrate' || e.type === 'kernel.sa') kernelEvents.push(e);
        }),
      );
      try {
        await f.refresh();
      } finally {
        for (const s of subs) s.unsubscribe();
      }
      expect(kernelEvents).toEqual([]);
      expect({ mn: await snapshot(f.mn), ha: await snapshot(f.ha) }).toEqual(before);
      const newCalls = (h: FixtureHost, from: number) =>
        h.keyManager.calls.slice(from).filter((c) => c.kind !== 'mark');
      expect(newCalls(f.mn, calls.mn)).toEqual([]);
      expect(newCalls(f.ha, calls.ha)).toEqual([]);
    });
  });
}
