import { RecordingKeyManager } from '@mip6sec/compliance/strategy';
import type { Ip, KeyManager } from '@mip6sec/core';
import { Bus, IPPROTO_MH, selector, VirtualClock } from '@mip6sec/core';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { haPolicies, installPolicies, mnPolicies } from '@mip6sec/mip6';
import { describe, expect, it } from 'vitest';
import { RenegotiateStrategy } from './strategy.js';

const HOA = '2001:db8:0:1::100';
const HA = '2001:db8:0:1::1';
const COA1 = '2001:db8:a::100';
const COA2 = '2001:db8:b::100';
const bu = { selector: selector(HOA, HA, { proto: IPPROTO_MH, mhType: 5 }), dir: 'out' as const };

async function setup(role: 'mn' | 'ha', keyManager?: KeyManager) {
  const bus = new Bus();
  const clock = new VirtualClock();
  const kernel = new SimKernel(new PfkeyKernel({ clock }), bus);
  const cfg = { hoa: HOA, ha: HA, coa: COA1 };
  await installPolicies(kernel, role === 'mn' ? mnPolicies(cfg) : haPolicies(cfg));
  const strategy = new RenegotiateStrategy();
  strategy.start({ role, bus, kernel, clock, ...(keyManager ? { keyManager } : {}) });
  const errors: unknown[] = [];
  bus.errors.subscribe((e) => errors.push(e.error));
  let seq = 0;
  const sendBu = (previousCoa: Ip, coa: Ip) =>
    bus.emitAndWait({
      type: 'mip6.binding-sending',
      hoa: HOA,
      ha: HA,
      coa,
      previousCoa,
      seq: ++seq,
      kBit: false,
      deregistration: coa === HOA,
      changesCoa: coa !== previousCoa,
    });
  const mnEnds = async () => [
    ...new Set(
      (await kernel.dumpPolicies()).flatMap((p) =>
        p.templates.filter((t) => t.mode === 'tunnel').map((t) => (t.src === HA ? t.dst : t.src)),
      ),
    ),
  ];
  return { bus, clock, kernel, strategy, errors, sendBu, mnEnds };
}

