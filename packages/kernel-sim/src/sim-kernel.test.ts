import {
  Bus,
  type BusEvent,
  Host,
  IPPROTO_MH,
  KERNEL_BACKEND,
  KernelError,
  type PolicyData,
  parsePrefix,
  type SaData,
  selector,
  VirtualClock,
} from '@mip6sec/core';
import {
  buildSpdAdd,
  encode,
  IPPROTO_ESP,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TRANSPORT,
} from '@mip6sec/pfkey-codec';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { COA1, COA2, HA, HOA, newKernel } from './kit.test-util.js';
import { SIM_KERNEL, simKernel } from './plugin.js';
import { SimKernel } from './sim-kernel.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const { kernel, clock } = newKernel();
  const bus = new Bus();
  const events: BusEvent[] = [];
  bus.events.subscribe((e) => events.push(e));
  const backend = new SimKernel(kernel, bus);
  return { kernel, clock, bus, events, backend };
}

const tunnelOut = (coa: string, reqid = 0x42): PolicyData => ({
  action: 'protect',
  priority: 10,
  templates: [{ proto: 'esp', mode: 'tunnel', level: 'unique', reqid, src: coa, dst: HA }],
});

const gcm = (mode: 'tunnel' | 'transport' = 'tunnel', reqid = 0x42): SaData => ({
  mode,
  reqid,
  enc: { alg: 'aes-gcm-16', key: new Uint8Array(20).fill(3) },
  replayWindow: 64,
});

