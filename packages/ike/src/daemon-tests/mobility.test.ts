import { afterEach, describe, expect, it } from 'vitest';
import { EXCHANGE } from '../constants.js';
import { Lab } from '../test-support/harness.js';
import { A, agreed, B, pair } from '../test-support/peers.js';

const A2 = '2001:db8::a2';

describe('MOBIKE (RFC 4555)', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it('negotiates MOBIKE, floats to 4500, and moves the IKE SA and CHILD_SAs to a new address without rekeying', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { addressesA: [A, A2, '2001:db8:a::1'] });
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.ike.mobike).toBe(true);
    expect(r.ike.natT).toBe(true);
    expect(r.ike.local).toBe(`[${A}]:4500`);
    const child = r.ike.children[0]!;
    // The old address goes away; the request must leave from the new one.
    lab.net.removeAddress('a', A);
    await lab.run(a.ike.roam(r.ike.ikeSpi, { local: A2 }));
    expect(agreed(a, b)).toBe(true);
    const la = a.ike.listSas()[0]!;
    const lb = b.ike.listSas()[0]!;
    expect(la.local).toBe(`[${A2}]:4500`);
    expect(lb.remote).toBe(`[${A2}]:4500`);
    expect(la.children[0]!.spiIn).toBe(child.spiIn);
    expect(lb.children[0]!.remote).toBe(A2);
    const kb = await b.kernel.dumpSas();
    expect(kb.map((s) => [s.src, s.dst]).sort()).toEqual(
      [
        [A2, B],
        [B, A2],
      ].sort(),
    );
    const ka = await a.kernel.dumpSas();
    expect(ka.every((s) => s.src === A2 || s.dst === A2)).toBe(true);
    expect(a.of('ike.addresses-updated')).toMatchObject([{ cause: 'mobike', local: { ip: A2, port: 4500 } }]);
    expect(b.of('ike.addresses-updated')).toMatchObject([
      { cause: 'mobike', remote: { ip: A2, port: 4500 } },
    ]);
    expect(a.of('ike.child-installed')).toHaveLength(1);
    // The moved SAs carry traffic between the new outer addresses.
    const pol = (dir: 'in' | 'out', reqid: number) => ({
      id: {
        selector: {
          src: { addr: '2001:db8:a::', len: 48 },
          dst: { addr: '2001:db8:b::', len: 48 },
          proto: 255,
          srcPort: 0,
          dstPort: 0,
        },
        dir,
      },
      data: {
        action: 'protect' as const,
        priority: 1,
        templates: [
          {
            proto: 'esp' as const,
            mode: 'tunnel' as const,
            level: 'require' as const,
            reqid,
            src: A2,
            dst: B,
          },
        ],
      },
    });
    await a.kernel.addPolicy(pol('out', 7).id, pol('out', 7).data);
    await b.kernel.addPolicy(pol('in', 9).id, pol('in', 9).data);
    const out = a.pfkey.datapath.output({
      src: '2001:db8:a::1',
      dst: '2001:db8:b::1',
      proto: 17,
      payload: new Uint8Array(12),
    });
    expect(out.kind).toBe('send');
    expect(b.pfkey.datapath.input((out as { bytes: Uint8Array }).bytes).kind).toBe('deliver');
    // And IKE still works over the new path.
    expect(await lab.run(a.ike.liveness(r.ike.ikeSpi))).toBe(true);
  });

  it('does not negotiate MOBIKE when one end disables it, and then refuses to roam', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { peerB: { mobike: false } });
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.ike.mobike).toBe(false);
    expect(b.ike.listSas()[0]!.mobike).toBe(false);
    await expect(a.ike.roam(r.ike.ikeSpi, { local: A2 })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('MIGRATE of a tunnel without kmaddress', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it('moves the CHILD_SA record and the IKE SA that sat on the old tunnel endpoints', async () => {
    lab = new Lab();
    const { a } = await pair(lab, {
      addressesA: [A, A2, '2001:db8:a::1'],
      peerA: { mobike: false },
      peerB: { mobike: false },
    });
    const r = await lab.run(a.ike.initiate('b'));
    const sel = {
      src: { addr: '2001:db8:a::', len: 48 },
      dst: { addr: '2001:db8:b::', len: 48 },
      proto: 255,
      srcPort: 0,
      dstPort: 0,
    };
    await a.kernel.addPolicy(
      { selector: sel, dir: 'out' },
      {
        action: 'protect',
        priority: 1,
        templates: [{ proto: 'esp', mode: 'tunnel', level: 'require', reqid: 7, src: A, dst: B }],
      },
    );
    await a.kernel.migrate({
      selector: sel,
      dir: 'out',
      bundles: [
        {
          proto: 'esp',
          mode: 'tunnel',
          level: 'require',
          reqid: 7,
          oldSrc: A,
          oldDst: B,
          newSrc: A2,
          newDst: B,
        },
      ],
    });
    await lab.flush();
    const la = a.ike.listSas()[0]!;
    expect(la.local).toBe(`[${A2}]:500`);
    expect(la.children[0]!.local).toBe(A2);
    expect(a.of('ike.addresses-updated')).toMatchObject([
      { ikeSpi: r.ike.ikeSpi, cause: 'migrate', local: { ip: A2 } },
    ]);
    expect(a.ike.hintFor({ selector: sel, dir: 'out' })).toEqual({ local: A2, remote: B });
    expect(a.ike.spdImage()[0]!.templates[0]).toMatchObject({ src: A2, dst: B });
  });
});

