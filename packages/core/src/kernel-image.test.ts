import { describe, expect, it } from 'vitest';
import { parsePrefix } from './address.js';
import { KernelError } from './errors.js';
import { Bus } from './events.js';
import type { KernelBackend, MigrateBundle } from './kernel.js';
import { KernelImage, kernelImageOf, policyFingerprint } from './kernel-image.js';
import type { SecurityPolicy } from './policy.js';
import type { SecurityAssociation } from './sa.js';
import { IPPROTO_MH, selector } from './selector.js';

const HOA = '2001:db8:1::100';
const HOA2 = '2001:db8:1::200';
const HA = '2001:db8:1::1';
const COA = '2001:db8:a::100';
const COA2 = '2001:db8:b::100';

function tunnel(index: number, hoa: string, coa: string, dir: 'out' | 'in' = 'out'): SecurityPolicy {
  const any = parsePrefix('::/0');
  return {
    index,
    selector: dir === 'out' ? selector(hoa, any) : selector(any, hoa),
    dir,
    action: 'protect',
    priority: 120,
    templates: [
      dir === 'out'
        ? { proto: 'esp', mode: 'tunnel', level: 'unique', reqid: 4, src: coa, dst: HA }
        : { proto: 'esp', mode: 'tunnel', level: 'unique', reqid: 4, src: HA, dst: coa },
    ],
  };
}

function bu(index: number, hoa: string, mhType = 5): SecurityPolicy {
  return {
    index,
    selector: selector(hoa, HA, { proto: IPPROTO_MH, mhType }),
    dir: 'out',
    action: 'protect',
    priority: 100,
    templates: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid: 1 }],
  };
}

function sa(
  spi: number,
  src: string,
  dst: string,
  state: SecurityAssociation['state'] = 'mature',
): SecurityAssociation {
  return {
    src,
    dst,
    spi,
    proto: 'esp',
    state,
    mode: 'tunnel',
    reqid: 4,
    enc: { alg: 'aes-gcm-16', key: new Uint8Array(0) },
    replayWindow: 32,
    current: { bytes: 0, packets: 0, addTime: 0, seq: 0 },
  };
}

/** A backend whose dumps answer from two arrays the test sets; nothing else is called. */
function stubKernel(state: {
  policies: SecurityPolicy[];
  sas: SecurityAssociation[];
  fail?: boolean;
  overruns?: number;
}) {
  const dumps = { count: 0 };
  const none = () => Promise.reject(new KernelError('EOPNOTSUPP', 'not in this stub'));
  const kernel = {
    name: 'stub',
    features: () => ({ espStates: true, migrate: true, acquireRef: false, datapath: false, udpEncap: false }),
    dumpPolicies: async () => {
      dumps.count++;
      if (state.fail) throw new KernelError('EIO', 'dump failed');
      return state.policies;
    },
    dumpSas: async () => state.sas,
    getSpi: none,
    addSa: none,
    updateSa: none,
    querySa: none,
    delSa: none,
    flushSas: none,
    addPolicy: none,
    updatePolicy: none,
    delPolicy: none,
    queryPolicy: none,
    flushPolicies: none,
    migrate: none,
    stats: () => ({
      messagesToKernel: 0,
      messagesFromKernel: 0,
      bytesToKernel: 0,
      bytesFromKernel: 0,
      ...(state.overruns !== undefined ? { overruns: state.overruns } : {}),
    }),
    close: async () => undefined,
  } as KernelBackend;
  return { kernel, dumps };
}

const move = (old: string, to: string, reqid = 4): MigrateBundle => ({
  proto: 'esp',
  mode: 'tunnel',
  level: 'unique',
  reqid,
  oldSrc: old,
  oldDst: HA,
  newSrc: to,
  newDst: HA,
});

