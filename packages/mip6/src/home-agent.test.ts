import { Bus, type InboundIpPacket, type SaId } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import type { BindingCacheChange } from './binding-cache.js';
import { COA1, COA2, HA, HOA } from './fake-network.test-util.js';
import { IkeEventSaIdentities, PadAuthorizer } from './lookups.js';
import { type BindingUpdate, decodeMh, encodeMh, type MhMessage } from './mh-codec.js';
import { MN_ID, MN_SPI, scenario } from './scenario.test-util.js';

const sa = (spi: number): SaId => ({ src: '::', dst: '::', spi, proto: 'esp' });

/** A BU as the MN would send it from `coa` for `hoa`, arriving with `spi` (or unprotected). */
function bu(
  fields: Partial<BindingUpdate> & { seq: number },
  opts: { hoa?: string; coa?: string; spi?: number | null } = {},
): InboundIpPacket {
  const hoa = opts.hoa ?? HOA;
  const coa = opts.coa ?? COA1;
  const payload = encodeMh(
    {
      type: 'BU',
      a: true,
      h: true,
      k: true,
      lifetime: 100,
      options: [{ type: 'alternateCareOfAddress', address: coa }],
      ...fields,
    },
    { src: hoa, dst: HA },
  );
  const p: InboundIpPacket = { src: coa, dst: HA, proto: 135, payload, homeAddressOption: hoa };
  return opts.spi === null ? p : { ...p, sa: sa(opts.spi ?? MN_SPI) };
}

function bas(s: ReturnType<typeof scenario>): Extract<MhMessage, { type: 'BA' }>[] {
  return s.wire('ha').flatMap((w) => (w.mh.type === 'BA' ? [w.mh] : []));
}

describe('accepting a home registration (RFC 6275 §10.3.1)', () => {
  it('updates the cache, awaits binding-accepted BEFORE the BA leaves, then sends the BA to the CoA with RH2 = HoA', async () => {
    const s = scenario();
    await s.ha.start();
    const changes: BindingCacheChange[] = [];
    s.ha.changes.subscribe((c) => changes.push(c));
    s.haBus.on('mip6.binding-accepted').subscribe((e) => {
      expect(s.wire('ha')).toEqual([]); // no BA yet
      expect(s.ha.lookup(HOA)?.coa).toBe(COA1);
      e.waitUntil(new Promise<void>((r) => s.clock.setTimeout(r, 50)));
    });
    s.haIp.inject(bu({ seq: 10 }));
    await s.net.run(49);
    expect(s.wire('ha')).toEqual([]);
    await s.net.run(2);
    const [w] = s.wire('ha');
    expect(w!.packet).toMatchObject({ src: HA, dst: COA1, routingHeader2: HOA, proto: 135 });
    expect(w!.packet.homeAddressOption).toBeUndefined();
    // Checksum over the final destination, the HoA.
    expect(decodeMh(w!.packet.payload, { src: HA, dst: HOA })).toMatchObject({
      type: 'BA',
      status: 0,
      k: true,
      seq: 10,
      lifetime: 100,
    });
    expect(s.haEvents.of('mip6.binding-accepted')).toMatchObject([
      { hoa: HOA, ha: HA, previousCoa: HOA, coa: COA1, identity: MN_ID, seq: 10, kBit: true, lifetime: 400 },
    ]);
    expect(s.ha.lookup(HOA)).toMatchObject({
      hoa: HOA,
      coa: COA1,
      ha: HA,
      seq: 10,
      kBit: true,
      lifetime: 400,
      identity: MN_ID,
    });
    expect(changes.map((c) => c.op)).toEqual(['add']);
    expect(s.ha.stats()).toMatchObject({
      bindingUpdatesReceived: 1,
      bindingAcksSent: 1,
      accepted: 1,
      rejected: 0,
    });
  });

  it('takes the CoA from the Alternate Care-of Address option, else the source; previousCoa follows the cache', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    const noAlt = encodeMh({ type: 'BU', seq: 2, a: true, h: true, lifetime: 10 }, { src: HOA, dst: HA });
    s.haIp.inject({ src: COA2, dst: HA, proto: 135, payload: noAlt, homeAddressOption: HOA, sa: sa(MN_SPI) });
    await s.net.run(10);
    expect(s.ha.lookup(HOA)?.coa).toBe(COA2);
    expect(s.haEvents.of('mip6.binding-accepted')[1]).toMatchObject({ previousCoa: COA1, coa: COA2 });
  });

  it('installs the tunnel entries toward the CoA, moves them with the binding (reconcile) and removes them on deregistration', async () => {
    const s = scenario({ ha: { policies: 'reconcile' } });
    await s.ha.start();
    expect((await s.haKernel.dumpPolicies()).length).toBe(4);
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    const tunnel = () =>
      s.haKernel.dumpPolicies().then((ps) => ps.filter((p) => p.templates[0]!.mode === 'tunnel'));
    expect((await tunnel()).length).toBe(6);
    s.haIp.inject(bu({ seq: 2 }, { coa: COA2 }));
    await s.net.run(10);
    expect((await tunnel()).every((p) => [p.templates[0]!.src, p.templates[0]!.dst].includes(COA2))).toBe(
      true,
    );
    s.haIp.inject(bu({ seq: 3, lifetime: 0 }, { coa: COA2 }));
    await s.net.run(10);
    expect(await tunnel()).toEqual([]);
  });

  it('a kernel refusing the tunnel entries does not keep the BA from leaving (the error is counted)', async () => {
    const s = scenario();
    await s.ha.start();
    s.haKernel.refuse = 'ENOBUFS';
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([0]);
    expect(s.ha.stats().errors).toBe(1);
    expect(s.ha.error).toMatchObject({ code: 'ENOBUFS' });
  });

  it('caps the lifetime at maxLifetime and adds a Binding Refresh Advice when configured', async () => {
    const s = scenario({ ha: { maxLifetime: 60, refreshAdvice: 20 } });
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1, lifetime: 1000 }));
    await s.net.run(10);
    expect(bas(s)[0]).toMatchObject({
      lifetime: 15,
      options: [{ type: 'bindingRefreshAdvice', refreshInterval: 5 }],
    });
    expect(s.ha.lookup(HOA)?.lifetime).toBe(60);
  });
});