describe('RenegotiateStrategy on the mobile node', () => {
  it('holds the BU until KeyManager.reestablish(HA, new CoA) has resolved', async () => {
    let finish!: () => void;
    const km = new RecordingKeyManager();
    km.addIkeSa({ local: COA1, remote: HA, childReqids: [1, 3, 4] });
    const calls: [Ip, Ip][] = [];
    const slow: KeyManager = Object.assign(Object.create(km) as KeyManager, {
      reestablish: (peer: Ip, local: Ip) => {
        calls.push([peer, local]);
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    });
    const { sendBu } = await setup('mn', slow);
    let released = false;
    const sending = sendBu(COA1, COA2).then(() => {
      released = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[HA, COA2]]);
    expect(released).toBe(false);
    finish();
    await sending;
    expect(released).toBe(true);
  });

  it('re-negotiates before the deregistration BU on return home, and counts the hold on the clock', async () => {
    const km = new RecordingKeyManager();
    km.addIkeSa({ local: COA2, remote: HA, childReqids: [1] });
    const h = await setup('mn', km);
    const timed: KeyManager = Object.assign(Object.create(km) as KeyManager, {
      reestablish: async (peer: Ip, local: Ip) => {
        h.clock.advance(250);
        await km.reestablish(peer, local);
      },
    });
    await h.strategy.stop();
    h.strategy.start({ role: 'mn', bus: h.bus, kernel: h.kernel, clock: h.clock, keyManager: timed });
    await h.sendBu(COA2, HOA);
    expect(km.calls.map((c) => c.kind)).toEqual(['reestablish', 'reestablish-done']);
    expect(km.ikeSas().map((s) => s.local.ip)).toEqual([HOA]);
    expect(h.strategy.metrics()).toMatchObject({ reestablishments: 1, bindingHoldMs: 250 });
  });

  it('holds nothing on a refresh, on bootstrap before any IKE_SA, or without a key manager', async () => {
    const km = new RecordingKeyManager();
    const { sendBu, strategy } = await setup('mn', km);
    await sendBu(HOA, COA1);
    km.addIkeSa({ local: COA1, remote: HA, childReqids: [1] });
    await sendBu(COA1, COA1);
    expect(km.calls).toEqual([]);
    expect(strategy.metrics().policyUpdates).toBe(0);
    await (await setup('mn')).sendBu(COA1, COA2);
  });

  it('reports a failed re-negotiation on the bus and still lets the BU go', async () => {
    const km = new RecordingKeyManager();
    km.addIkeSa({ local: COA1, remote: HA, childReqids: [1] });
    const failing = Object.assign(Object.create(km) as KeyManager, {
      reestablish: () => Promise.reject(new Error('no proposal chosen')),
    });
    const h = await setup('mn', failing);
    await h.sendBu(COA1, COA2);
    expect(h.errors).toHaveLength(1);
    expect(h.strategy.metrics()).toMatchObject({ reestablishErrors: 1, reestablishments: 0 });
  });

  it("resolves the MN's current CoA, tracked from movement, for its policies", async () => {
    const { bus, strategy } = await setup('mn', new RecordingKeyManager());
    expect(strategy.resolver.resolve({ policy: { ...bu, index: 1 } })).toBeUndefined();
    await bus.emitAndWait({
      type: 'mip6.movement',
      hoa: HOA,
      ha: HA,
      oldCoa: HOA,
      newCoa: COA1,
      atHome: false,
    });
    expect(strategy.resolver.resolve({ policy: { ...bu, index: 1 } })).toEqual({ local: COA1, remote: HA });
    expect(strategy.resolver.resolve({ reqid: 4 })).toEqual({ local: COA1, remote: HA });
    const other = { selector: selector('2001:db8::5', HA), dir: 'out' as const, index: 2 };
    expect(strategy.resolver.resolve({ policy: other })).toBeUndefined();
    expect(strategy.updatesInPlace).toBe(false);
  });
});

describe('RenegotiateStrategy and the SPD', () => {
  it('re-points the tunnel entries on movement, before the BU, and leaves SAs to IKE', async () => {
    const km = new RecordingKeyManager();
    const { bus, kernel, strategy, mnEnds } = await setup('mn', km);
    await bus.emitAndWait({
      type: 'mip6.movement',
      hoa: HOA,
      ha: HA,
      oldCoa: COA1,
      newCoa: COA2,
      atHome: false,
    });
    expect(await mnEnds()).toEqual([COA2]);
    expect(strategy.metrics().policyUpdates).toBe(4);
    expect(await kernel.dumpSas()).toEqual([]);
  });
});

describe('RenegotiateStrategy on the home agent', () => {
  it('re-points its tunnel entries, discards the IKE state left on the previous CoA, and answers (HA, CoA)', async () => {
    const km = new RecordingKeyManager();
    // What the MN's re-negotiation left behind on the old CoA (a negotiation the HA began there),
    // the MN's new IKE_SA, and another MN's.
    km.addIkeSa({ local: HA, remote: COA1, childReqids: [] });
    km.addIkeSa({ local: HA, remote: COA2, childReqids: [1, 4] });
    km.addIkeSa({ local: HA, remote: '2001:db8:77::9', childReqids: [1, 4] });
    const { bus, strategy, mnEnds } = await setup('ha', km);
    await bus.emitAndWait({
      type: 'mip6.binding-accepted',
      hoa: HOA,
      ha: HA,
      previousCoa: COA1,
      coa: COA2,
      identity: 'mn',
      seq: 1,
      kBit: false,
      lifetime: 60,
    });
    // Inside the hold, i.e. before the BA: nothing of IKE's is left on COA1.
    expect(km.calls).toEqual([
      { kind: 'discard', match: { local: HA, remote: COA1 }, reason: 'binding moved' },
    ]);
    expect(km.ikeSas().map((x) => x.remote.ip)).toEqual([COA2, '2001:db8:77::9']);
    expect(strategy.metrics().staleIkeSasDiscarded).toBe(1);
    // A refresh from the same CoA discards nothing.
    await bus.emitAndWait({
      type: 'mip6.binding-accepted',
      hoa: HOA,
      ha: HA,
      previousCoa: COA2,
      coa: COA2,
      identity: 'mn',
      seq: 2,
      kBit: false,
      lifetime: 60,
    });
    expect(km.calls).toHaveLength(1);
    // Its own tunnel entries were re-pointed before the BA (inside the hold).
    expect(await mnEnds()).toEqual([COA2]);
    const ba = {
      selector: selector(HA, HOA, { proto: IPPROTO_MH, mhType: 6 }),
      dir: 'out' as const,
      index: 3,
    };
    expect(strategy.resolver.resolve({ policy: ba })).toEqual({ local: HA, remote: COA2 });
    await bus.emitAndWait({
      type: 'mip6.binding-deleted',
      hoa: HOA,
      ha: HA,
      previousCoa: COA2,
      reason: 'expired',
    });
    expect(strategy.resolver.resolve({ policy: ba })).toEqual({ local: HA, remote: HOA });
    // An expiry says nothing of where the MN is: its IKE state stays.
    expect(km.calls).toHaveLength(1);
  });

  it('on deregistration discards the IKE state left on the last CoA (the MN re-negotiated from home)', async () => {
    const km = new RecordingKeyManager();
    km.addIkeSa({ local: HA, remote: COA2, childReqids: [] });
    km.addIkeSa({ local: HA, remote: HOA, childReqids: [1] });
    const { bus } = await setup('ha', km);
    await bus.emitAndWait({
      type: 'mip6.binding-deleted',
      hoa: HOA,
      ha: HA,
      previousCoa: COA2,
      reason: 'deregistration',
    });
    expect(km.calls).toEqual([
      { kind: 'discard', match: { local: HA, remote: COA2 }, reason: 'binding moved' },
    ]);
    expect(km.ikeSas().map((x) => x.remote.ip)).toEqual([HOA]);
  });
});