describe('SimKernel: KernelBackend through PF_KEY', () => {
  it('reports its features and counts every message across the socket', async () => {
    const { backend } = setup();
    expect(backend.features()).toEqual({
      espStates: true,
      migrate: true,
      acquireRef: true,
      datapath: true,
      udpEncap: true,
    });
    // Two REGISTERs went out, two answers came back.
    expect(backend.stats()).toMatchObject({ messagesToKernel: 2, messagesFromKernel: 2 });
    await backend.dumpPolicies();
    const s = backend.stats();
    expect(s.messagesToKernel).toBe(3);
    expect(s.bytesToKernel).toBe(48);
  });

  it('policies: add, query, dump, update, delete, flush, with kernel.policy events', async () => {
    const { backend, events } = setup();
    const id = { selector: selector(HOA, parsePrefix('::/0')), dir: 'out' as const };
    const p = await backend.addPolicy(id, tunnelOut(COA1));
    expect(p).toMatchObject({
      index: 1,
      dir: 'out',
      action: 'protect',
      priority: 10,
      templates: [{ src: COA1, dst: HA, reqid: 0x42, level: 'unique' }],
    });
    await expect(backend.addPolicy(id, tunnelOut(COA1))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await backend.queryPolicy(id)).toEqual(p);
    const u = await backend.updatePolicy(id, tunnelOut(COA2));
    expect(u.index).toBe(1);
    expect(await backend.dumpPolicies()).toEqual([u]);
    await backend.delPolicy(id);
    await expect(backend.delPolicy(id)).rejects.toBeInstanceOf(KernelError);
    expect(await backend.queryPolicy(id)).toBeUndefined();
    await backend.addPolicy(id, tunnelOut(COA1));
    await backend.flushPolicies();
    expect(await backend.dumpPolicies()).toEqual([]);
    await tick();
    expect(events.filter((e) => e.type === 'kernel.policy').map((e) => (e as { op: string }).op)).toEqual([
      'add',
      'update',
      'delete',
      'add',
      'flush',
    ]);
  });

  it('SAs: getSpi then addSa completes the larval SA; query, dump, update endpoints, delete', async () => {
    const { backend, kernel } = setup();
    const spi = await backend.getSpi({
      src: COA1,
      dst: HA,
      proto: 'esp',
      reqid: 0x42,
      min: 0x1000,
      max: 0x1fff,
    });
    expect(spi).toBeGreaterThanOrEqual(0x1000);
    expect(kernel.sad.get({ dst: HA, spi, proto: 'esp' })!.state).toBe('larval');
    const id = { src: COA1, dst: HA, spi, proto: 'esp' as const };
    await backend.addSa(id, {
      ...gcm(),
      soft: { addSeconds: 100, bytes: 0, packets: 0 },
      hard: { addSeconds: 120, bytes: 0, packets: 0 },
    });
    const sa = await backend.querySa(id);
    expect(sa).toMatchObject({
      ...id,
      state: 'mature',
      mode: 'tunnel',
      reqid: 0x42,
      replayWindow: 64,
      enc: { alg: 'aes-gcm-16' },
    });
    expect(sa!.enc.key).toEqual(new Uint8Array(20).fill(3));
    expect(sa!.hard).toEqual({ addSeconds: 120, bytes: 0, packets: 0 });
    await expect(backend.addSa(id, gcm())).rejects.toMatchObject({ code: 'EEXIST' });
    await backend.updateSa(id, { newSrc: COA2 });
    // SAs are found by destination, SPI and protocol: the moved one answers for the old identity too.
    const moved = await backend.querySa({ ...id, src: COA2 });
    expect(moved).toMatchObject({ src: COA2, dst: HA, spi, state: 'mature' });
    expect(moved!.enc.key).toEqual(new Uint8Array(20).fill(3));
    await backend.updateSa({ ...id, src: COA2 }, { newDst: '2001:db8:aaaa::2' });
    expect(await backend.querySa(id)).toBeUndefined();
    expect((await backend.dumpSas()).map((s) => [s.spi, s.dst])).toEqual([[spi, '2001:db8:aaaa::2']]);
    await backend.delSa({ ...id, src: COA2, dst: '2001:db8:aaaa::2' });
    await expect(backend.delSa(id)).rejects.toMatchObject({ code: 'ESRCH' });
    expect(await backend.dumpSas()).toEqual([]);
  });

  it('kernel.sa events say what changed, with the SA as plain data', async () => {
    const { backend, events } = setup();
    const spi = await backend.getSpi({ src: HA, dst: COA1, proto: 'esp', reqid: 7 });
    const id = { src: HA, dst: COA1, spi, proto: 'esp' as const };
    await backend.addSa(id, gcm('tunnel', 7));
    await backend.delSa(id);
    await tick();
    const sa = events.filter((e) => e.type === 'kernel.sa');
    expect(sa.map((e) => e.op)).toEqual(['update', 'delete']);
    const first = sa[0]!;
    expect(Object.keys(first)).toEqual(['type', 'op', 'sa']);
    expect(first.sa).toMatchObject({ ...id, state: 'mature', mode: 'tunnel', reqid: 7, replayWindow: 64 });
    expect(first.sa).toBe(first.sa);
    expect(JSON.parse(JSON.stringify(sa[1]))).toMatchObject({ op: 'delete', sa: { spi, dst: COA1 } });
    expect(structuredClone({ ...sa[1]! }).sa).toMatchObject({ spi, state: 'dead' });
  });

  it('wide replay windows and ESN travel through PF_KEY', async () => {
    const { backend } = setup();
    const id = { src: COA1, dst: HA, spi: 0x500, proto: 'esp' as const };
    await backend.addSa(id, { ...gcm(), replayWindow: 4096, esn: true });
    expect(await backend.querySa(id)).toMatchObject({ replayWindow: 4096, esn: true });
    await expect(
      backend.addSa({ ...id, spi: 0x501 }, { ...gcm(), replayWindow: 5000 }),
    ).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it("a policy's MSRD reference comes back from every query and event as core's MsrdRef, nothing more", async () => {
    const { kernel, backend, events } = setup();
    const ref = { mpi: 0xfedcba9876543210n, refType: 3 };
    const id = { selector: selector(HOA, parsePrefix('::/0')), dir: 'out' as const };
    const added = await backend.addPolicy(id, { ...tunnelOut(COA1), ref });
    // Another key manager binds a policy with a type extension core's model has no field for.
    const raw = kernel.openSocket('msrd');
    raw.write(
      encode(
        buildSpdAdd({
          selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
          dir: IPSEC_DIR_OUTBOUND,
          templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TRANSPORT, reqid: 7 }],
          ref: { mpi: 5n, refType: 1, refTypeExt: 0x0203 },
        }),
      ),
    );
    const other = { selector: selector(HOA, HA, { proto: IPPROTO_MH }), dir: 'out' as const };
    expect(added.ref).toStrictEqual(ref);
    expect((await backend.queryPolicy(id))?.ref).toStrictEqual(ref);
    expect((await backend.queryPolicy(other))?.ref).toStrictEqual({ mpi: 5n, refType: 1 });
    expect((await backend.getPolicyByIndex(added.index))?.ref).toStrictEqual(ref);
    // SPD order: priority 0 (the MH policy) before 10.
    expect((await backend.dumpPolicies()).map((p) => p.ref)).toStrictEqual([{ mpi: 5n, refType: 1 }, ref]);
    await backend.updatePolicy(id, { ...tunnelOut(COA2), ref: { mpi: 6n, refType: 0 } });
    expect((await backend.queryPolicy(id))?.ref).toStrictEqual({ mpi: 6n, refType: 0 });

    kernel.datapath.output({
      src: HOA,
      dst: HA,
      proto: IPPROTO_MH,
      payload: Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 0),
    });
    await tick();
    const policyRefs = events.flatMap((e) => (e.type === 'kernel.policy' && e.policy ? [e.policy.ref] : []));
    expect(policyRefs).toStrictEqual([ref, { mpi: 5n, refType: 1 }, { mpi: 6n, refType: 0 }]);
    const acq = events.find((e) => e.type === 'kernel.acquire');
    expect(acq?.type === 'kernel.acquire' && acq.ref).toStrictEqual({ mpi: 5n, refType: 1 });
  });

  it('ACQUIRE, EXPIRE and MIGRATE arrive on the bus; a MIGRATE error rejects with its errno', async () => {
    const { kernel, clock, backend, events } = setup();
    const strategy = new SimKernel(kernel);
    const id = { selector: selector(HOA, parsePrefix('::/0')), dir: 'out' as const };
    const p = await backend.addPolicy(id, { ...tunnelOut(COA1), ref: { mpi: 99n, refType: 1 } });
    expect(
      kernel.datapath.output({ src: HOA, dst: '2001:db8:77::1', proto: 17, payload: new Uint8Array(8) }),
    ).toEqual({ kind: 'acquire' });
    await tick();
    const acq = events.find((e) => e.type === 'kernel.acquire');
    expect(acq).toMatchObject({
      policy: { index: p.index, selector: id.selector, dir: 'out' },
      templates: p.templates,
      src: COA1,
      dst: HA,
      ref: { mpi: 99n, refType: 1 },
    });

    await backend.addSa(
      { src: COA1, dst: HA, spi: 0x100, proto: 'esp' },
      {
        ...gcm(),
        soft: { addSeconds: 5, bytes: 0, packets: 0 },
        hard: { addSeconds: 9, bytes: 0, packets: 0 },
      },
    );
    clock.advance(5_000);
    clock.advance(4_000);
    await tick();
    expect(events.filter((e) => e.type === 'kernel.expire')).toEqual([
      {
        type: 'kernel.expire',
        sa: { src: COA1, dst: HA, spi: 0x100, proto: 'esp' },
        reqid: 0x42,
        hard: false,
      },
      {
        type: 'kernel.expire',
        sa: { src: COA1, dst: HA, spi: 0x100, proto: 'esp' },
        reqid: 0x42,
        hard: true,
      },
    ]);

    const req = {
      selector: id.selector,
      dir: 'out' as const,
      bundles: [
        {
          proto: 'esp' as const,
          mode: 'tunnel' as const,
          level: 'unique' as const,
          reqid: 0x42,
          oldSrc: COA1,
          oldDst: HA,
          newSrc: COA2,
          newDst: HA,
        },
      ],
      kmaddress: { local: COA2, remote: HA },
    };
    await strategy.migrate(req);
    await tick();
    expect(events.filter((e) => e.type === 'kernel.migrate')).toEqual([{ type: 'kernel.migrate', ...req }]);
    await expect(strategy.migrate(req)).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(strategy.migrate({ ...req, dir: 'in' })).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await backend.queryPolicy(id))!.templates[0]).toMatchObject({ src: COA2 });
    // The strategy's socket is not registered, so it saw no ACQUIRE or EXPIRE, only its own traffic counted.
    expect(strategy.stats().messagesToKernel).toBe(5);
    await strategy.close();
    await backend.close();
    await expect(backend.dumpSas()).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('dumps of any size come back whole through a small socket buffer', async () => {
    const { kernel } = newKernel({ rcvbuf: 1500 });
    const backend = new SimKernel(kernel, new Bus());
    for (let i = 1; i <= 60; i++) {
      await backend.addPolicy({ selector: selector(HOA, `2001:db8:77::${i}`), dir: 'out' }, tunnelOut(COA1));
      await backend.addSa(
        { src: COA1, dst: HA, spi: 0x1000 + i, proto: 'esp' },
        {
          mode: 'tunnel',
          reqid: 0x42,
          enc: { alg: 'aes-gcm-16', key: new Uint8Array(20) },
          replayWindow: 32,
        },
      );
    }
    expect(await backend.dumpPolicies()).toHaveLength(60);
    expect(await backend.dumpSas()).toHaveLength(60);
    // Each answer was read from one queue no larger than the buffer: nothing was dropped.
    expect(await backend.dumpPolicies()).toHaveLength(60);
    await backend.close();
  });

  it('MH-type selectors round-trip (the type travels in the source port)', async () => {
    const { backend, kernel } = setup();
    const id = { selector: selector(HOA, HA, { proto: IPPROTO_MH, mhType: 5 }), dir: 'out' as const };
    const p = await backend.addPolicy(id, {
      action: 'protect',
      priority: 2,
      templates: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid: 3 }],
    });
    expect(p.selector).toEqual(id.selector);
    expect(kernel.spd.dump()[0]!.selector).toEqual(id.selector);
  });
});

