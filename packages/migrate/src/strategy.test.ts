import { IPPROTO_ICMPV6, IPPROTO_MH, type Ip, type MigrateRequest } from '@mip6sec/core';
import { DEFAULT_REQIDS } from '@mip6sec/mip6';
import { describe, expect, it } from 'vitest';
import {
  COA1,
  COA2,
  COA3,
  HA,
  HOA,
  mnEnds,
  type TestHost,
  testHost,
  tunnelSas,
} from './harness.test-util.js';

let seq = 0;
const movement = (h: TestHost, oldCoa: Ip, newCoa: Ip) =>
  h.bus.emitAndWait({ type: 'mip6.movement', hoa: HOA, ha: HA, oldCoa, newCoa, atHome: newCoa === HOA });
const bindingSending = (h: TestHost, previousCoa: Ip, coa: Ip) =>
  h.bus.emitAndWait({
    type: 'mip6.binding-sending',
    hoa: HOA,
    ha: HA,
    coa,
    previousCoa,
    seq: ++seq,
    kBit: true,
    deregistration: coa === HOA,
    changesCoa: coa !== previousCoa,
  });
const accepted = (h: TestHost, previousCoa: Ip, coa: Ip) =>
  h.bus.emitAndWait({
    type: 'mip6.binding-accepted',
    hoa: HOA,
    ha: HA,
    previousCoa,
    coa,
    identity: 'mn@example.org',
    seq: ++seq,
    kBit: true,
    lifetime: 3600,
  });

/** A handover on the MN as mip6 runs it: movement (held), SPD re-sync, BU (held). */
async function mnHandover(h: TestHost, from: Ip, to: Ip, resync = true): Promise<void> {
  await movement(h, from, to);
  if (resync) await h.policies(to);
  await bindingSending(h, from, to);
  await h.settle();
}

/** Bootstrap from a foreign link, then IKE's tunnel SAs on COA1; returns their SPIs. */
async function mnAway(h: TestHost): Promise<number[]> {
  await mnHandover(h, HOA, COA1);
  return tunnelSas(h, COA1);
}

async function haAway(h: TestHost): Promise<number[]> {
  await accepted(h, HOA, COA1);
  await h.policies(COA1);
  await h.settle();
  return tunnelSas(h, COA1);
}

/** A MIGRATE-losing hook, off until armed: loses the payload `out` MIGRATE the next `n` times it is written. */
function losePayloadOut() {
  let left = 0;
  const hook = (r: MigrateRequest) =>
    r.dir === 'out' &&
    r.bundles.some((b) => b.reqid === DEFAULT_REQIDS.payload && b.mode === 'tunnel') &&
    left-- > 0;
  const arm = (n: number) => {
    left = n;
  };
  return Object.assign(hook, { arm });
}

const pairs = (r: MigrateRequest) =>
  r.bundles.map((b) => `${b.mode} ${b.reqid} ${b.oldSrc}>${b.oldDst} => ${b.newSrc}>${b.newDst}`);