describe('a request in flight when the IKE SA moves', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  /** The CREATE_CHILD_SA requests `a` put on the wire, with their source address. */
  const createChildFrom = (l: Lab) =>
    l.net.captured
      .filter((c) => {
        // On port 4500 (MOBIKE floats there) the IKE header follows the non-ESP marker.
        const at = c.datagram.dst.port === 4500 ? 4 : 0;
        return c.from === 'a' && c.datagram.data[at + 18] === EXCHANGE.CREATE_CHILD_SA;
      })
      .map((c) => c.datagram.src.ip);

  for (const how of ['kmaddress', 'mobike'] as const) {
    it(`goes again at once from the new address (${how}); the answer comes back in one round trip, not after the 4 s retransmission`, async () => {
      lab = new Lab();
      const mobike = how === 'mobike';
      const { a, b } = await pair(lab, {
        addressesA: [A, A2, '2001:db8:a::1'],
        peerA: { mobike },
        peerB: { mobike },
      });
      const r = await lab.run(a.ike.initiate('b'));
      const spi = Number.parseInt(r.ike.children[0]!.spiIn, 16);
      // The rekey request leaves from A; then A goes away before the answer is back.
      const rekey = a.ike.rekeyChild(r.ike.ikeSpi, spi);
      let done = false;
      void rekey.then(() => (done = true));
      await lab.flush();
      expect(createChildFrom(lab)).toEqual([A]);
      const movedAt = lab.clock.now();
      lab.net.removeAddress('a', A);
      if (mobike) void a.ike.roam(r.ike.ikeSpi, { local: A2 });
      else await a.ike.updateAddresses({ local: A, remote: B }, { local: A2, remote: B }, 'migrate');
      await lab.until(() => done, 1000);
      // One round trip on the 5 ms network (the responder answers the resend from its cache).
      expect(lab.clock.now() - movedAt).toBeLessThanOrEqual(15);
      expect(createChildFrom(lab)).toEqual([A, A2]);
      const rekeyed = await rekey;
      expect(rekeyed.spiIn).not.toBe(r.ike.children[0]!.spiIn);
      expect(agreed(a, b)).toBe(true);
    });
  }

  it('a resend is not a retransmission: the timer still gives up after the same number of tries', async () => {
    lab = new Lab();
    const { a } = await pair(lab, { addressesA: [A, A2, '2001:db8:a::1'], peerA: { mobike: false } });
    const r = await lab.run(a.ike.initiate('b'));
    // Nothing reaches b any more: every request from a is lost.
    lab.net.filter = (_d, from) => (from === 'a' ? 'drop' : 'pass');
    const spi = Number.parseInt(r.ike.children[0]!.spiIn, 16);
    const rekey = a.ike.rekeyChild(r.ike.ikeSpi, spi).catch((e: unknown) => e);
    await lab.flush();
    await a.ike.updateAddresses({ local: A, remote: B }, { local: A2, remote: B }, 'migrate');
    expect(await lab.run(rekey)).toMatchObject({ code: 'ETIMEDOUT' });
    // The first send, the resend on the move, five retransmissions.
    expect(createChildFrom(lab)).toHaveLength(7);
    expect(a.ike.listSas()).toEqual([]);
  });
});

describe('NAT traversal (RFC 7296 2.23, RFC 3948)', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it('detects the NAT, moves to port 4500 and installs UDP-encapsulated CHILD_SAs', async () => {
    lab = new Lab();
    const inside = '10.1.0.2';
    const outside = '198.51.100.1';
    const gw = '203.0.113.5';
    lab.net.addNat(inside, outside);
    const a = await lab.add({
      name: 'a',
      addresses: [inside],
      config: {
        listen: [inside],
        peers: [
          {
            name: 'gw',
            local: inside,
            remote: gw,
            auth: { psk: 'k' },
            mobike: false,
            children: [{ name: 'c', localTs: ['10.1.0.0/16'], remoteTs: ['10.2.0.0/16'] }],
          },
        ],
      },
    });
    const b = await lab.add({
      name: 'b',
      addresses: [gw],
      config: {
        listen: [gw],
        peers: [
          {
            name: 'any',
            auth: { psk: 'k' },
            mobike: false,
            children: [{ name: 'c', localTs: ['10.2.0.0/16'], remoteTs: ['10.1.0.0/16'] }],
          },
        ],
      },
    });
    const r = await lab.run(a.ike.initiate('gw'));
    expect(r.failures).toEqual([]);
    expect(r.ike).toMatchObject({
      natLocal: true,
      natRemote: false,
      natT: true,
      local: `${inside}:4500`,
      remote: `${gw}:4500`,
    });
    const lb = b.ike.listSas()[0]!;
    expect(lb).toMatchObject({ natLocal: false, natRemote: true, natT: true });
    expect(lb.remote.startsWith(`${outside}:`)).toBe(true);
    expect(lb.children[0]!.encap).toBe(true);
    const ka = await a.kernel.dumpSas();
    expect(ka.every((s) => s.encap?.sport !== undefined && s.encap.dport !== undefined)).toBe(true);
    const kb = await b.kernel.dumpSas();
    const outbound = kb.find((s) => s.src === gw)!;
    expect(outbound.encap).toMatchObject({ sport: 4500, dport: Number(lb.remote.split(':')[1]) });
    expect(await lab.run(a.ike.liveness(r.ike.ikeSpi))).toBe(true);
  });

  it('forces UDP encapsulation without a NAT when asked (a faked NAT_DETECTION_SOURCE_IP)', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { peerA: { forceEncap: true, mobike: false } });
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.ike).toMatchObject({ natLocal: true, natT: true });
    expect(b.ike.listSas()[0]).toMatchObject({ natRemote: true, natT: true });
    expect(r.ike.children[0]!.encap).toBe(true);
    expect(agreed(a, b)).toBe(true);
  });
});