describe('authorization (RFC 4877: the SA identity must own the HoA)', () => {
  it('a BU protected by another identity is answered 129 and the cache does not change', async () => {
    const s = scenario();
    s.sas.add(0x3001, 'eve@example.org');
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    const before = s.ha.lookup(HOA);
    const changes: BindingCacheChange[] = [];
    s.ha.changes.subscribe((c) => changes.push(c));
    s.haIp.inject(bu({ seq: 2 }, { coa: COA2, spi: 0x3001 }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([0, 129]);
    expect(bas(s)[1]!.k).toBe(false);
    expect(s.ha.lookup(HOA)).toEqual(before);
    expect(changes).toEqual([]);
    expect(s.haEvents.of('mip6.binding-accepted')).toHaveLength(1);
    expect(s.ha.stats().rejectedByStatus).toEqual({ 129: 1 });
  });

  it('an SA no IKE identity is known for is answered 129', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }, { spi: 0x7777 }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([129]);
    expect(s.ha.bindings()).toEqual([]);
  });

  it('a home address no MN owns here is answered 133 (not home agent for this MN)', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }, { hoa: '2001:db8::200' }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([133]);
    expect(s.ha.bindings()).toEqual([]);
  });

  it('a home address outside the home prefixes is answered 132', async () => {
    const s = scenario({ ha: { mobileNodes: [{ identity: MN_ID, hoa: '2001:db8:77::1' }] } });
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }, { hoa: '2001:db8:77::1' }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([132]);
  });

  it('an unprotected BU is silently discarded (RFC 6275 §9.5.1), or answered 129 when configured', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }, { spi: null }));
    await s.net.run(10);
    expect(s.wire('ha')).toEqual([]);
    expect(s.ha.stats().unprotectedDropped).toBe(1);
    const t = scenario({ ha: { unprotectedBindingUpdates: 'reject' } });
    await t.ha.start();
    t.haIp.inject(bu({ seq: 1 }, { spi: null }));
    await t.net.run(10);
    expect(bas(t).map((b) => b.status)).toEqual([129]);
    expect(t.ha.bindings()).toEqual([]);
  });

  it('identities can come from IKE bus events and the PAD from a configuration-payload assignment', async () => {
    const bus = new Bus();
    const ids = new IkeEventSaIdentities(bus);
    const inbound = { src: COA1, dst: HA, spi: 0xabc, proto: 'esp' as const };
    bus.emit({
      type: 'ike.sa-established',
      ikeSpi: 'i1',
      local: { ip: HA, port: 500 },
      remote: { ip: COA1, port: 500 },
      localId: 'ha',
      remoteId: 'mn-a',
      initiator: false,
    });
    bus.emit({
      type: 'ike.child-installed',
      ikeSpi: 'i1',
      reqid: 1,
      inbound,
      outbound: { ...inbound, src: HA, dst: COA1, spi: 0xdef },
      rekey: false,
    });
    expect(ids.identityForSa(inbound)).toBe('mn-a');
    expect(ids.identityForSa({ ...inbound, spi: 1 })).toBeUndefined();
    bus.emit({ type: 'ike.sa-deleted', ikeSpi: 'i1', reason: 'test' });
    expect(ids.identityForSa(inbound)).toBeUndefined();
    ids.dispose();

    const pad = new PadAuthorizer([{ identity: 'a', hoa: '2001:DB8::0:1' }]);
    expect(pad.isAuthorized('a', '2001:db8::1')).toBe(true);
    expect(pad.isAuthorized('b', '2001:db8::1')).toBe(false);
    expect(pad.servesHomeAddress('2001:db8::2')).toBe(false);
    pad.remove({ identity: 'a', hoa: '2001:db8::1' });
    expect(pad.homeAddresses()).toEqual([]);

    // The HA learns a dynamic assignment from the bus.
    const s = scenario({ ha: { mobileNodes: [] } });
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([133]);
    s.haBus.emit({ type: 'ike.home-address', identity: MN_ID, hoa: HOA, prefixLen: 64 });
    s.haIp.inject(bu({ seq: 2 }));
    await s.net.run(10);
    expect(bas(s).map((b) => b.status)).toEqual([133, 0]);
  });
});

