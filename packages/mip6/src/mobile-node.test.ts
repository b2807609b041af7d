import { Bus, type InboundIpPacket, VirtualClock } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { COA1, COA2, COA3, FakeNet, HA, HOA, PolicyKernel } from './fake-network.test-util.js';
import { decodeMh, encodeMh, type MhMessage } from './mh-codec.js';
import { MobileNode } from './mobile-node.js';
import { HA_SPI, mhTypeOf, scenario } from './scenario.test-util.js';

const haSa = { src: '::', dst: '::', spi: HA_SPI, proto: 'esp' as const };

/** A BA as the HA would send it to the MN at `coa`, for scripted-HA tests. */
function ba(
  fields: Partial<Extract<MhMessage, { type: 'BA' }>> & { seq: number },
  coa = COA1,
): InboundIpPacket {
  const payload = encodeMh({ type: 'BA', status: 0, lifetime: 100, ...fields }, { src: HA, dst: HOA });
  return { src: HA, dst: coa, proto: 135, payload, routingHeader2: HOA, sa: haSa };
}

describe('registration from a care-of address', () => {
  it('awaits movement and binding-sending holds, then sends a protected BU from the CoA with HAO = HoA', async () => {
    const s = scenario();
    await s.start();
    const order: string[] = [];
    s.mnBus.on('mip6.movement').subscribe((e) => {
      order.push(`movement ${e.oldCoa}->${e.newCoa} home=${e.atHome}`);
      e.waitUntil(new Promise<void>((r) => s.clock.setTimeout(r, 40)));
    });
    s.mnBus.on('mip6.binding-sending').subscribe((e) => {
      order.push(
        `sending seq ${e.seq} ${e.previousCoa}->${e.coa} k=${e.kBit} dereg=${e.deregistration} changes=${e.changesCoa}`,
      );
      // A strategy's MIGRATE: the BU must not leave before it finishes.
      e.waitUntil(new Promise((r) => s.clock.setTimeout(() => r(order.push('migrate done')), 60)));
    });
    s.mnBus
      .on('mip6.binding-acknowledged')
      .subscribe((e) => order.push(`ack seq ${e.seq} coa ${e.coa} k=${e.kBit} lifetime ${e.lifetime}`));
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(99);
    expect(s.wire('mn')).toEqual([]);
    await s.net.run(2);
    const [w] = s.wire('mn');
    expect(w!.at).toBe(100);
    expect(w!.packet).toMatchObject({ src: COA1, dst: HA, homeAddressOption: HOA, proto: 135 });
    expect(w!.packet.routingHeader2).toBeUndefined();
    // Checksum over the HoA (the logical source), A/H/K set, Alt-CoA inside the protected MH.
    expect(decodeMh(w!.packet.payload, { src: HOA, dst: HA })).toMatchObject({
      type: 'BU',
      seq: 0,
      a: true,
      h: true,
      l: false,
      k: true,
      lifetime: 900,
      options: [{ type: 'padN' }, { type: 'alternateCareOfAddress', address: COA1 }],
    });
    await s.net.run(100);
    expect(order).toEqual([
      `movement ${HOA}->${COA1} home=false`,
      `sending seq 0 ${HOA}->${COA1} k=true dereg=false changes=true`,
      'migrate done',
      `ack seq 0 coa ${COA1} k=true lifetime 3600`,
    ]);
    expect(s.mn.state()).toMatchObject({
      coa: COA1,
      atHome: false,
      binding: { hoa: HOA, coa: COA1, ha: HA, seq: 0, kBit: true },
      pendingSeq: undefined,
    });
    expect(s.mn.stats()).toMatchObject({
      movements: 1,
      bindingUpdatesSent: 1,
      retransmissions: 0,
      bindingAcksReceived: 1,
      bindingAcksAccepted: 1,
    });
    expect(s.mn.stats().bytesSent).toBe(32);
  });

  it('installs its SPD: transport entries at start, the tunnel to the CoA on leaving home, none at home', async () => {
    const s = scenario();
    await s.start();
    const tunnels = () =>
      s.mnKernel.dumpPolicies().then((ps) => ps.filter((p) => p.templates[0]!.mode === 'tunnel'));
    expect((await s.mnKernel.dumpPolicies()).length).toBe(4);
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(100);
    expect((await tunnels()).length).toBe(4);
    expect((await tunnels()).every((p) => [p.templates[0]!.src, p.templates[0]!.dst].includes(COA1))).toBe(
      true,
    );
    // Moving existing endpoints is the strategy's job (MIGRATE during the movement hold): by default
    // the daemon leaves them alone, so it never undoes a strategy or drops an MSRD reference.
    s.mnIp.attach(COA2, 'link2');
    await s.net.run(100);
    expect((await tunnels()).every((p) => [p.templates[0]!.src, p.templates[0]!.dst].includes(COA1))).toBe(
      true,
    );
    s.mnIp.attach(HOA, 'home');
    await s.net.run(100);
    expect(await tunnels()).toEqual([]);
  });

  it("with policies: 'reconcile' it moves the tunnel endpoints itself; with 'none' it leaves the SPD alone", async () => {
    const s = scenario({ mn: { policies: 'reconcile' } });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(100);
    s.mnIp.attach(COA2, 'link2');
    await s.net.run(100);
    const moved = (await s.mnKernel.dumpPolicies()).filter((p) => p.templates[0]!.mode === 'tunnel');
    expect(moved.length).toBe(4);
    expect(moved.every((p) => [p.templates[0]!.src, p.templates[0]!.dst].includes(COA2))).toBe(true);
    const t = scenario({ mn: { policies: 'none' } });
    await t.start();
    t.mnIp.attach(COA1, 'link1');
    await t.net.run(100);
    expect(await t.mnKernel.dumpPolicies()).toEqual([]);
    expect(t.mn.state().binding?.coa).toBe(COA1);
  });
});

