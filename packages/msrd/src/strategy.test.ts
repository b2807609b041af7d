import type { Ip, KernelPolicyChanged } from '@mip6sec/core';
import { IPPROTO_MH } from '@mip6sec/core';
import { DEFAULT_REQIDS, haPolicies } from '@mip6sec/mip6';
import { describe, expect, it } from 'vitest';
import { MSRD_REF_TYPE_BINDING } from './constants.js';
import { COA1, COA2, HA, HOA, mnEnds, type TestHost, testHost, tunnelSas } from './harness.test-util.js';
import { InMemoryMsrd } from './in-memory-msrd.js';
import { Mip6MsrdApi } from './msrd-api.js';

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

async function mnHandover(h: TestHost, from: Ip, to: Ip): Promise<void> {
  await movement(h, from, to);
  await h.policies(to);
  await bindingSending(h, from, to);
  await h.settle();
}

/** The BU leaving the MN's IP layer: HoA -> HA, MH type 5, which hits the BU policy. */
const sendBu = (h: TestHost) =>
  h.pfkey.datapath.output({
    src: HOA,
    dst: HA,
    proto: IPPROTO_MH,
    payload: Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 0),
  });

describe('MsrdStrategy on the mobile node', () => {
  it('bootstrap: writes the record, binds every policy to its MPI (SPDUPDATE with SADB_X_EXT_REF)', async () => {
    const h = await testHost('mn');
    const announced: KernelPolicyChanged[] = [];
    h.bus.on('kernel.policy').subscribe((e) => announced.push(e));
    await mnHandover(h, HOA, COA1);
    const [record] = await h.strategy.store.list();
    expect(record).toMatchObject({ mpi: 1n, hoa: HOA, ha: HA, coa: COA1 });
    expect(record!.policies).toHaveLength(8);
    expect([...record!.reqids]).toEqual([1, 2, 3, 4]);
    // The kernel announces each entry with the reference it now carries.
    const last = new Map(
      announced.map((e) => [`${e.policy!.dir} ${JSON.stringify(e.policy!.selector)}`, e.policy!.ref]),
    );
    expect([...last.values()]).toHaveLength(8);
    for (const ref of last.values()) expect(ref).toMatchObject({ mpi: 1n, refType: MSRD_REF_TYPE_BINDING });
  });

  it('the BU raises an extended ACQUIRE carrying the MPI, and the resolver answers (CoA, HA) from the record', async () => {
    const h = await testHost('mn');
    await mnHandover(h, HOA, COA1);
    expect(sendBu(h)).toMatchObject({ kind: 'acquire' });
    await h.settle();
    const [acquire] = h.acquires;
    expect(acquire?.ref).toMatchObject({ mpi: 1n, refType: MSRD_REF_TYPE_BINDING });
    const r = await h.strategy.resolver.resolve({ acquire: acquire! });
    expect(r).toEqual({ local: COA1, remote: HA, ref: acquire!.ref });
    expect(h.strategy.metrics().resolvedViaAcquire).toBe(1);
  });

  it('handover: tunnel SPs and SAs follow the record in place and IKE is told with cause msrd', async () => {
    const h = await testHost('mn');
    await mnHandover(h, HOA, COA1);
    const spis = await tunnelSas(h, COA1);
    h.keyManager.addIkeSa({ local: COA1, remote: HA, childReqids: [1, 3, 4] });
    await movement(h, COA1, COA2);
    // Done inside the movement hold, before the daemon re-syncs its SPD and sends the BU.
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    await h.policies(COA2);
    await bindingSending(h, COA1, COA2);
    await h.settle();
    const sas = (await h.kernel.dumpSas()).filter((s) => s.mode === 'tunnel');
    expect(sas.map((s) => s.spi).sort()).toEqual([...spis].sort());
    expect(h.keyManager.calls.filter((c) => c.kind === 'updateAddresses')).toEqual([
      {
        kind: 'updateAddresses',
        match: { local: COA1, remote: HA },
        to: { local: COA2, remote: HA },
        cause: 'msrd',
      },
    ]);
    expect(h.keyManager.ikeSas()[0]?.local.ip).toBe(COA2);
    expect((await h.strategy.store.list())[0]).toMatchObject({ coa: COA2, version: expect.any(Number) });
    expect(h.strategy.metrics()).toMatchObject({ msrdCreates: 1, msrdWrites: 2, errors: 0 });
    expect(h.strategy.metrics().kernelMigrates).toBeGreaterThan(0);
  });

  it("with kernelApply 'update' moves the same way through SPDUPDATE and SADB_UPDATE, keeping SPIs", async () => {
    const h = await testHost('mn', { kernelApply: 'update' });
    await mnHandover(h, HOA, COA1);
    const spis = await tunnelSas(h, COA1);
    await mnHandover(h, COA1, COA2);
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    const sas = (await h.kernel.dumpSas()).filter((s) => s.mode === 'tunnel');
    expect(sas.map((s) => s.spi).sort()).toEqual([...spis].sort());
    expect(h.strategy.metrics()).toMatchObject({ kernelMigrates: 0, saUpdates: 4, errors: 0 });
    expect(h.strategy.metrics().policyUpdates).toBeGreaterThan(0);
  });

  it('returns home: the record says the HoA and the MN end of every SA is the HoA', async () => {
    const h = await testHost('mn');
    await mnHandover(h, HOA, COA1);
    await tunnelSas(h, COA1);
    await movement(h, COA1, HOA);
    expect((await mnEnds(h)).sas).toEqual([HOA]);
    expect((await h.strategy.store.list())[0]?.coa).toBe(HOA);
  });

  it('re-binds an entry the MIPv6 daemon rewrote without the reference', async () => {
    const h = await testHost('mn');
    await mnHandover(h, HOA, COA1);
    const bu = (await h.kernel.dumpPolicies()).find((p) => p.dir === 'out' && p.selector.mhType === 5)!;
    await h.kernel.updatePolicy(bu, { action: bu.action, priority: bu.priority, templates: bu.templates });
    await h.settle();
    expect(sendBu(h)).toMatchObject({ kind: 'acquire' });
    await h.settle();
    expect(h.acquires[0]?.ref?.mpi).toBe(1n);
  });

  it('applies a record another writer sharing the store changed (the store is the interface)', async () => {
    const store = new InMemoryMsrd();
    const h = await testHost('mn', { store });
    await mnHandover(h, HOA, COA1);
    await tunnelSas(h, COA1);
    await new Mip6MsrdApi(store).register(HOA, HA, COA2);
    await h.settle();
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
  });
});