describe('sequence numbers and deregistration (RFC 6275 §9.5.1, §10.3.2)', () => {
  it('an old or repeated number is answered 135 carrying the last accepted one', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 100 }));
    s.haIp.inject(bu({ seq: 100 }, { coa: COA2 }));
    s.haIp.inject(bu({ seq: 99 }, { coa: COA2 }));
    s.haIp.inject(bu({ seq: 100 + 32768 }, { coa: COA2 }));
    await s.net.run(10);
    expect(bas(s).map((b) => [b.status, b.seq])).toEqual([
      [0, 100],
      [135, 100],
      [135, 100],
      [135, 100],
    ]);
    expect(s.ha.lookup(HOA)?.coa).toBe(COA1);
    // Without a cache entry, any number is accepted.
    const t = scenario();
    await t.ha.start();
    t.haIp.inject(bu({ seq: 65000 }));
    await t.net.run(10);
    expect(bas(t)[0]).toMatchObject({ status: 0, seq: 65000 });
  });

  it('deregistration deletes the entry and emits binding-deleted; with no entry it is answered 133', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1, lifetime: 0 }));
    await s.net.run(10);
    s.haIp.inject(bu({ seq: 2 }));
    await s.net.run(10);
    // From home: source HoA, no HAO, Alt-CoA = HoA.
    const payload = encodeMh(
      {
        type: 'BU',
        seq: 3,
        a: true,
        h: true,
        lifetime: 0,
        options: [{ type: 'alternateCareOfAddress', address: HOA }],
      },
      { src: HOA, dst: HA },
    );
    s.haIp.inject({ src: HOA, dst: HA, proto: 135, payload, sa: sa(MN_SPI) });
    await s.net.run(10);
    expect(bas(s).map((b) => [b.status, b.lifetime])).toEqual([
      [133, 0],
      [0, 100],
      [0, 0],
    ]);
    expect(s.wire('ha')[2]!.packet).toMatchObject({ dst: HOA });
    expect(s.wire('ha')[2]!.packet.routingHeader2).toBeUndefined();
    expect(s.haEvents.of('mip6.binding-deleted')).toMatchObject([
      { hoa: HOA, previousCoa: COA1, reason: 'deregistration' },
    ]);
    expect(s.ha.lookup(HOA)).toBeUndefined();
    expect(s.ha.stats().deregistrations).toBe(1);
  });

  it('awaits binding-deleted BEFORE the tunnel entries go and the BA leaves (deregistration and expiry)', async () => {
    const s = scenario();
    await s.ha.start();
    const tunnelEnds = async () =>
      (await s.haKernel.dumpPolicies()).flatMap((p) =>
        p.templates.filter((t) => t.mode === 'tunnel').map((t) => (t.src === HA ? t.dst : t.src)),
      );
    const seen: { reason: string; ends: (string | undefined)[]; bas: number }[] = [];
    s.haBus.on('mip6.binding-deleted').subscribe((e) => {
      // Held for a while, as a strategy moving the tunnel SAs back to the HoA would be.
      e.waitUntil(
        (async () => {
          await new Promise<void>((r) => s.clock.setTimeout(r, 20));
          seen.push({ reason: e.reason, ends: await tunnelEnds(), bas: bas(s).length });
        })(),
      );
    });
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    expect(new Set(await tunnelEnds())).toEqual(new Set([COA1]));
    s.haIp.inject(bu({ seq: 2, lifetime: 0 }));
    await s.net.run(10);
    // Still held: the entries are there and no BA has answered the deregistration.
    expect(seen).toEqual([]);
    expect(bas(s)).toHaveLength(1);
    await s.net.run(20);
    expect(seen).toEqual([{ reason: 'deregistration', ends: [COA1, COA1, COA1, COA1, COA1, COA1], bas: 1 }]);
    expect(await tunnelEnds()).toEqual([]);
    expect(bas(s).map((b) => [b.status, b.lifetime])).toEqual([
      [0, 100],
      [0, 0],
    ]);
    // Expiry: the same order, from the lifetime timer.
    s.haIp.inject(bu({ seq: 3, lifetime: 1 }));
    await s.net.run(4100);
    expect(seen.map((x) => x.reason)).toEqual(['deregistration', 'expired']);
    expect(seen[1]!.ends.every((e) => e === COA1)).toBe(true);
    expect(seen[1]!.ends.length).toBeGreaterThan(0);
    expect(await tunnelEnds()).toEqual([]);
  });

  it('a binding that is not refreshed expires on the clock: binding-deleted (expired), cache change, tunnel gone', async () => {
    const s = scenario();
    await s.ha.start();
    const changes: BindingCacheChange[] = [];
    s.ha.changes.subscribe((c) => changes.push(c));
    s.haIp.inject(bu({ seq: 1, lifetime: 5 }));
    await s.net.run(19_000);
    expect(s.ha.lookup(HOA)).toBeDefined();
    await s.net.run(2000);
    expect(s.ha.lookup(HOA)).toBeUndefined();
    expect(s.haEvents.of('mip6.binding-deleted')).toMatchObject([{ previousCoa: COA1, reason: 'expired' }]);
    expect(changes.map((c) => c.op)).toEqual(['add', 'delete']);
    expect((await s.haKernel.dumpPolicies()).every((p) => p.templates[0]!.mode === 'transport')).toBe(true);
    expect(s.ha.stats().expirations).toBe(1);
  });
});