describe('MigrateStrategy on the mobile node', () => {
  it('bootstrap: before the first BU, every BU/BA and MPS/MPA policy gets a MIGRATE with kmaddress (CoA, HA)', async () => {
    const h = await testHost('mn');
    await movement(h, HOA, COA1);
    // The hold covered the writes: they are done when the movement event returns.
    const km = { local: COA1, remote: HA };
    expect(h.written.map((r) => [r.dir, r.selector.proto, r.kmaddress])).toEqual(
      expect.arrayContaining([
        ['out', IPPROTO_MH, km],
        ['in', IPPROTO_MH, km],
        ['out', IPPROTO_ICMPV6, km],
        ['in', IPPROTO_ICMPV6, km],
      ]),
    );
    expect(h.written).toHaveLength(4);
    // Transport SAs stay on the HoA: old pair = new pair.
    expect(h.written.flatMap(pairs)).toContain(`transport 1 ${HOA}>${HA} => ${HOA}>${HA}`);
    await h.policies(COA1);
    await bindingSending(h, HOA, COA1);
    await h.settle();
    expect(h.broadcasts).toHaveLength(4);
    const bu = (await h.kernel.dumpPolicies()).find((p) => p.dir === 'out' && p.selector.mhType === 5)!;
    expect(h.strategy.resolver.resolve({ policy: bu })).toEqual({ local: COA1, remote: HA });
    expect(h.strategy.metrics()).toMatchObject({ migratesWritten: 4, migratesApplied: 4, migratesLost: 0 });
  });

  it('on movement writes one MIGRATE per policy with old CoA -> new CoA pairs, and keeps SPIs', async () => {
    const h = await testHost('mn');
    const spis = await mnAway(h);
    h.written.length = 0;
    await mnHandover(h, COA1, COA2);
    const tunnel = h.written.filter((r) => r.bundles.some((b) => b.mode === 'tunnel'));
    expect(tunnel.map((r) => r.dir).sort()).toEqual(['in', 'in', 'out', 'out']);
    for (const r of tunnel) {
      expect(r.kmaddress).toEqual({ local: COA2, remote: HA });
      const [b] = r.bundles;
      const up = r.dir === 'out';
      expect([b!.oldSrc, b!.oldDst, b!.newSrc, b!.newDst]).toEqual(
        up ? [COA1, HA, COA2, HA] : [HA, COA1, HA, COA2],
      );
    }
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    const after = (await h.kernel.dumpSas()).filter((s) => s.mode === 'tunnel').map((s) => s.spi);
    expect(after.sort()).toEqual([...spis].sort());
    expect(h.keyManager.ikeSas()).toEqual([]);
  });

  it('writes nothing on a re-registration with the same CoA', async () => {
    const h = await testHost('mn');
    await mnAway(h);
    const before = h.strategy.metrics().migratesWritten;
    await bindingSending(h, COA1, COA1);
    await h.settle();
    await bindingSending(h, COA1, COA1);
    await h.settle();
    expect(h.strategy.metrics().migratesWritten).toBe(before);
  });

  it('returns home: CoA -> HoA pairs and kmaddress (HoA, HA)', async () => {
    const h = await testHost('mn');
    await mnAway(h);
    h.written.length = 0;
    await movement(h, COA1, HOA);
    const tunnel = h.written.filter((r) => r.bundles.some((b) => b.mode === 'tunnel'));
    expect(tunnel).toHaveLength(4);
    for (const r of h.written) expect(r.kmaddress).toEqual({ local: HOA, remote: HA });
    expect((await mnEnds(h)).sas).toEqual([HOA]);
  });

  it('leaving home again: SAs kept on the HoA move to the CoA once the daemon re-adds its tunnel entries', async () => {
    const h = await testHost('mn', { strategy: { reconcile: false } });
    const spis = await mnAway(h);
    await mnHandover(h, COA1, HOA);
    expect((await mnEnds(h)).sas).toEqual([HOA]);
    expect((await mnEnds(h)).templates).toEqual([]);
    await mnHandover(h, HOA, COA2);
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    const now = (await h.kernel.dumpSas()).filter((s) => s.mode === 'tunnel').map((s) => s.spi);
    expect(now.sort()).toEqual([...spis].sort());
  });

  it('uses the flow-lookup selector after ENOENT on a Linux 6.12+ style kernel, and first from then on', async () => {
    const h = await testHost('mn', { lookup: 'flow' });
    await mnAway(h);
    expect(h.strategy.metrics().flowSelectorRetries).toBe(1);
    await mnHandover(h, COA1, COA2);
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    // One retry ever: afterwards the flow form goes first (payload entries have no type and need neither).
    expect(h.strategy.metrics()).toMatchObject({
      flowSelectorRetries: 1,
      migrateErrors: 0,
      migratesStale: 0,
    });
  });
});