describe('simKernel plugin', () => {
  it('gives each host its own kernel, reachable as KERNEL_BACKEND and SIM_KERNEL', async () => {
    const clock = new VirtualClock();
    const mn = new Host(container, {
      name: 'mn',
      role: 'mn',
      clock,
      plugins: [simKernel({ acqExpires: 5 })],
    });
    const ha = new Host(container, { name: 'ha', role: 'ha', clock, plugins: [simKernel()] });
    const backend = mn.resolve(KERNEL_BACKEND);
    expect(backend).toBeInstanceOf(SimKernel);
    expect(mn.resolve(KERNEL_BACKEND)).toBe(backend);
    expect(mn.resolve(SIM_KERNEL)).toBe((backend as SimKernel).kernel);
    expect(ha.resolve(SIM_KERNEL)).not.toBe(mn.resolve(SIM_KERNEL));
    expect(mn.resolve(SIM_KERNEL).acqExpires).toBe(5);
    const seen: string[] = [];
    mn.bus.on('kernel.policy').subscribe((e) => seen.push(e.op));
    await backend.addPolicy(
      { selector: selector(HOA, HA), dir: 'out' },
      { action: 'bypass', priority: 0, templates: [] },
    );
    await tick();
    expect(seen).toEqual(['add']);
    expect(ha.resolve(SIM_KERNEL).spd.size).toBe(0);
  });
});