describe('other input', () => {
  it('answers an unknown MH type with BE status 2 naming the HAO, ignores BUs without H and non-BU messages, drops bad checksums', async () => {
    const s = scenario();
    await s.ha.start();
    const odd = encodeMh({ type: 'unknown', mhType: 99, data: new Uint8Array(2) }, { src: HOA, dst: HA });
    s.haIp.inject({ src: COA1, dst: HA, proto: 135, payload: odd, homeAddressOption: HOA });
    s.haIp.inject(bu({ seq: 1, h: false }));
    s.haIp.inject({
      src: COA1,
      dst: HA,
      proto: 135,
      payload: encodeMh({ type: 'BRR' }, { src: COA1, dst: HA }),
    });
    const bad = bu({ seq: 2 });
    s.haIp.inject({ ...bad, payload: Uint8Array.from(bad.payload, (x, i) => (i === 4 ? x ^ 0xff : x)) });
    await s.net.run(10);
    const out = s.wire('ha');
    expect(out).toHaveLength(1);
    expect(out[0]!.packet.dst).toBe(COA1);
    expect(decodeMh(out[0]!.packet.payload, { src: HA, dst: COA1 })).toMatchObject({
      type: 'BE',
      status: 2,
      homeAddress: HOA,
    });
    expect(s.ha.stats()).toMatchObject({
      bindingErrorsSent: 1,
      ignored: 2,
      malformedDropped: 1,
      accepted: 0,
    });
  });

  it('stop() clears the cache timers and ignores further packets', async () => {
    const s = scenario();
    await s.ha.start();
    s.haIp.inject(bu({ seq: 1 }));
    await s.net.run(10);
    s.ha.stop();
    s.haIp.inject(bu({ seq: 2 }, { coa: COA2 }));
    await s.net.run(1_000_000);
    expect(s.wire('ha')).toHaveLength(1);
    expect(s.clock.pending).toBe(0);
  });
});