describe('retransmission (RFC 6275 §11.8)', () => {
  it('backs off from InitialBindackTimeoutFirstReg (1.5 s), doubling to MAX_BINDACK_TIMEOUT (32 s), each with a new seq', async () => {
    const s = scenario();
    s.net.loss = (w) => w.from === 'mn';
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(200_000);
    const sent = s.wire('mn');
    const gaps = sent.slice(1, 9).map((w, i) => w.at - sent[i]!.at);
    expect(gaps).toEqual([1500, 3000, 6000, 12000, 24000, 32000, 32000, 32000]);
    expect(sent.slice(0, 5).map((w) => (w.mh.type === 'BU' ? w.mh.seq : -1))).toEqual([0, 1, 2, 3, 4]);
    expect(s.mn.stats().retransmissions).toBe(sent.length - 1);
  });

  it('uses INITIAL_BINDACK_TIMEOUT (1 s) when a binding exists, and both timeouts are configurable', async () => {
    const s = scenario({
      mn: {
        initialBindackTimeoutMs: 100,
        initialBindackTimeoutFirstRegMs: 250,
        maxBindackTimeoutMs: 800,
        maxUpdateRate: 0,
      },
    });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(1000);
    expect(s.mn.state().binding?.coa).toBe(COA1);
    s.net.loss = (w) => w.from === 'mn';
    const before = s.wire('mn').length;
    s.mnIp.attach(COA2, 'link2');
    await s.net.run(5000);
    const sent = s.wire('mn').slice(before);
    expect(sent.slice(1, 7).map((w, i) => w.at - sent[i]!.at)).toEqual([100, 200, 400, 800, 800, 800]);
    // First registration from scratch uses the FirstReg value.
    const t = scenario({
      mn: {
        initialBindackTimeoutMs: 100,
        initialBindackTimeoutFirstRegMs: 250,
        maxBindackTimeoutMs: 800,
        maxUpdateRate: 0,
      },
    });
    t.net.loss = (w) => w.from === 'mn';
    await t.start();
    t.mnIp.attach(COA1, 'link1');
    await t.net.run(3000);
    const first = t.wire('mn');
    expect(first.slice(1, 5).map((w, i) => w.at - first[i]!.at)).toEqual([250, 500, 800, 800]);
  });

  it('converges after losses: the BA of the latest BU ends it', async () => {
    const s = scenario();
    let drops = 3;
    s.net.loss = (w) => w.from === 'mn' && drops-- > 0;
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(60_000);
    expect(s.mn.state().binding).toMatchObject({ coa: COA1, seq: 3 });
    expect(s.mn.stats()).toMatchObject({ bindingUpdatesSent: 4, retransmissions: 3 });
    expect(s.ha.lookup(HOA)).toMatchObject({ coa: COA1, seq: 3 });
  });

  it('stays within MAX_UPDATE_RATE when the MN moves quickly', async () => {
    const s = scenario();
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    s.mnIp.attach(COA2, 'link2');
    await s.net.run(10);
    s.mnIp.attach(COA3, 'link3');
    await s.net.run(3000);
    const sent = s.wire('mn');
    for (let i = 1; i < sent.length; i++)
      expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(1000 / 3 - 1);
    expect(s.ha.lookup(HOA)?.coa).toBe(COA3);
    expect(s.mn.state().binding?.coa).toBe(COA3);
  });
});