describe('MsrdStrategy on the home agent', () => {
  it('on an accepted BU writes its own record and moves that MN tunnel SPs/SAs and IKE_SA before the BA', async () => {
    const h = await testHost('ha');
    await accepted(h, HOA, COA1);
    await h.policies(COA1);
    await h.settle();
    await tunnelSas(h, COA1);
    h.keyManager.addIkeSa({ local: HA, remote: COA1, childReqids: [1, 3, 4] });
    // Another MN's IKE_SA with the same reqids must stay where it is.
    h.keyManager.addIkeSa({ local: HA, remote: '2001:db8:77::9', childReqids: [1, 3, 4] });
    await accepted(h, COA1, COA2);
    expect(await mnEnds(h)).toEqual({ templates: [COA2], sas: [COA2] });
    expect(h.keyManager.ikeSas().map((s) => s.remote.ip)).toEqual([COA2, '2001:db8:77::9']);
    expect(h.keyManager.calls.filter((c) => c.kind === 'updateAddresses')).toEqual([
      {
        kind: 'updateAddresses',
        match: { local: HA, remote: COA1 },
        to: { local: HA, remote: COA2 },
        cause: 'msrd',
      },
    ]);
    const r = await h.strategy.resolver.resolve({ reqid: DEFAULT_REQIDS.payload, peer: COA2 });
    expect(r).toMatchObject({ local: HA, remote: COA2 });
  });

  it('on deregistration moves the tunnel SAs and the IKE_SA to the HoA inside the hold, before the entries go', async () => {
    const h = await testHost('ha');
    await accepted(h, HOA, COA1);
    await h.policies(COA1);
    await h.settle();
    const spis = await tunnelSas(h, COA1);
    h.keyManager.addIkeSa({ local: HA, remote: COA1, childReqids: [1, 3, 4] });
    await h.bus.emitAndWait({
      type: 'mip6.binding-deleted',
      hoa: HOA,
      ha: HA,
      previousCoa: COA1,
      reason: 'deregistration',
    });
    // What the MIPv6 daemon does right after the hold: its tunnel entries go.
    for (const p of haPolicies({ hoa: HOA, ha: HA, coa: COA1 })) {
      if (p.data.templates.some((t) => t.mode === 'tunnel')) await h.kernel.delPolicy(p.id);
    }
    await h.settle();
    expect(await mnEnds(h)).toEqual({ templates: [], sas: [HOA] });
    const now = (await h.kernel.dumpSas()).filter((x) => x.mode === 'tunnel').map((x) => x.spi);
    expect(now.sort((a, b) => a - b)).toEqual([...spis].sort((a, b) => a - b));
    expect(h.keyManager.ikeSas().map((x) => x.remote.ip)).toEqual([HOA]);
    expect((await h.strategy.store.list())[0]!.coa).toBe(HOA);
  });

  it('a refresh with the same CoA writes nothing', async () => {
    const h = await testHost('ha');
    await accepted(h, HOA, COA1);
    await h.policies(COA1);
    await h.settle();
    const before = { ...h.strategy.metrics() };
    const version = (await h.strategy.store.list())[0]!.version;
    await accepted(h, COA1, COA1);
    await h.settle();
    expect(h.strategy.metrics()).toEqual(before);
    expect((await h.strategy.store.list())[0]!.version).toBe(version);
  });
});