describe('KernelImage', () => {
  it('loads from one dump of each database and files entries by address, reqid and index', async () => {
    const state = {
      policies: [tunnel(9, HOA, COA, 'in'), tunnel(1, HOA, COA), bu(17, HOA), tunnel(25, HOA2, COA2)],
      sas: [sa(0x101, COA, HA), sa(0x102, HA, COA), sa(0x103, COA, HA, 'larval'), sa(0x201, COA2, HA)],
    };
    const { kernel } = stubKernel(state);
    const image = new KernelImage(kernel, new Bus());
    await image.ready();
    // Lists in dump order: out before in, then priority.
    expect(image.policiesOfBinding({ hoa: HOA, ha: HA }).map((p) => p.index)).toEqual([17, 1, 9]);
    expect(image.policiesAt(COA2).map((p) => p.index)).toEqual([25]);
    expect(image.policiesWithReqid(4).map((p) => p.index)).toEqual([1, 25, 9]);
    expect(image.policyByIndex(17)?.selector.mhType).toBe(5);
    expect(image.policy(bu(0, HOA))?.index).toBe(17);
    // Larval SAs are announced by no interface and are not held.
    expect(image.sasAt(COA).map((s) => s.spi)).toEqual([0x101, 0x102]);
    expect(image.sasAtAny([COA, COA2]).map((s) => s.spi)).toEqual([0x101, 0x102, 0x201]);
    expect(image.sa({ dst: HA, spi: 0x201, proto: 'esp' })?.src).toBe(COA2);
    expect([image.policyCount, image.saCount]).toEqual([4, 3]);
  });

  it('follows policy and SA events, soft and hard expiry included', async () => {
    const bus = new Bus();
    const image = new KernelImage(stubKernel({ policies: [], sas: [] }).kernel, bus);
    await image.ready();
    bus.emit({ type: 'kernel.policy', op: 'add', policy: tunnel(1, HOA, COA) });
    bus.emit({ type: 'kernel.policy', op: 'update', policy: tunnel(1, HOA, COA2) });
    expect(image.policiesAt(COA)).toEqual([]);
    expect(image.policiesAt(COA2).map((p) => p.index)).toEqual([1]);
    bus.emit({ type: 'kernel.sa', op: 'add', sa: sa(0x101, COA2, HA) });
    bus.emit({ type: 'kernel.sa', op: 'add', sa: sa(0x102, COA2, HA) });
    bus.emit({ type: 'kernel.expire', sa: sa(0x101, COA2, HA), reqid: 4, hard: false });
    bus.emit({ type: 'kernel.expire', sa: sa(0x102, COA2, HA), reqid: 4, hard: true });
    expect(image.sas().map((s) => [s.spi, s.state])).toEqual([[0x101, 'dying']]);
    bus.emit({ type: 'kernel.sa', op: 'delete', sa: sa(0x101, COA2, HA) });
    bus.emit({ type: 'kernel.policy', op: 'delete', policy: tunnel(1, HOA, COA2) });
    expect([image.policyCount, image.saCount, image.sasAt(COA2).length]).toEqual([0, 0, 0]);
    bus.emit({ type: 'kernel.policy', op: 'add', policy: tunnel(1, HOA, COA) });
    bus.emit({ type: 'kernel.policy', op: 'flush' });
    expect(image.policies()).toEqual([]);
    expect(image.isSuspect).toBe(false);
    expect(image.stats().events).toBe(10);
  });

  it('applies a MIGRATE as the kernel does: SAs with the old pair (reqid 0 is any) and the template', async () => {
    const bus = new Bus();
    const { kernel } = stubKernel({
      policies: [tunnel(1, HOA, COA), bu(17, HOA)],
      sas: [sa(0x101, COA, HA), sa(0x102, COA, HA), sa(0x103, HA, COA)],
    });
    const image = new KernelImage(kernel, bus);
    await image.ready();
    bus.emit({
      type: 'kernel.migrate',
      selector: tunnel(1, HOA, COA).selector,
      dir: 'out',
      bundles: [move(COA, COA2, 0)],
    });
    expect(image.policy(tunnel(1, HOA, COA))?.templates[0]).toMatchObject({ src: COA2, dst: HA });
    expect(image.sasAt(COA2).map((s) => s.spi)).toEqual([0x101, 0x102]);
    expect(image.sasAt(COA).map((s) => s.spi)).toEqual([0x103]);
    // A broadcast without the MH type still names the BU entry when it is the only one it can be.
    const buBroadcast = { ...bu(17, HOA).selector, mhType: undefined, srcPort: 0, dstPort: 0 };
    delete buBroadcast.mhType;
    bus.emit({
      type: 'kernel.migrate',
      selector: buBroadcast,
      dir: 'out',
      bundles: [{ ...move(HOA, HOA, 1), mode: 'transport', oldDst: HA, newDst: HA }],
      kmaddress: { local: COA2, remote: HA },
    });
    expect(image.isSuspect).toBe(false);
  });

  it('turns suspect when a broadcast cannot say which policy moved, and fresh() reloads once', async () => {
    const bus = new Bus();
    const state = { policies: [bu(17, HOA, 5), bu(25, HOA, 6)], sas: [] as SecurityAssociation[] };
    const { kernel, dumps } = stubKernel(state);
    const image = new KernelImage(kernel, bus);
    await image.ready();
    const selectorWithoutType = selector(HOA, HA, { proto: IPPROTO_MH });
    bus.emit({
      type: 'kernel.migrate',
      selector: selectorWithoutType,
      dir: 'out',
      bundles: [{ ...move(HOA, HOA, 1), mode: 'transport', oldDst: HA, newDst: HA }],
    });
    expect(image.isSuspect).toBe(true);
    expect(image.stats().suspicions).toBe(1);
    // What the kernel holds meanwhile (here: the BA entry went).
    state.policies = [bu(17, HOA, 5)];
    await image.fresh();
    await image.fresh();
    expect(dumps.count).toBe(2);
    expect(image.policies().map(policyFingerprint)).toEqual(state.policies.map(policyFingerprint));
    expect(image.stats()).toMatchObject({ loads: 2, drifted: 1 });
    expect(await image.resync()).toBe(0);
  });

  it('a flush of several SA types is suspect: the event does not say which type went', async () => {
    const bus = new Bus();
    const ah = { ...sa(0x301, COA, HA), proto: 'ah' as const };
    const image = new KernelImage(stubKernel({ policies: [], sas: [sa(0x101, COA, HA), ah] }).kernel, bus);
    await image.ready();
    bus.emit({ type: 'kernel.sa', op: 'flush' });
    expect(image.saCount).toBe(0);
    expect(image.isSuspect).toBe(true);
  });

  it('reloads when the backend says broadcasts for it were lost (a full receive buffer)', async () => {
    const state = { policies: [tunnel(1, HOA, COA)], sas: [], overruns: 3 };
    const { kernel, dumps } = stubKernel(state);
    const image = new KernelImage(kernel, new Bus());
    await image.fresh();
    expect(dumps.count).toBe(1);
    state.overruns = 4;
    state.policies = [];
    await image.fresh();
    expect(dumps.count).toBe(2);
    expect(image.policyCount).toBe(0);
    await image.fresh();
    expect(dumps.count).toBe(2);
  });

  it('reports a failed load through ready() and retries it on fresh()', async () => {
    const state = { policies: [tunnel(1, HOA, COA)], sas: [], fail: true };
    const image = new KernelImage(stubKernel(state).kernel, new Bus());
    await expect(image.ready()).rejects.toMatchObject({ code: 'EIO' });
    state.fail = false;
    await image.fresh();
    expect(image.policyCount).toBe(1);
  });

  it('is shared per backend until closed', async () => {
    const bus = new Bus();
    const { kernel, dumps } = stubKernel({ policies: [], sas: [] });
    const a = kernelImageOf(kernel, bus);
    expect(kernelImageOf(kernel, bus)).toBe(a);
    expect(kernelImageOf(stubKernel({ policies: [], sas: [] }).kernel, bus)).not.toBe(a);
    a.close();
    bus.emit({ type: 'kernel.policy', op: 'add', policy: tunnel(1, HOA, COA) });
    expect(a.policyCount).toBe(0);
    expect(kernelImageOf(kernel, bus)).not.toBe(a);
    expect(dumps.count).toBe(2);
  });
});