describe('sequence numbers', () => {
  it('wrap modulo 2^16 and the HA keeps accepting', async () => {
    const s = scenario({ mn: { initialSeq: 65534 } });
    await s.start();
    for (const coa of [COA1, COA2, COA3]) {
      s.mnIp.attach(coa, coa);
      await s.net.run(2000);
      expect(s.ha.lookup(HOA)?.coa).toBe(coa);
    }
    expect(s.wire('mn').map((w) => (w.mh.type === 'BU' ? w.mh.seq : -1))).toEqual([65534, 65535, 0]);
  });

  it('status 135 resynchronises to the BA sequence number + 1 and resends', async () => {
    const s = scenario({ mn: { initialSeq: 500 } });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(2000);
    expect(s.ha.lookup(HOA)?.seq).toBe(500);
    // The MN restarts and forgets its numbers.
    s.mn.stop();
    const mn2 = new MobileNode(s.mnBus, s.clock, s.mnIp, s.mnKernel, { hoa: HOA, ha: HA, initialSeq: 0 });
    await mn2.start();
    s.mnIp.attach(COA2, 'link2');
    await s.net.run(3000);
    const bus = s
      .wire('mn')
      .filter((w) => w.mh.type === 'BU')
      .map((w) => (w.mh.type === 'BU' ? w.mh.seq : -1));
    expect(bus).toEqual([500, 0, 501]);
    const bas = s.wire('ha').map((w) => (w.mh.type === 'BA' ? [w.mh.status, w.mh.seq] : []));
    expect(bas).toEqual([
      [0, 500],
      [135, 500],
      [0, 501],
    ]);
    expect(mn2.stats().sequenceResyncs).toBe(1);
    expect(mn2.state().binding).toMatchObject({ coa: COA2, seq: 501 });
    expect(s.ha.lookup(HOA)).toMatchObject({ coa: COA2, seq: 501 });
  });

  it('gives up after repeated 135s (a broken HA) and reports the rejection', async () => {
    const s = scenario({ mn: { maxSequenceResyncs: 2 } });
    await s.mn.start();
    const rejected: number[] = [];
    s.mnBus.on('mip6.binding-rejected').subscribe((e) => rejected.push(e.status));
    s.mnIp.attach(COA1, 'link1');
    for (let i = 0; i < 4; i++) {
      await s.net.run(10);
      s.mnIp.inject(ba({ status: 135, seq: 7 }));
    }
    await s.net.run(10);
    expect(rejected).toEqual([135]);
    expect(s.mn.state().stopped).toMatchObject({ status: 135 });
  });
});