describe('MigrateStrategy on the home agent', () => {
  it('on an accepted BU that changes the CoA, MIGRATEs that MN tunnel SPs/SAs with kmaddress (HA, CoA) before the BA', async () => {
    const h = await testHost('ha');
    await haAway(h);
    h.written.length = 0;
    await accepted(h, COA1, COA2);
    // Done inside the hold, i.e. before the BA.
    expect((await mnEnds(h)).sas).toEqual([COA2]);
    const tunnel = h.written.filter((r) => r.bundles.some((b) => b.mode === 'tunnel'));
    // HoTI/HoT and payload: in and fwd towards the HA, out towards the MN.
    expect(tunnel.map((r) => r.dir).sort()).toEqual(['fwd', 'fwd', 'in', 'in', 'out', 'out']);
    for (const r of h.written) expect(r.kmaddress).toEqual({ local: HA, remote: COA2 });
    await h.settle();
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
  });

  it('does nothing when the BU keeps the CoA, and moves back to the HoA when the binding is deleted', async () => {
    const h = await testHost('ha');
    await haAway(h);
    const n = h.strategy.metrics().migratesWritten;
    await accepted(h, COA1, COA1);
    await h.settle();
    expect(h.strategy.metrics().migratesWritten).toBe(n);
    await h.bus.emitAndWait({
      type: 'mip6.binding-deleted',
      hoa: HOA,
      ha: HA,
      previousCoa: COA1,
      reason: 'deregistration',
    });
    await h.settle();
    expect(await mnEnds(h)).toEqual({ templates: [HOA], sas: [HOA] });
  });
});

describe('MigrateStrategy on the home agent when the MN returns home', () => {
  const tunnelSpis = async (h: TestHost) =>
    (await h.kernel.dumpSas())
      .filter((x) => x.mode === 'tunnel')
      .map((x) => x.spi)
      .sort((a, b) => a - b);
  /** The HA's deregistration as the mip6 daemon runs it: binding-deleted (held), then the tunnel entries go. */
  async function deregistered(h: TestHost, previousCoa: Ip): Promise<void> {
    await h.bus.emitAndWait({
      type: 'mip6.binding-deleted',
      hoa: HOA,
      ha: HA,
      previousCoa,
      reason: 'deregistration',
    });
    await h.policies(HOA);
    await h.settle();
  }

  it('moves the tunnel SAs to the HoA inside the hold, before the daemon removes their entries', async () => {
    const h = await testHost('ha', { strategy: { reconcile: false } });
    const spis = await haAway(h);
    await deregistered(h, COA1);
    // The entries are gone; the SAs kept their SPIs and now end at the HoA, as on the MN.
    expect(await mnEnds(h)).toEqual({ templates: [], sas: [HOA] });
    expect(await tunnelSpis(h)).toEqual([...spis].sort((a, b) => a - b));
    const tunnel = h.written.filter((r) => r.bundles.some((b) => b.mode === 'tunnel' && b.oldDst === COA1));
    expect(tunnel.length).toBeGreaterThan(0);
    for (const r of tunnel) expect(r.kmaddress).toEqual({ local: HA, remote: HOA });
    expect(h.strategy.metrics()).toMatchObject({ migratesStale: 0, migrateErrors: 0 });
  });

  it('leaving home again: the same SAs move from the HoA to the new CoA, no IKE needed', async () => {
    const h = await testHost('ha', { strategy: { reconcile: false } });
    const spis = await haAway(h);
    await deregistered(h, COA1);
    await accepted(h, HOA, COA2);
    await h.policies(COA2);
    await h.settle();
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    expect(await tunnelSpis(h)).toEqual([...spis].sort((a, b) => a - b));
  });
});

