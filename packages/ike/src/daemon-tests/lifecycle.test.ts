import { afterEach, describe, expect, it } from 'vitest';
import { EXCHANGE } from '../constants.js';
import { Lab } from '../test-support/harness.js';
import { agreed, ikeBytes, pair } from '../test-support/peers.js';

describe('CHILD_SA and IKE SA lifecycle', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it.each([
    ['without PFS', ['aes128gcm16'], undefined],
    ['with PFS', ['aes128-sha256-modp2048'], 14],
    ['with PFS on a curve', ['aes256gcm16-ecp384'], 20],
  ])(
    'rekeys a CHILD_SA %s on the soft expire, before the hard one, and deletes the old one',
    async (_n, esp, group) => {
      lab = new Lab();
      const { a, b } = await pair(lab, {
        espA: esp,
        espB: esp,
        childA: { rekeySeconds: 60, lifetimeSeconds: 90 },
        childB: { rekeySeconds: 100, lifetimeSeconds: 120 },
      });
      await lab.run(a.ike.initiate('b'));
      const before = a.ike.listSas()[0]!.children[0]!;
      await lab.advance(61_000);
      expect(agreed(a, b)).toBe(true);
      const after = a.ike.listSas()[0]!.children[0]!;
      expect(after.spiIn).not.toBe(before.spiIn);
      expect(after.reqid).toBe(7);
      expect(b.ike.listSas()[0]!.children[0]!.reqid).toBe(9);
      expect(a.of('ike.child-installed').map((e) => e.rekey)).toEqual([false, true]);
      expect((await a.kernel.dumpSas()).length).toBe(2);
      expect((await b.kernel.dumpSas()).length).toBe(2);
      const create = lab.net.captured.filter((c) => ikeBytes(c.datagram)[18] === EXCHANGE.CREATE_CHILD_SA);
      expect(create).toHaveLength(2);
      if (group) expect(after.algorithms).toContain(group === 14 ? 'modp2048' : 'ecp384');
      // No hard expire ever hit: the old SA was deleted by the exchange, not by the kernel.
      expect(a.of('kernel.expire').filter((e) => e.hard)).toEqual([]);
    },
  );

  it('deletes a CHILD_SA on the hard expire (no rekey time), on both ends, and keeps the IKE SA', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      childA: { rekeySeconds: 0, lifetimeSeconds: 30 },
      childB: { rekeySeconds: 0, lifetimeSeconds: 45 },
    });
    const r = await lab.run(a.ike.initiate('b'));
    await lab.advance(31_000);
    expect(a.of('kernel.expire').every((e) => e.hard)).toBe(true);
    expect(a.ike.listSas()[0]!.children).toEqual([]);
    expect(b.ike.listSas()[0]!.children).toEqual([]);
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(b.of('kernel.expire')).toEqual([]);
    expect(await lab.run(a.ike.liveness(r.ike.ikeSpi))).toBe(true);
  });

  it('rekeys the IKE SA: new SPIs and keys, CHILD_SAs kept, old SA deleted, message IDs from 0', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab);
    const first = await lab.run(a.ike.initiate('b'));
    const rekeyed = await lab.run(a.ike.rekeyIke(first.ike.ikeSpi));
    await lab.advance(1000);
    expect(rekeyed.ikeSpi).not.toBe(first.ike.ikeSpi);
    expect(agreed(a, b)).toBe(true);
    expect(a.ike.listSas()[0]!.ikeSpi).toBe(rekeyed.ikeSpi);
    expect(a.ike.listSas()[0]!.children[0]!.spiIn).toBe(first.ike.children[0]!.spiIn);
    expect(a.of('ike.sa-deleted').map((e) => [e.ikeSpi, e.reason])).toEqual([[first.ike.ikeSpi, 'rekeyed']]);
    expect(b.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['rekeyed']);
    // The new SA works: a liveness check, then a CHILD_SA rekey over it.
    expect(await lab.run(a.ike.liveness(rekeyed.ikeSpi))).toBe(true);
    const c = await lab.run(
      a.ike.rekeyChild(rekeyed.ikeSpi, Number.parseInt(rekeyed.children[0]!.spiIn, 16)),
    );
    await lab.advance(1000);
    expect(agreed(a, b)).toBe(true);
    expect(a.ike.listSas()[0]!.children.map((x) => x.spiIn)).toEqual([c.spiIn]);
    // The responder can rekey it too, being now the original responder of the new SA.
    const back = await lab.run(b.ike.rekeyIke(rekeyed.ikeSpi));
    await lab.advance(1000);
    expect(agreed(a, b)).toBe(true);
    expect(a.ike.listSas()[0]!.initiator).toBe(false);
    expect(back.initiator).toBe(true);
  });

  it('rekeys the IKE SA on its own timer and goes on doing so on the new SA', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { peerA: { rekeySeconds: 100 } });
    await lab.run(a.ike.initiate('b'));
    await lab.advance(250_000);
    expect(a.of('ike.sa-established')).toHaveLength(3);
    expect(a.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['rekeyed', 'rekeyed']);
    expect(agreed(a, b)).toBe(true);
    expect(a.of('ike.child-installed')).toHaveLength(1);
  });

  it('resolves a simultaneous CHILD_SA rekey: one new CHILD_SA survives on both ends (RFC 7296 2.8.1)', async () => {
    for (let round = 0; round < 6; round++) {
      lab = new Lab();
      const { a, b } = await pair(lab);
      const r = await lab.run(a.ike.initiate('b'));
      const spi = Number.parseInt(r.ike.children[0]!.spiIn, 16);
      const pa = a.ike.rekeyChild(r.ike.ikeSpi, spi);
      const pb = b.ike.rekeyChild(r.ike.ikeSpi, Number.parseInt(r.ike.children[0]!.spiOut, 16));
      await lab.run(Promise.all([pa, pb]));
      await lab.advance(2000);
      expect(agreed(a, b)).toBe(true);
      expect(a.ike.listSas()[0]!.children).toHaveLength(1);
      expect(a.ike.listSas()[0]!.children[0]!.spiIn).not.toBe(r.ike.children[0]!.spiIn);
      // The requests crossed: each end made one CHILD_SA as initiator and one as responder.
      expect(a.of('ike.child-installed').filter((e) => e.rekey)).toHaveLength(2);
      expect(b.of('ike.child-installed').filter((e) => e.rekey)).toHaveLength(2);
      expect((await a.kernel.dumpSas()).length).toBe(2);
      expect((await b.kernel.dumpSas()).length).toBe(2);
      await lab.stop();
    }
    lab = new Lab();
  });

  it('resolves a simultaneous IKE SA rekey: both ends keep the same new IKE SA with the CHILD_SA', async () => {
    for (let round = 0; round < 6; round++) {
      lab = new Lab();
      const { a, b } = await pair(lab);
      const r = await lab.run(a.ike.initiate('b'));
      const both = Promise.all([a.ike.rekeyIke(r.ike.ikeSpi), b.ike.rekeyIke(r.ike.ikeSpi)]);
      await lab.run(both);
      await lab.advance(2000);
      expect(agreed(a, b)).toBe(true);
      const answered = (h: typeof a) =>
        h.of('ike.exchange').filter((e) => e.exchange === 'CREATE_CHILD_SA' && !e.initiator);
      expect(answered(a)).toHaveLength(1);
      expect(answered(b)).toHaveLength(1);
      expect(a.of('ike.sa-established')).toHaveLength(2);
      expect(a.ike.listSas()[0]!.children).toHaveLength(1);
      expect(await lab.run(a.ike.liveness(a.ike.listSas()[0]!.ikeSpi))).toBe(true);
      await lab.stop();
    }
    lab = new Lab();
  });

  it('deletes a CHILD_SA and then the IKE SA, on both ends and in both kernels', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab);
    const r = await lab.run(a.ike.initiate('b'));
    const extra = await lab.run(a.ike.createChild(r.ike.ikeSpi, 'net'));
    expect(a.ike.listSas()[0]!.children).toHaveLength(2);
    await lab.run(a.ike.deleteChild(r.ike.ikeSpi, Number.parseInt(extra.spiIn, 16)));
    expect(agreed(a, b)).toBe(true);
    expect(b.ike.listSas()[0]!.children).toHaveLength(1);
    expect((await b.kernel.dumpSas()).length).toBe(2);
    await lab.run(b.ike.terminate(r.ike.ikeSpi));
    await lab.advance(100);
    expect(a.ike.listSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(a.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['deleted by peer']);
    expect(b.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['deleted']);
  });

  it('checks liveness when idle (DPD), and tears down after the retransmissions when the peer is gone', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { daemonA: { dpdDelay: 30_000 } });
    const r = await lab.run(a.ike.initiate('b'));
    await lab.advance(95_000);
    const dpds = a.of('ike.exchange').filter((e) => e.exchange === 'INFORMATIONAL');
    expect(dpds.length).toBe(3);
    expect(dpds.every((e) => e.ok && e.messages === 2)).toBe(true);
    // The peer disappears: retransmissions 4 s x 1.8^n, five of them, then the SA is gone.
    lab.net.filter = () => 'drop';
    const start = lab.clock.now();
    await lab.until(() => a.ike.listSas().length === 0, 400_000);
    const took = lab.clock.now() - start;
    expect(took).toBeGreaterThan(165_000);
    expect(took).toBeLessThan(165_000 + 31_000);
    expect(a.of('ike.sa-deleted').at(-1)).toMatchObject({
      ikeSpi: r.ike.ikeSpi,
      reason: 'peer not responding',
    });
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(a.of('ike.exchange').at(-1)).toMatchObject({ exchange: 'INFORMATIONAL', ok: false, messages: 6 });
    expect(b.ike.listSas()).toHaveLength(1);
  });

  it('survives loss and duplication: retransmits, answers retransmitted requests from its cache', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab);
    let n = 0;
    // Drop every other datagram of the first eight, duplicate everything else.
    lab.net.filter = () => (n++ < 8 && n % 2 === 1 ? 'drop' : 'dup');
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.failures).toEqual([]);
    await lab.advance(10_000);
    expect(agreed(a, b)).toBe(true);
    expect(a.of('ike.child-installed')).toHaveLength(1);
    expect(b.of('ike.child-installed')).toHaveLength(1);
    expect(b.of('ike.sa-established')).toHaveLength(1);
    expect(
      a
        .of('ike.exchange')
        .filter((e) => e.ok)
        .map((e) => e.exchange),
    ).toEqual(['IKE_SA_INIT', 'IKE_AUTH']);
    expect(a.of('ike.exchange').reduce((s, e) => s + e.messages, 0)).toBeGreaterThan(4);
  });
});
