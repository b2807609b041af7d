import type { AddressRequest, KernelBackend, PolicyData, PolicyId, ResolvedAddresses } from '@mip6sec/core';
import { IPPROTO_ICMPV6, IPPROTO_MH, selector } from '@mip6sec/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerConfig } from '../config.js';
import { Lab, type TestHost } from '../test-support/harness.js';

const HA = '2001:db8:1::1';
const HOA = '2001:db8:1::100';
const COA = '2001:db8:c::5';
const COA2 = '2001:db8:d::5';
const MN_ID = 'mn1@example.org';
const HA_ID = 'ha.example.org';

/** A BU-shaped Mobility Header: payload proto 59, length 1 (16 bytes), type 5. */
const BU = Uint8Array.of(59, 1, 5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);

function mhPolicy(
  src: string,
  dst: string,
  dir: 'in' | 'out',
  reqid: number,
): { id: PolicyId; data: PolicyData } {
  return {
    id: { selector: selector(src, dst, { proto: IPPROTO_MH }), dir },
    data: {
      action: 'protect',
      priority: 1,
      templates: [{ proto: 'esp', mode: 'transport', level: 'require', reqid }],
    },
  };
}

async function install(k: KernelBackend, ...ps: { id: PolicyId; data: PolicyData }[]): Promise<void> {
  for (const p of ps) await k.addPolicy(p.id, p.data);
}

const haPeer = (extra: Partial<PeerConfig> = {}): PeerConfig => ({
  name: 'mn',
  localId: HA_ID,
  remoteId: MN_ID,
  auth: { psk: 'home sweet home' },
  ike: ['aes256gcm16-prfsha384-ecp384'],
  esp: ['aes128gcm16'],
  ...extra,
});

const mnPeer = (extra: Partial<PeerConfig> = {}): PeerConfig => ({
  name: 'ha',
  remote: HA,
  localId: MN_ID,
  remoteId: HA_ID,
  auth: { psk: 'home sweet home' },
  ike: ['aes256gcm16-prfsha384-ecp384'],
  esp: ['aes128gcm16'],
  ...extra,
});