describe('Binding Acknowledgement handling (RFC 6275 §11.7.3)', () => {
  it('drops a BA without IPsec, from another node, or with the wrong sequence number', async () => {
    const s = scenario();
    await s.mn.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    const { sa: _sa, ...unprotected } = ba({ seq: 0 });
    s.mnIp.inject(unprotected);
    const other = '2001:db8::99';
    s.mnIp.inject({
      ...ba({ seq: 0 }),
      src: other,
      payload: encodeMh({ type: 'BA', status: 0, seq: 0, lifetime: 100 }, { src: other, dst: HOA }),
    });
    s.mnIp.inject(ba({ seq: 5 }));
    await s.net.run(10);
    expect(s.mn.state().binding).toBeUndefined();
    expect(s.mn.stats()).toMatchObject({ unprotectedDropped: 1, staleDropped: 2, bindingAcksReceived: 0 });
    s.mnIp.inject(ba({ seq: 0 }));
    await s.net.run(10);
    expect(s.mn.state().binding?.coa).toBe(COA1);
  });

  it('status 1 (prefix discovery necessary) is an acceptance', async () => {
    const s = scenario();
    await s.mn.start();
    const acks: number[] = [];
    s.mnBus.on('mip6.binding-acknowledged').subscribe((e) => acks.push(e.status));
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    s.mnIp.inject(ba({ seq: 0, status: 1 }));
    await s.net.run(10);
    expect(acks).toEqual([1]);
    expect(s.mn.state().binding?.coa).toBe(COA1);
  });

  for (const status of [128, 129, 130, 131, 132, 133, 134, 136, 137, 138, 139, 174]) {
    it(`status ${status} stops the registration and emits mip6.binding-rejected`, async () => {
      const s = scenario();
      await s.mn.start();
      const rejected: { status: number; reason: string; coa: string }[] = [];
      s.mnBus.on('mip6.binding-rejected').subscribe((e) => rejected.push(e));
      s.mnIp.attach(COA1, 'link1');
      await s.net.run(10);
      s.mnIp.inject(ba({ seq: 0, status }));
      await s.net.run(120_000);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ status, coa: COA1 });
      expect(rejected[0]!.reason.length).toBeGreaterThan(5);
      expect(s.wire('mn')).toHaveLength(1); // no retransmission, no refresh
      expect(s.mn.state().stopped?.status).toBe(status);
      // A new attachment tries again.
      s.mnIp.attach(COA2, 'link2');
      await s.net.run(10);
      expect(s.wire('mn')).toHaveLength(2);
    });
  }

  it('refreshes before expiry (80 % of the granted lifetime) and honours a Binding Refresh Advice', async () => {
    const s = scenario({ mn: { lifetime: 40 } });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(200_000);
    const times = s.wire('mn').map((w) => w.at);
    expect(times.slice(0, 3)).toEqual([0, 32_000, 64_000]);
    expect(s.haEvents.of('mip6.binding-deleted')).toEqual([]);
    expect(s.mn.state().binding?.coa).toBe(COA1);

    const t = scenario({ mn: { lifetime: 400 }, ha: { refreshAdvice: 20 } });
    await t.start();
    t.mnIp.attach(COA1, 'link1');
    await t.net.run(50_000);
    expect(t.wire('mn').map((w) => w.at)).toEqual([0, 20_000, 40_000]);
  });

  it('the HA may grant less than asked; the MN refreshes on what was granted', async () => {
    const s = scenario({ mn: { lifetime: 4000 }, ha: { maxLifetime: 100 } });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(90_000);
    expect(s.mnEvents.of('mip6.binding-acknowledged')[0]).toMatchObject({ lifetime: 100 });
    expect(s.wire('mn').map((w) => w.at)).toEqual([0, 80_000]);
  });
});

describe('K bit (RFC 6275 §11.7.1, §10.3.1)', () => {
  for (const [mnK, haK, agreed] of [
    [true, true, true],
    [true, false, false],
    [false, true, false],
  ] as const) {
    it(`MN K=${mnK}, HA supports K=${haK}: agreed ${agreed}`, async () => {
      const s = scenario({ mn: { kBit: mnK }, ha: { kBit: haK } });
      await s.start();
      s.mnIp.attach(COA1, 'link1');
      await s.net.run(1000);
      const bu = s.wire('mn')[0]!.mh;
      const baMsg = s.wire('ha')[0]!.mh;
      expect(bu.type === 'BU' && bu.k).toBe(mnK);
      expect(baMsg.type === 'BA' && baMsg.k).toBe(agreed);
      expect(s.mnEvents.of('mip6.binding-sending')[0]).toMatchObject({ kBit: mnK });
      expect(s.mnEvents.of('mip6.binding-acknowledged')[0]).toMatchObject({ kBit: agreed });
      expect(s.haEvents.of('mip6.binding-accepted')[0]).toMatchObject({ kBit: agreed });
      expect(s.ha.lookup(HOA)?.kBit).toBe(agreed);
    });
  }

  it('a BA claiming K to a BU without K does not make K agreed', async () => {
    const s = scenario({ mn: { kBit: false } });
    await s.mn.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    s.mnIp.inject(ba({ seq: 0, k: true }));
    await s.net.run(10);
    expect(s.mnEvents.of('mip6.binding-acknowledged')[0]).toMatchObject({ kBit: false });
  });
});