describe('MigrateStrategy reconciliation', () => {
  it('re-issues a lost MIGRATE when the daemon did not re-sync the SPD (template and SAs stale)', async () => {
    const lose = losePayloadOut();
    const h = await testHost('mn', { strategy: { dropMigrate: lose } });
    await mnAway(h);
    lose.arm(1);
    await mnHandover(h, COA1, COA2, false);
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    expect(h.strategy.metrics()).toMatchObject({ migratesLost: 1, reconcileMigrates: 1 });
  });

  it('moves SAs a lost MIGRATE left behind after the daemon re-pointed the policy itself (anchor + SA pair)', async () => {
    const lose = losePayloadOut();
    const h = await testHost('mn', { strategy: { dropMigrate: lose } });
    await mnAway(h);
    lose.arm(1);
    const repair: MigrateRequest[] = [];
    await movement(h, COA1, COA2);
    await h.policies(COA2); // SPDUPDATE: the template says COA2, the payload SA still COA1
    const at = h.written.length;
    await bindingSending(h, COA1, COA2);
    await h.settle();
    repair.push(...h.written.slice(at));
    expect(repair.map(pairs)).toEqual([
      [`tunnel 4 ${COA2}>${HA} => ${COA2}>${HA}`, `tunnel 4 ${COA1}>${HA} => ${COA2}>${HA}`],
    ]);
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
  });

  it('is idempotent: a second pass over a consistent kernel writes nothing', async () => {
    const lose = losePayloadOut();
    const h = await testHost('mn', { strategy: { dropMigrate: lose } });
    await mnAway(h);
    lose.arm(1);
    await mnHandover(h, COA1, COA2);
    expect(h.strategy.metrics()).toMatchObject({ migratesLost: 1, reconcileMigrates: 1 });
    const n = h.strategy.metrics().migratesWritten;
    expect(await h.strategy.reconcileNow()).toBe(true);
    expect(await h.strategy.reconcileNow()).toBe(true);
    expect(h.strategy.metrics().migratesWritten).toBe(n);
  });

  it('treats ENODATA for an already migrated template as done', async () => {
    const h = await testHost('mn');
    await mnAway(h);
    await mnHandover(h, COA1, COA2);
    // Replaying the same move: every tunnel pair is stale now.
    const stale = h.written.filter(
      (r) => r.kmaddress?.local === COA2 && r.bundles.some((b) => b.mode === 'tunnel'),
    );
    for (const r of stale) await expect(h.kernel.migrate(r)).rejects.toMatchObject({ code: 'ENODATA' });
    await movement(h, COA1, COA2);
    expect(h.strategy.metrics().migrateErrors).toBe(0);
  });

  it('is bounded: retries with backoff on the clock, then gives up until the next binding event', async () => {
    const lose = losePayloadOut();
    const h = await testHost('mn', {
      strategy: { dropMigrate: lose, maxAttempts: 3, backoffMs: 100, reconcileIntervalMs: 0 },
    });
    await mnAway(h);
    const passes = h.strategy.metrics().reconciliations!;
    lose.arm(100);
    await mnHandover(h, COA1, COA2, false);
    const reconciliations = () => h.strategy.metrics().reconciliations! - passes;
    expect(reconciliations()).toBe(1);
    h.clock.advance(99);
    await h.settle();
    expect(reconciliations()).toBe(1);
    h.clock.advance(1);
    await h.settle();
    expect(reconciliations()).toBe(2);
    h.clock.advance(200);
    await h.settle();
    expect(reconciliations()).toBe(3);
    expect(h.strategy.metrics().reconcileGaveUp).toBe(1);
    h.clock.advance(60_000);
    await h.settle();
    expect(reconciliations()).toBe(3);
    expect(h.clock.pending).toBe(0);
    expect((await mnEnds(h)).sas).toContain(COA1);
  });

  it('with reconcile: false leaves the inconsistency a lost MIGRATE causes', async () => {
    const lose = losePayloadOut();
    const h = await testHost('mn', { strategy: { reconcile: false, dropMigrate: lose } });
    await mnAway(h);
    lose.arm(1);
    await mnHandover(h, COA1, COA2);
    h.clock.advance(600_000);
    await h.settle();
    expect((await mnEnds(h)).sas.sort()).toEqual([COA1, COA2].sort());
    expect(h.strategy.metrics()).toMatchObject({ migratesLost: 1, reconciliations: 0, reconcileMigrates: 0 });
    // The next move's MIGRATE carries the daemon's belief (COA2) as old pair: the stale SA stays behind.
    await mnHandover(h, COA2, COA3);
    expect((await mnEnds(h)).sas.sort()).toEqual([COA1, COA3].sort());
  });

  it('periodically moves SAs IKE installed on the old CoA after the move (rekey during handover)', async () => {
    const h = await testHost('mn', { strategy: { reconcileIntervalMs: 1000 } });
    await mnHandover(h, HOA, COA1);
    await mnHandover(h, COA1, COA2);
    const late = await tunnelSas(h, COA1);
    h.clock.advance(1000);
    await h.settle();
    const sas = (await h.kernel.dumpSas()).filter((s) => late.includes(s.spi));
    expect(sas).toHaveLength(4);
    for (const s of sas) expect([s.src, s.dst].sort()).toEqual([COA2, HA].sort());
  });
});