describe('MsrdStrategy re-key (both variants of the proposal)', () => {
  it('mpiInIke: IKE stored the reference with the SA and passes it back; the record answers directly', async () => {
    const h = await testHost('mn', { mpiInIke: true });
    await mnHandover(h, HOA, COA1);
    await mnHandover(h, COA1, COA2);
    const r = await h.strategy.resolver.resolve({
      reqid: DEFAULT_REQIDS.payload,
      ref: { mpi: 1n, refType: MSRD_REF_TYPE_BINDING },
    });
    expect(r).toEqual({ local: COA2, remote: HA, ref: { mpi: 1n, refType: MSRD_REF_TYPE_BINDING } });
    expect(h.strategy.metrics()).toMatchObject({ resolvedViaIke: 1, resolvedViaPolicy: 0 });
    expect(await h.strategy.resolver.resolve({ ref: { mpi: 1n, refType: 77 } })).toBeUndefined();
  });

  it('not mpiInIke: nothing for IKE to store; the MPI is found again through the policy reference', async () => {
    const h = await testHost('mn', { mpiInIke: false });
    await mnHandover(h, HOA, COA1);
    await mnHandover(h, COA1, COA2);
    const payloadOut = (await h.kernel.dumpPolicies()).find(
      (p) => p.dir === 'out' && p.selector.proto === 255,
    )!;
    // A reference IKE should not have is ignored; the kernel's policy is the source.
    const viaPolicy = await h.strategy.resolver.resolve({
      policy: payloadOut,
      ref: { mpi: 99n, refType: MSRD_REF_TYPE_BINDING },
    });
    expect(viaPolicy).toEqual({ local: COA2, remote: HA });
    const viaReqid = await h.strategy.resolver.resolve({ reqid: DEFAULT_REQIDS.payload, peer: HA });
    expect(viaReqid).toEqual({ local: COA2, remote: HA });
    expect(h.strategy.metrics()).toMatchObject({ resolvedViaPolicy: 2, resolvedViaIke: 0 });
  });

  it('misses cleanly: before start, for unknown policies and reqids', async () => {
    const h = await testHost('mn', { mpiInIke: false });
    expect(await h.strategy.resolver.resolve({ reqid: 4 })).toBeUndefined();
    await h.strategy.stop();
    expect(await h.strategy.resolver.resolve({ reqid: 4 })).toBeUndefined();
    expect(h.strategy.metrics().resolveMisses).toBe(1);
  });
});