describe('return home (RFC 6275 §11.5.4)', () => {
  it('deregisters with lifetime 0 and H set, from the HoA without HAO, then emits returned-home', async () => {
    const s = scenario();
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(1000);
    s.mnIp.attach(HOA, 'home');
    await s.net.run(1000);
    const [, dereg] = s.wire('mn');
    expect(dereg!.packet).toMatchObject({ src: HOA, dst: HA });
    expect(dereg!.packet.homeAddressOption).toBeUndefined();
    expect(decodeMh(dereg!.packet.payload, { src: HOA, dst: HA })).toMatchObject({
      type: 'BU',
      h: true,
      a: true,
      lifetime: 0,
      options: [{ type: 'padN' }, { type: 'alternateCareOfAddress', address: HOA }],
    });
    const baToHome = s.wire('ha')[1]!;
    expect(baToHome.packet).toMatchObject({ src: HA, dst: HOA });
    expect(baToHome.packet.routingHeader2).toBeUndefined();
    expect(s.mnEvents.of('mip6.movement')[1]).toMatchObject({ oldCoa: COA1, newCoa: HOA, atHome: true });
    expect(s.mnEvents.of('mip6.binding-sending')[1]).toMatchObject({
      coa: HOA,
      previousCoa: COA1,
      deregistration: true,
    });
    expect(s.mnEvents.of('mip6.returned-home')).toMatchObject([{ hoa: HOA, ha: HA, oldCoa: COA1 }]);
    expect(s.haEvents.of('mip6.binding-deleted')).toMatchObject([
      { hoa: HOA, previousCoa: COA1, reason: 'deregistration' },
    ]);
    expect(s.ha.lookup(HOA)).toBeUndefined();
    expect(s.mn.state()).toMatchObject({ atHome: true, binding: undefined, coa: HOA });
    // No tunnel at home, on either side.
    expect((await s.mnKernel.dumpPolicies()).every((p) => p.templates[0]!.mode === 'transport')).toBe(true);
    expect((await s.haKernel.dumpPolicies()).every((p) => p.templates[0]!.mode === 'transport')).toBe(true);
    // Nothing more is sent while home.
    await s.net.run(100_000);
    expect(s.wire('mn')).toHaveLength(2);
  });

  it('any address inside the home prefix counts as home; starting at home sends nothing', async () => {
    const s = scenario();
    await s.start();
    s.mnIp.attach('2001:db8::abcd', 'home');
    await s.net.run(10_000);
    expect(s.wire('mn')).toEqual([]);
    expect(s.mn.state()).toMatchObject({ atHome: true, coa: HOA });
    expect(s.mnEvents.of('mip6.movement')).toMatchObject([{ newCoa: HOA, atHome: true }]);
  });

  it('a deregistration the HA answers 133 (no binding there) still completes the return home', async () => {
    const s = scenario();
    await s.mn.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    s.mnIp.attach(HOA, 'home');
    await s.net.run(1000);
    s.mnIp.inject({ ...ba({ seq: 1, status: 133, lifetime: 0 }, HOA), routingHeader2: undefined, dst: HOA });
    await s.net.run(10);
    expect(s.mnEvents.of('mip6.returned-home')).toHaveLength(1);
    expect(s.mnEvents.of('mip6.binding-rejected')).toEqual([]);
  });
});