describe('MigrateStrategy resolver', () => {
  it('answers from the kernel broadcast for the policy, then by reqid, then from IKE, else undefined', async () => {
    const h = await testHost('mn');
    await mnHandover(h, HOA, COA1);
    const policies = await h.kernel.dumpPolicies();
    const ba = policies.find((p) => p.dir === 'in' && p.selector.mhType === 6)!;
    const r = h.strategy.resolver;
    expect(r.resolve({ policy: ba })).toEqual({ local: COA1, remote: HA });
    expect(r.resolve({ reqid: DEFAULT_REQIDS.homeRegistration })).toEqual({ local: COA1, remote: HA });
    expect(r.resolve({ reqid: 99 })).toBeUndefined();
    const other = {
      selector: { ...ba.selector, dst: { addr: '2001:db8::99', len: 128 } },
      dir: 'in' as const,
    };
    expect(r.resolve({ policy: other })).toBeUndefined();
  });

  it('forgets its own hint when the policy is deleted and added again, and then asks IKE', async () => {
    const h = await testHost('mn');
    await mnHandover(h, HOA, COA1);
    await mnHandover(h, COA1, COA2);
    const hoti = (await h.kernel.dumpPolicies()).find((p) => p.dir === 'out' && p.selector.mhType === 1)!;
    expect(h.strategy.resolver.resolve({ policy: hoti })).toEqual({ local: COA2, remote: HA });
    const before = h.strategy.metrics().kmaddressHints;
    await h.kernel.delPolicy(hoti);
    await h.kernel.addPolicy(hoti, hoti);
    await h.settle();
    expect(h.strategy.metrics().kmaddressHints).toBe(before! - 1);
    const fromIke = h.keyManager.hintFor(hoti);
    expect(fromIke).toBeDefined();
    expect(h.strategy.resolver.resolve({ policy: hoti })).toEqual(fromIke);
  });
});

describe('MigrateStrategy lifecycle', () => {
  it('refuses a second start, and stop cancels its timers and subscriptions', async () => {
    const h = await testHost('mn');
    expect(() => h.strategy.start({ role: 'mn', bus: h.bus, kernel: h.kernel, clock: h.clock })).toThrow(
      /already started/,
    );
    expect(h.clock.pending).toBe(1);
    await h.strategy.stop();
    expect(h.clock.pending).toBe(0);
    await movement(h, HOA, COA1);
    expect(h.written).toEqual([]);
  });

  it('a host in the correspondent role reacts to nothing', async () => {
    const h = await testHost('mn', { start: false });
    h.strategy.start({ role: 'cn', bus: h.bus, kernel: h.kernel, clock: h.clock });
    await movement(h, HOA, COA1);
    await bindingSending(h, HOA, COA1);
    expect(h.written).toEqual([]);
  });
});