describe('Mobile IPv6 bootstrapping (RFC 5026 / RFC 4877)', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it('assigns a home address and prefix from the pool, narrows the MH CHILD_SA to it, and records it', async () => {
    lab = new Lab();
    const ha = await lab.add({
      name: 'ha',
      addresses: [HA],
      config: {
        listen: [HA],
        peers: [
          haPeer({
            homeAddressPool: { prefix: '2001:db8:1::/64', reserved: [HA] },
            children: [
              {
                name: 'mh',
                mode: 'transport',
                localTs: ['dynamic[mh]'],
                remoteTs: ['dynamic[mh]'],
                reqid: 0x20,
              },
            ],
          }),
        ],
      },
    });
    const mn = await lab.add({
      name: 'mn',
      addresses: [COA, '2001:db8:1::100'],
      config: {
        listen: [COA],
        peers: [
          mnPeer({
            requestHomeAddress: true,
            children: [
              {
                name: 'mh',
                mode: 'transport',
                localTs: ['dynamic[mh]'],
                remoteTs: ['dynamic[mh]'],
                reqid: 0x10,
              },
            ],
          }),
        ],
      },
    });
    const r = await lab.run(mn.ike.initiate('ha'));
    expect(r.failures).toEqual([]);
    expect(r.ike.homeAddress).toEqual({ address: HOA, prefix: '2001:db8:1::', prefixLen: 64 });
    const child = r.ike.children[0]!;
    expect(child.mode).toBe('transport');
    expect(child.localTs).toEqual([`${HOA}/128[135]`]);
    expect(child.remoteTs).toEqual([`${HA}/128[135]`]);
    // transport_proxy-like: the SA is for the home address, while IKE runs from the care-of address.
    expect([child.local, child.remote]).toEqual([HOA, HA]);
    expect(r.ike.local).toBe(`[${COA}]:4500`);
    expect(ha.of('ike.home-address')).toEqual([
      { type: 'ike.home-address', identity: MN_ID, hoa: HOA, prefixLen: 64 },
    ]);
    expect(ha.ike.homeAddresses()).toEqual([{ identity: MN_ID, hoa: HOA, prefixLen: 64 }]);
    expect(ha.ike.listSas()[0]!.assignedToPeer).toBe(HOA);
    expect((await mn.kernel.dumpSas()).map((s) => [s.src, s.dst, s.mode]).sort()).toEqual([
      [HA, HOA, 'transport'],
      [HOA, HA, 'transport'],
    ]);
    // The BU goes through the SA (what mip6 and the strategy would install as policies).
    await install(mn.kernel, mhPolicy(HOA, HA, 'out', 0x10));
    await install(ha.kernel, mhPolicy(HOA, HA, 'in', 0x20));
    const out = mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    expect(out.kind).toBe('send');
    expect(ha.pfkey.datapath.input((out as { bytes: Uint8Array }).bytes).kind).toBe('deliver');
    // A new IKE SA of the same identity gets the same address back.
    await lab.run(mn.ike.terminate(r.ike.ikeSpi));
    const again = await lab.run(mn.ike.initiate('ha'));
    expect(again.ike.homeAddress?.address).toBe(HOA);
  });

  it('answers a proposed address outside the pool with its own and USE_ASSIGNED_HoA', async () => {
    lab = new Lab();
    await lab.add({
      name: 'ha',
      addresses: [HA],
      config: { listen: [HA], peers: [haPeer({ homeAddressPool: { prefix: '2001:db8:1::/64' } })] },
    });
    const mn = await lab.add({
      name: 'mn',
      addresses: [COA],
      config: {
        listen: [COA],
        peers: [mnPeer({ requestHomeAddress: { proposed: '2001:db8:99::1', prefix: false } })],
      },
    });
    const r = await lab.run(mn.ike.initiate('ha'));
    expect(r.ike.homeAddress).toEqual({ address: HOA, prefixLen: 64 });
    expect(mn.ike.listSas()[0]!.homeAddress?.address).toBe(HOA);
  });

  it('reports INTERNAL_ADDRESS_FAILURE for the CHILD_SA when the pool is exhausted, keeping the IKE SA', async () => {
    lab = new Lab();
    const child = {
      name: 'mh',
      mode: 'transport' as const,
      localTs: ['dynamic[mh]'],
      remoteTs: ['dynamic[mh]'],
    };
    await lab.add({
      name: 'ha',
      addresses: [HA],
      config: {
        listen: [HA],
        peers: [
          haPeer({ remoteId: '%any', homeAddressPool: { prefix: '2001:db8:1::/127' }, children: [child] }),
        ],
      },
    });
    const mn = await lab.add({
      name: 'mn',
      addresses: [COA],
      config: { listen: [COA], peers: [mnPeer({ requestHomeAddress: true, children: [child] })] },
    });
    // The /127 has one usable host (::1); the first identity takes it.
    const r1 = await lab.run(mn.ike.initiate('ha'));
    expect(r1.ike.homeAddress?.address).toBe('2001:db8:1::1');
    const other = await lab.add({
      name: 'mn2',
      addresses: [COA2],
      config: {
        listen: [COA2],
        peers: [mnPeer({ localId: 'mn2@example.org', requestHomeAddress: true, children: [child] })],
      },
    });
    const r2 = await lab.run(other.ike.initiate('ha'));
    expect(r2.ike.state).toBe('established');
    expect(r2.ike.children).toEqual([]);
    expect(r2.failures).toMatchObject([{ child: 'mh', code: 'INTERNAL_ADDRESS_FAILURE' }]);
    expect(lab.hosts.get('ha')!.ike.homeAddresses()).toEqual([
      { identity: MN_ID, hoa: '2001:db8:1::1', prefixLen: 127 },
    ]);
  });
});