describe('Binding Error (RFC 6275 §11.3.6)', () => {
  it('status 1 (unknown binding for HAO) from the HA re-registers', async () => {
    const s = scenario();
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(1000);
    const be = encodeMh({ type: 'BE', status: 1, homeAddress: HOA }, { src: HA, dst: COA1 });
    s.mnIp.inject({ src: HA, dst: COA1, proto: 135, payload: be });
    await s.net.run(1000);
    expect(s.wire('mn')).toHaveLength(2);
    expect(s.mn.state().binding?.seq).toBe(1);
    expect(s.mn.stats().bindingErrorsReceived).toBe(1);
  });

  it('status 2 (MH type not understood) stops and emits mip6.binding-rejected', async () => {
    const s = scenario();
    await s.mn.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    const be = encodeMh({ type: 'BE', status: 2, homeAddress: HOA }, { src: HA, dst: COA1 });
    s.mnIp.inject({ src: HA, dst: COA1, proto: 135, payload: be });
    await s.net.run(100_000);
    expect(s.mnEvents.of('mip6.binding-rejected')).toMatchObject([{ status: 2 }]);
    expect(s.wire('mn')).toHaveLength(1);
  });

  it('an unknown MH type received is answered with BE status 2', async () => {
    const s = scenario();
    await s.mn.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(10);
    const odd = encodeMh(
      { type: 'unknown', mhType: 42, data: new Uint8Array(2) },
      { src: '2001:db8:9::9', dst: COA1 },
    );
    s.mnIp.inject({ src: '2001:db8:9::9', dst: COA1, proto: 135, payload: odd });
    await s.net.run(10);
    const be = s.net.log.at(-1)!;
    expect(be.packet.dst).toBe('2001:db8:9::9');
    expect(decodeMh(be.packet.payload, { src: COA1, dst: '2001:db8:9::9' })).toMatchObject({
      type: 'BE',
      status: 2,
    });
  });

  it('a Binding Refresh Request from the HA triggers a refresh; garbage is counted and dropped', async () => {
    const s = scenario();
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(1000);
    s.mnIp.inject({
      src: HA,
      dst: COA1,
      proto: 135,
      payload: encodeMh({ type: 'BRR' }, { src: HA, dst: COA1 }),
    });
    s.mnIp.inject({ src: HA, dst: COA1, proto: 135, payload: Uint8Array.of(1, 2, 3) });
    s.mnIp.inject({
      src: HA,
      dst: COA1,
      proto: 135,
      payload: encodeMh({ type: 'BRR', payloadProto: 6 }, { src: HA, dst: COA1 }),
    });
    await s.net.run(1000);
    expect(s.wire('mn')).toHaveLength(2);
    expect(s.mn.stats().malformedDropped).toBe(2);
  });
});

describe('bootstrap and lifecycle', () => {
  it('takes the home address from a HomeAddressSource (RFC 5026) when none is configured', async () => {
    const s = scenario({
      mn: { hoa: undefined, ha: undefined },
      source: { requestHomeAddress: async () => ({ hoa: HOA, prefixLen: 64, ha: HA }) },
    });
    await s.start();
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(1000);
    expect(s.mn.state()).toMatchObject({ hoa: HOA, ha: HA, binding: { coa: COA1 } });
  });

  it('configured values win over the source; neither is an error', async () => {
    const net = new FakeNet(new VirtualClock());
    const ip = net.host('mn', []);
    let asked = 0;
    const mn = new MobileNode(
      new Bus(),
      net.clock,
      ip,
      new PolicyKernel(),
      { hoa: HOA, ha: HA },
      {
        requestHomeAddress: async () => {
          asked++;
          return { hoa: '2001:db8::999', prefixLen: 64, ha: HA };
        },
      },
    );
    await mn.start();
    expect(asked).toBe(0);
    expect(mn.state().hoa).toBe(HOA);
    const bare = new MobileNode(new Bus(), net.clock, ip, new PolicyKernel(), {});
    await expect(bare.start()).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('starts from a configured CoA, and stop() cancels every timer', async () => {
    const s = scenario({ mn: { coa: COA1 } });
    s.net.loss = (w) => mhTypeOf(w.packet) === 'BU';
    await s.start();
    await s.net.run(5000);
    expect(s.wire('mn').length).toBeGreaterThan(1);
    s.mn.stop();
    const n = s.wire('mn').length;
    await s.net.run(100_000);
    expect(s.wire('mn').length).toBe(n);
  });

  it('a kernel refusing the SPD change does not keep the BU from leaving (the error is counted)', async () => {
    const s = scenario();
    await s.start();
    s.mnKernel.refuse = 'ENOMEM';
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(1000);
    expect(s.mn.state().binding?.coa).toBe(COA1);
    expect(s.mn.stats().errors).toBe(1);
    expect(s.mn.error).toMatchObject({ code: 'ENOMEM' });
  });

  it('counts a send the kernel refuses, and retransmits', async () => {
    const s = scenario();
    await s.start();
    s.mnIp.failSends = true;
    s.mnIp.attach(COA1, 'link1');
    await s.net.run(2000);
    expect(s.mn.stats().sendFailures).toBe(2);
    s.mnIp.failSends = false;
    await s.net.run(5000);
    expect(s.mn.state().binding?.coa).toBe(COA1);
  });
});