describe('ACQUIRE-driven negotiation and MIGRATE', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  async function mipPair(
    resolver?: (req: AddressRequest) => ResolvedAddresses | undefined,
  ): Promise<{ mn: TestHost; ha: TestHost; calls: AddressRequest[] }> {
    lab = new Lab();
    const calls: AddressRequest[] = [];
    const ha = await lab.add({
      name: 'ha',
      addresses: [HA],
      config: { listen: [HA], peers: [haPeer({ remoteId: '%any' })] },
    });
    const mn = await lab.add({
      name: 'mn',
      addresses: [HOA, COA, COA2],
      config: { listen: ['::'], storeRef: true, peers: [mnPeer()] },
      ...(resolver
        ? {
            resolver: {
              resolve: (req: AddressRequest) => {
                calls.push(req);
                return resolver(req);
              },
            },
          }
        : {}),
    });
    // The MIPv6 stack's policies (RFC 4877): BU out / BA in on the MN, the mirror image on the HA,
    // with a different reqid per direction as UMIP's `IPsecPolicy ... UseESP N M` allows.
    await install(mn.kernel, mhPolicy(HOA, HA, 'out', 0x10), mhPolicy(HA, HOA, 'in', 0x11));
    await install(ha.kernel, mhPolicy(HOA, HA, 'in', 0x21), mhPolicy(HA, HOA, 'out', 0x20));
    return { mn, ha, calls };
  }

  it('negotiates on ACQUIRE from the address the resolver gives, keeps the MSRD reference, then traffic flows', async () => {
    const ref = { mpi: 77n, refType: 1 };
    const { mn, ha, calls } = await mipPair(() => ({ local: COA, remote: HA, ref }));
    expect(mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU }).kind).toBe(
      'acquire',
    );
    await lab.until(
      () => mn.of('ike.child-installed').length === 1 && ha.of('ike.child-installed').length === 1,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      reqid: 0x10,
      peer: HA,
      policy: { dir: 'out' },
      acquire: { type: 'kernel.acquire', src: HOA, dst: HA },
    });
    const [sa] = mn.ike.listSas();
    expect(sa!.local).toBe(`[${COA}]:4500`);
    expect(sa!.ref).toEqual({ mpi: '77', refType: 1 });
    const child = sa!.children[0]!;
    expect(child).toMatchObject({
      mode: 'transport',
      reqid: 0x10,
      reqidIn: 0x11,
      local: HOA,
      remote: HA,
      ref: { mpi: '77', refType: 1 },
    });
    expect(ha.ike.listSas()[0]!.children[0]).toMatchObject({
      reqid: 0x20,
      reqidIn: 0x21,
      local: HA,
      remote: HOA,
    });
    const out = mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    expect(out.kind).toBe('send');
    expect(ha.pfkey.datapath.input((out as { bytes: Uint8Array }).bytes).kind).toBe('deliver');
    const pol = { selector: selector(HOA, HA, { proto: IPPROTO_MH }), dir: 'out' as const };
    expect(mn.ike.hintFor(pol)).toEqual({ local: COA, remote: HA, ref });
    expect(mn.ike.ikeSas()).toMatchObject([{ childReqids: [0x10], ref, state: 'established' }]);
  });

  it('falls back to the ACQUIRE addresses, as a plain key manager, when the resolver does not answer', async () => {
    const { mn, calls } = await mipPair(() => undefined);
    mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    await lab.until(() => mn.of('ike.child-installed').length === 1);
    expect(calls).toHaveLength(1);
    expect(mn.ike.listSas()[0]!.local).toBe(`[${HOA}]:4500`);
  });

  it('follows a MIGRATE: the SPD image, the policy hint and the IKE SA move to the kmaddress', async () => {
    const { mn, ha } = await mipPair(() => ({ local: COA, remote: HA }));
    mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    await lab.until(() => mn.of('ike.child-installed').length === 1);
    const pol = { selector: selector(HOA, HA, { proto: IPPROTO_MH }), dir: 'out' as const };
    await mn.kernel.migrate({
      selector: pol.selector,
      dir: 'out',
      bundles: [
        {
          proto: 'esp',
          mode: 'transport',
          level: 'require',
          reqid: 0x10,
          oldSrc: HOA,
          oldDst: HA,
          newSrc: HOA,
          newDst: HA,
        },
      ],
      kmaddress: { local: COA2, remote: HA },
    });
    await lab.flush();
    expect(mn.ike.listSas()[0]!.local).toBe(`[${COA2}]:4500`);
    expect(mn.of('ike.addresses-updated')).toMatchObject([
      { cause: 'migrate', local: { ip: COA2 }, remote: { ip: HA } },
    ]);
    expect(mn.ike.hintFor(pol)).toMatchObject({ local: COA2, remote: HA });
    expect(mn.ike.ikeSas()[0]!.local.ip).toBe(COA2);
    // The SA still carries traffic (transport, HoA <-> HA), and IKE speaks from the new address.
    expect(await lab.run(mn.ike.liveness(mn.ike.listSas()[0]!.ikeSpi))).toBe(true);
    const sent = lab.net.captured.at(-2)!;
    expect(sent.datagram.src.ip).toBe(COA2);
    expect(ha.ike.listSas()).toHaveLength(1);
    expect(
      mn.ike
        .spdImage()
        .map((p) => p.dir)
        .sort(),
    ).toEqual(['in', 'out']);
  });

  it('implements KeyManager updateAddresses and reestablish (the renegotiate baseline, with INITIAL_CONTACT)', async () => {
    const { mn, ha } = await mipPair(() => ({ local: COA, remote: HA }));
    mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    await lab.until(() => mn.of('ike.child-installed').length === 1);
    expect(await mn.ike.updateAddresses({ remote: HA }, { local: COA2, remote: HA }, 'msrd')).toBe(1);
    expect(mn.of('ike.addresses-updated').at(-1)).toMatchObject({ cause: 'msrd', local: { ip: COA2 } });
    // The courtesy Delete from the old address is lost: INITIAL_CONTACT must clean up the HA.
    lab.net.filter = (d) => (d.src.ip === COA2 ? 'drop' : 'pass');
    await lab.run(mn.ike.reestablish(HA, COA));
    await lab.advance(1000);
    const [sa] = mn.ike.listSas();
    expect(sa!.local).toBe(`[${COA}]:4500`);
    expect(sa!.children).toMatchObject([{ reqid: 0x10, local: HOA, remote: HA }]);
    expect(mn.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['reestablish']);
    // INITIAL_CONTACT made the HA drop the old IKE SA of that identity.
    expect(ha.ike.listSas()).toHaveLength(1);
    expect(ha.of('ike.sa-deleted').map((e) => e.reason)).toContain('initial contact');
  });

  /** MPS/MPA-style ICMPv6 entries (RFC 4877 5), a second CHILD_SA beside the BU/BA one. */
  async function icmpPolicies(mn: TestHost, ha: TestHost): Promise<{ mnOut: PolicyId; mnIn: PolicyId }> {
    const entry = (src: string, dst: string, dir: 'in' | 'out', reqid: number) => ({
      id: { selector: selector(src, dst, { proto: IPPROTO_ICMPV6 }), dir },
      data: {
        action: 'protect' as const,
        priority: 1,
        templates: [{ proto: 'esp' as const, mode: 'transport' as const, level: 'require' as const, reqid }],
      },
    });
    const mnOut = entry(HOA, HA, 'out', 0x12);
    const mnIn = entry(HA, HOA, 'in', 0x13);
    await install(mn.kernel, mnOut, mnIn);
    await install(ha.kernel, entry(HOA, HA, 'in', 0x23), entry(HA, HOA, 'out', 0x22));
    return { mnOut: mnOut.id, mnIn: mnIn.id };
  }
  const ICMP = Uint8Array.of(146, 0, 0, 0, 0, 0, 0, 0);
  const createChildDone = (h: TestHost) =>
    h.of('ike.exchange').filter((e) => e.initiator && e.ok && e.exchange === 'CREATE_CHILD_SA').length;

  /** The MN with two CHILD_SAs (BU/BA and ICMPv6) with the HA from COA. */
  async function twoChildren() {
    // The resolver answers with wherever the MN is now (as a strategy tracking its CoA does).
    const at = { coa: COA };
    const { mn, ha } = await mipPair(() => ({ local: at.coa, remote: HA }));
    const ids = await icmpPolicies(mn, ha);
    mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    await lab.until(() => mn.of('ike.child-installed').length === 1);
    mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_ICMPV6, payload: ICMP });
    await lab.until(() => mn.of('ike.child-installed').length === 2);
    return { mn, ha, ids, at };
  }

  it('reestablish: an ACQUIRE for a policy it is re-negotiating starts no CHILD_SA of its own', async () => {
    const { mn, at } = await twoChildren();
    const before = createChildDone(mn);
    at.coa = COA2;
    const again = mn.ike.reestablish(HA, COA2);
    await lab.flush();
    // The old SAs are gone: this packet raises an ACQUIRE while the new IKE SA is being set up.
    expect(mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_ICMPV6, payload: ICMP }).kind).toBe(
      'acquire',
    );
    await lab.run(again);
    await lab.advance(1000);
    expect(mn.ike.listSas()).toHaveLength(1);
    const [sa] = mn.ike.listSas();
    expect(sa!.local).toBe(`[${COA2}]:4500`);
    expect(sa!.children.map((c) => c.reqid).sort()).toEqual([0x10, 0x12]);
    // IKE_AUTH carried the BU/BA CHILD_SA, one CREATE_CHILD_SA the ICMPv6 one, and nothing else.
    expect(createChildDone(mn) - before).toBe(1);
  });

  it('reestablish: a CHILD_SA whose policy is gone is not negotiated again', async () => {
    const { mn, ids, at } = await twoChildren();
    const before = createChildDone(mn);
    at.coa = COA2;
    // As the MIPv6 daemon removes its tunnel entries at home.
    await mn.kernel.delPolicy(ids.mnOut);
    await mn.kernel.delPolicy(ids.mnIn);
    await lab.run(mn.ike.reestablish(HA, COA2));
    expect(mn.ike.listSas()[0]!.children.map((c) => c.reqid)).toEqual([0x10]);
    expect(createChildDone(mn)).toBe(before);
  });

  it('discard ends a half-open IKE SA toward an address nobody answers at, and an established one with its CHILD_SAs, sending nothing', async () => {
    const { mn, ha } = await mipPair(() => ({ local: COA, remote: HA }));
    mn.pfkey.datapath.output({ src: HOA, dst: HA, proto: IPPROTO_MH, payload: BU });
    await lab.until(
      () => mn.of('ike.child-installed').length === 1 && ha.of('ike.child-installed').length === 1,
    );
    // The HA starts a negotiation of its own toward an address the MN no longer answers at.
    lab.net.filter = (d) => (d.dst.ip === COA2 ? 'drop' : 'pass');
    const half = ha.ike
      .initiate({ ...haPeer({ remoteId: '%any' }), name: 'to-coa2', remote: COA2 }, { children: [] })
      .catch((e: unknown) => e);
    await lab.flush();
    expect(ha.ike.ikeSas().map((x) => [x.remote.ip, x.state])).toContainEqual([COA2, 'connecting']);
    const sent = () => lab.net.captured.filter((c) => c.from === 'ha').length;
    const n = sent();
    expect(await ha.ike.discard({ local: HA, remote: COA2 }, 'binding moved')).toBe(1);
    expect(ha.ike.ikeSas().map((x) => x.remote.ip)).toEqual([COA]);
    expect(ha.of('ike.sa-deleted').at(-1)).toMatchObject({ reason: 'binding moved' });
    expect(await lab.run(half)).toMatchObject({ code: 'ECANCELED' });
    await lab.advance(200_000);
    expect(sent()).toBe(n);
    // An established one: its CHILD_SAs leave the kernel, and the peer is not told.
    const m = lab.net.captured.length;
    expect(await mn.ike.discard({ remote: HA }, 'moved')).toBe(1);
    expect(mn.ike.ikeSas()).toEqual([]);
    expect(await mn.kernel.dumpSas()).toEqual([]);
    expect(lab.net.captured.length).toBe(m);
    expect(await mn.ike.discard({ remote: HA }, 'moved')).toBe(0);
  });
});
