/**
 * @module
 * The suite every KernelBackend passes: the kernel contract of @mip6sec/core (DESIGN.md "Plugins and
 * wiring") exercised through its methods and its bus events only, so the same tests run against the
 * simulated kernel and against Linux XFRM in a namespace.
 *
 * - Policies: add, query, dump, update (index kept), delete, flush; EEXIST / ENOENT with nothing changed;
 *   MH-type selectors and tunnel templates survive the round trip; the MSRD reference comes back as core's
 *   MsrdRef (when `acquireRef`); a `kernel.policy` event for every change.
 * - SAs (when `espStates`): getSpi within its range, add, query, dump, update of the endpoints, delete,
 *   flush; EEXIST / ESRCH; `kernel.sa` events.
 * - MIGRATE (when `migrate`): the policy's tunnel template and its SA move in place (same SPI) and a
 *   `kernel.migrate` event says so; EINVAL (malformed), ENOENT (no policy with the selector) and ENODATA
 *   (no template with the old endpoints, e.g. the same MIGRATE twice) change nothing.
 * - Kernel image: a core KernelImage fed by the backend's events equals its dumps right after each
 *   command settles (policies, SAs, MIGRATE, a refused MIGRATE, deletes, flushes): the backend
 *   publishes what a command changed before its promise settles.
 * - ACQUIRE (when `datapath`): a packet that hits a protect policy without an SA raises one
 *   `kernel.acquire` naming the policy, its templates and endpoints, with the reference when `acquireRef`.
 *   Kernels without a datapath skip this part.
 *
 * @example
 * ```ts
 * import { kernelComplianceSuite } from '@mip6sec/compliance/kernel';
 * import { VirtualClock } from '@mip6sec/core';
 * import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
 *
 * kernelComplianceSuite({
 *   name: 'kernel-sim',
 *   features: { espStates: true, migrate: true, acquireRef: true, datapath: true, udpEncap: true },
 *   makeKernel: ({ bus }) => {
 *     const kernel = new PfkeyKernel({ clock: new VirtualClock() });
 *     return { backend: new SimKernel(kernel, bus), sendPacket: (p) => void kernel.datapath.output(p) };
 *   },
 * });
 * ```
 */
import {
  Bus,
  type BusEvent,
  IPPROTO_MH,
  type Ip,
  type KernelBackend,
  KernelError,
  type KernelFeatures,
  KernelImage,
  type MigrateBundle,
  type MigrateRequest,
  type PolicyData,
  type PolicyId,
  parsePrefix,
  policyFingerprint,
  policyKey,
  type SaData,
  type SaId,
  type SecurityAssociation,
  type SecurityPolicy,
  saFingerprint,
  selector,
  selectorKey,
} from '@mip6sec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** An outbound packet for a kernel's datapath: addresses, upper-layer protocol and its PDU. */
export interface OutboundPacket {
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: number;
  readonly payload: Uint8Array;
}

/** A backend under test, with the hooks a test needs that the contract does not offer. */
export interface KernelUnderTest {
  /** The backend, publishing its `kernel.*` events on the bus `makeKernel` was given. */
  readonly backend: KernelBackend;
  /**
   * Puts an outbound packet into the kernel's datapath (a socket write on Linux, `datapath.output` in the
   * simulation). Required when the features say `datapath`.
   */
  sendPacket?(packet: OutboundPacket): unknown;
  /** Resolves once every event the kernel has raised is on the bus; default two macrotask turns. */
  settle?(): Promise<void>;
  /** Tears the kernel down after each test; default `backend.close()`. */
  close?(): Promise<void>;
}

export interface KernelComplianceAddresses {
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa1: Ip;
  readonly coa2: Ip;
  /** A correspondent the MN's traffic goes to. */
  readonly cn: Ip;
}

export const DEFAULT_KERNEL_ADDRESSES: KernelComplianceAddresses = {
  hoa: '2001:db8:0:1::100',
  ha: '2001:db8:0:1::1',
  coa1: '2001:db8:a::100',
  coa2: '2001:db8:b::100',
  cn: '2001:db8:77::2',
};

export interface KernelComplianceOptions {
  /** Shown in the suite's title. */
  readonly name: string;
  /** A fresh kernel for each test, publishing on `bus`. */
  makeKernel(env: { bus: Bus }): KernelUnderTest | Promise<KernelUnderTest>;
  /**
   * What the backend reports from `features()`. The suite checks that it does, and runs the parts these
   * call for (SAs with `espStates`, MIGRATE with `migrate`, ACQUIRE with `datapath`, references with
   * `acquireRef`); they are given here because vitest decides which tests exist before any kernel is made.
   */
  readonly features: KernelFeatures;
  readonly addresses?: Partial<KernelComplianceAddresses>;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function defaultSettle(): Promise<void> {
  await tick();
  await tick();
}

/** Rejects with a KernelError of `code`. */
async function expectKernelError(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `a KernelError ${code}`).toBeInstanceOf(KernelError);
  expect((e as KernelError).code).toBe(code);
}

function byKey(policies: readonly SecurityPolicy[]): SecurityPolicy[] {
  return [...policies].sort((a, b) => policyKey(a).localeCompare(policyKey(b)));
}

/** What an SA is, without its counters (which time may move). */
function saState(sas: readonly SecurityAssociation[]): Omit<SecurityAssociation, 'current'>[] {
  return sas
    .map(({ current: _c, ...rest }) => rest)
    .sort((a, b) => a.spi - b.spi || a.dst.localeCompare(b.dst));
}

/** Registers the vitest suite. Call it at the top level of a test file. */
export function kernelComplianceSuite(options: KernelComplianceOptions): void {
  const a = { ...DEFAULT_KERNEL_ADDRESSES, ...options.addresses };
  const f = options.features;

  describe(`KernelBackend compliance: ${options.name}`, () => {
    let k: KernelUnderTest;
    let backend: KernelBackend;
    let events: BusEvent[];
    let bus: Bus;

    beforeEach(async () => {
      bus = new Bus();
      events = [];
      bus.events.subscribe((e) => events.push(e));
      k = await options.makeKernel({ bus });
      backend = k.backend;
    });

    afterEach(async () => {
      await (k.close ? k.close() : backend.close());
      bus.complete();
    });

    const settle = (): Promise<void> => (k.settle ? k.settle() : defaultSettle());
    const snapshot = async () => ({
      policies: byKey(await backend.dumpPolicies()),
      sas: f.espStates ? saState(await backend.dumpSas()) : [],
    });
    const of = <T extends BusEvent['type']>(type: T) =>
      events.filter((e): e is Extract<BusEvent, { type: T }> => e.type === type);

    // ---------------------------------------------------------------- shapes used throughout

    /** The MN's outbound tunnel policy: HoA to anywhere, ESP tunnel from the CoA to the HA. */
    const tunnelId: PolicyId = { selector: selector(a.hoa, parsePrefix('::/0')), dir: 'out' };
    const tunnel = (coa: Ip, reqid = 0x42): PolicyData => ({
      action: 'protect',
      priority: 10,
      templates: [{ proto: 'esp', mode: 'tunnel', level: 'unique', reqid, src: coa, dst: a.ha }],
    });
    /** The BU policy: HoA to HA, Mobility Header type 5, ESP transport (RFC 4877). */
    const buId: PolicyId = {
      selector: selector(a.hoa, a.ha, { proto: IPPROTO_MH, mhType: 5 }),
      dir: 'out',
    };
    const transport = (reqid = 7): PolicyData => ({
      action: 'protect',
      priority: 5,
      templates: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid }],
    });
    const gcm = (reqid = 0x42): SaData => ({
      mode: 'tunnel',
      reqid,
      enc: { alg: 'aes-gcm-16', key: Uint8Array.from({ length: 20 }, (_, i) => i + 1) },
      replayWindow: 64,
    });
    const saId = (spi: number, src = a.coa1, dst = a.ha): SaId => ({ src, dst, spi, proto: 'esp' });
    const bundle = (oldSrc: Ip, newSrc: Ip, reqid = 0x42): MigrateBundle => ({
      proto: 'esp',
      mode: 'tunnel',
      level: 'unique',
      reqid,
      oldSrc,
      oldDst: a.ha,
      newSrc,
      newDst: a.ha,
    });
    const move = (from: Ip, to: Ip): MigrateRequest => ({
      selector: tunnelId.selector,
      dir: 'out',
      bundles: [bundle(from, to)],
      kmaddress: { local: to, remote: a.ha },
    });

    it('reports the features it was declared with', () => {
      expect(backend.features()).toEqual(f);
      expect(typeof backend.name).toBe('string');
    });

    describe('policies', () => {
      it('adds, queries and dumps a policy; a second add of its selector is EEXIST and changes nothing', async () => {
        const p = await backend.addPolicy(tunnelId, tunnel(a.coa1));
        expect(p).toMatchObject({ dir: 'out', action: 'protect', priority: 10 });
        expect(selectorKey(p.selector)).toBe(selectorKey(tunnelId.selector));
        expect(p.templates).toEqual(tunnel(a.coa1).templates);
        expect(Number.isInteger(p.index)).toBe(true);
        expect(await backend.queryPolicy(tunnelId)).toEqual(p);
        expect(await backend.dumpPolicies()).toEqual([p]);
        const before = await snapshot();
        await expectKernelError(backend.addPolicy(tunnelId, tunnel(a.coa2)), 'EEXIST');
        expect(await snapshot()).toEqual(before);
      });

      it('keeps MH-type selectors, transport templates and priorities through the round trip', async () => {
        const bu = await backend.addPolicy(buId, transport());
        const back = await backend.queryPolicy(buId);
        expect(back && selectorKey(back.selector)).toBe(selectorKey(buId.selector));
        expect(back?.selector.mhType).toBe(5);
        expect(back).toEqual(bu);
        expect(back).toMatchObject({ priority: 5, templates: transport().templates });
        // The same addresses without the MH type are another selector.
        expect(await backend.queryPolicy({ ...buId, selector: selector(a.hoa, a.ha) })).toBeUndefined();
      });

      it('updates a policy in place, keeping its index', async () => {
        const p = await backend.addPolicy(tunnelId, tunnel(a.coa1));
        const u = await backend.updatePolicy(tunnelId, { ...tunnel(a.coa2), priority: 20 });
        expect(u.index).toBe(p.index);
        expect(u).toMatchObject({ priority: 20, templates: tunnel(a.coa2).templates });
        expect(await backend.queryPolicy(tunnelId)).toEqual(u);
        expect(await backend.dumpPolicies()).toHaveLength(1);
      });

      it('deletes and flushes; deleting what is not there is ENOENT', async () => {
        await backend.addPolicy(tunnelId, tunnel(a.coa1));
        await backend.addPolicy(buId, transport());
        await backend.delPolicy(buId);
        expect(await backend.queryPolicy(buId)).toBeUndefined();
        await expectKernelError(backend.delPolicy(buId), 'ENOENT');
        expect((await backend.dumpPolicies()).map(policyKey)).toEqual([policyKey(tunnelId)]);
        await backend.flushPolicies();
        expect(await backend.dumpPolicies()).toEqual([]);
        await backend.flushPolicies();
        expect(await backend.queryPolicy(tunnelId)).toBeUndefined();
      });

      it('publishes a kernel.policy event for every change', async () => {
        const p = await backend.addPolicy(tunnelId, tunnel(a.coa1));
        const u = await backend.updatePolicy(tunnelId, tunnel(a.coa2));
        await backend.delPolicy(tunnelId);
        await backend.addPolicy(buId, transport());
        await backend.flushPolicies();
        await settle();
        const seen = of('kernel.policy').map((e) => [e.op, e.policy && policyKey(e.policy), e.policy?.index]);
        expect(seen).toEqual([
          ['add', policyKey(tunnelId), p.index],
          ['update', policyKey(tunnelId), u.index],
          ['delete', policyKey(tunnelId), p.index],
          ['add', policyKey(buId), expect.any(Number)],
          ['flush', undefined, undefined],
        ]);
        const added = of('kernel.policy')[0];
        expect(added?.policy?.templates).toEqual(tunnel(a.coa1).templates);
      });

      it.skipIf(!f.acquireRef)(
        "keeps a policy's MSRD reference, and gives it back as core's MsrdRef",
        async () => {
          const ref = { mpi: 0x1122334455667788n, refType: 1 };
          const p = await backend.addPolicy(tunnelId, { ...tunnel(a.coa1), ref });
          expect(p.ref).toStrictEqual(ref);
          expect((await backend.queryPolicy(tunnelId))?.ref).toStrictEqual(ref);
          expect((await backend.dumpPolicies()).map((x) => x.ref)).toStrictEqual([ref]);
          const moved = { mpi: 9n, refType: 2 };
          await backend.updatePolicy(tunnelId, { ...tunnel(a.coa1), ref: moved });
          expect((await backend.queryPolicy(tunnelId))?.ref).toStrictEqual(moved);
          await settle();
          expect(of('kernel.policy').map((e) => e.policy?.ref)).toStrictEqual([ref, moved]);
        },
      );
    });

    describe.skipIf(!f.espStates)('SAs', () => {
      it('getSpi hands out distinct SPIs within the range; addSa completes the larval SA', async () => {
        const req = { src: a.coa1, dst: a.ha, proto: 'esp' as const, reqid: 0x42, min: 0x1000, max: 0x1fff };
        const s1 = await backend.getSpi(req);
        const s2 = await backend.getSpi(req);
        for (const s of [s1, s2]) {
          expect(s).toBeGreaterThanOrEqual(0x1000);
          expect(s).toBeLessThanOrEqual(0x1fff);
        }
        expect(s1).not.toBe(s2);
        await backend.addSa(saId(s1), gcm());
        const sa = await backend.querySa(saId(s1));
        expect(sa).toMatchObject({
          ...saId(s1),
          mode: 'tunnel',
          reqid: 0x42,
          enc: { alg: 'aes-gcm-16', key: gcm().enc.key },
          replayWindow: 64,
        });
        expect(sa?.state).toBe('mature');
      });

      it('adds, queries, dumps; a second add of the same SA is EEXIST and changes nothing', async () => {
        await backend.addSa(saId(0x2001), gcm());
        await backend.addSa(saId(0x2002, a.ha, a.coa1), gcm());
        expect(saState(await backend.dumpSas()).map((s) => [s.spi, s.src, s.dst])).toEqual([
          [0x2001, a.coa1, a.ha],
          [0x2002, a.ha, a.coa1],
        ]);
        const before = await snapshot();
        await expectKernelError(backend.addSa(saId(0x2001), gcm()), 'EEXIST');
        expect(await snapshot()).toEqual(before);
        expect(await backend.querySa(saId(0x2003))).toBeUndefined();
      });

      it("updateSa moves an SA's endpoints, keeping its SPI and keys", async () => {
        await backend.addSa(saId(0x3001), gcm());
        await backend.updateSa(saId(0x3001), { newSrc: a.coa2 });
        // The kernel finds an SA by destination, SPI and protocol (RFC 4301 4.1): one SA, now from CoA2.
        expect((await backend.dumpSas()).map((s) => [s.spi, s.src])).toEqual([[0x3001, a.coa2]]);
        expect(await backend.querySa(saId(0x3001, a.coa2))).toMatchObject({
          src: a.coa2,
          dst: a.ha,
          spi: 0x3001,
          enc: gcm().enc,
        });
      });

      it('deletes and flushes; deleting what is not there is ESRCH', async () => {
        await backend.addSa(saId(0x4001), gcm());
        await backend.addSa(saId(0x4002), gcm());
        await backend.delSa(saId(0x4001));
        expect(await backend.querySa(saId(0x4001))).toBeUndefined();
        await expectKernelError(backend.delSa(saId(0x4001)), 'ESRCH');
        await backend.flushSas();
        expect(await backend.dumpSas()).toEqual([]);
      });

      it('publishes kernel.sa events for add, delete and flush', async () => {
        await backend.addSa(saId(0x5001), gcm());
        await backend.delSa(saId(0x5001));
        await backend.addSa(saId(0x5002), gcm());
        await backend.flushSas();
        await settle();
        expect(of('kernel.sa').map((e) => [e.op, e.sa?.spi])).toEqual([
          ['add', 0x5001],
          ['delete', 0x5001],
          ['add', 0x5002],
          ['flush', undefined],
        ]);
      });
    });

    describe.skipIf(!f.migrate)('MIGRATE', () => {
      /** The tunnel policy on CoA1 and, where the kernel holds SAs, its SA. */
      const installTunnel = async (): Promise<void> => {
        await backend.addPolicy(tunnelId, tunnel(a.coa1));
        if (f.espStates) await backend.addSa(saId(0x6001), gcm());
      };

      it('moves the tunnel template and its SA in place and publishes kernel.migrate', async () => {
        await installTunnel();
        await backend.migrate(move(a.coa1, a.coa2));
        expect((await backend.queryPolicy(tunnelId))?.templates).toEqual(tunnel(a.coa2).templates);
        if (f.espStates) {
          expect((await backend.dumpSas()).map((s) => [s.spi, s.src, s.dst])).toEqual([
            [0x6001, a.coa2, a.ha],
          ]);
          expect(await backend.querySa(saId(0x6001, a.coa2))).toMatchObject({ spi: 0x6001, enc: gcm().enc });
        }
        await settle();
        const m = of('kernel.migrate');
        expect(m).toHaveLength(1);
        expect(m[0]).toMatchObject({
          dir: 'out',
          bundles: [bundle(a.coa1, a.coa2)],
          kmaddress: { local: a.coa2, remote: a.ha },
        });
        expect(selectorKey(m[0]!.selector)).toBe(selectorKey(tunnelId.selector));
      });

      it('ENODATA when no template has the old endpoints (the same MIGRATE twice), nothing changed', async () => {
        await installTunnel();
        await backend.migrate(move(a.coa1, a.coa2));
        const before = await snapshot();
        await expectKernelError(backend.migrate(move(a.coa1, a.coa2)), 'ENODATA');
        expect(await snapshot()).toEqual(before);
      });

      it('ENOENT when no policy has the selector and direction, nothing changed', async () => {
        await installTunnel();
        const before = await snapshot();
        const other = selector('2001:db8:0:1::200', parsePrefix('::/0'));
        await expectKernelError(backend.migrate({ ...move(a.coa1, a.coa2), selector: other }), 'ENOENT');
        await expectKernelError(backend.migrate({ ...move(a.coa1, a.coa2), dir: 'in' }), 'ENOENT');
        expect(await snapshot()).toEqual(before);
      });

      it('EINVAL for a malformed MIGRATE (no bundles, an all-zero new endpoint), nothing changed', async () => {
        await installTunnel();
        const before = await snapshot();
        await expectKernelError(backend.migrate({ ...move(a.coa1, a.coa2), bundles: [] }), 'EINVAL');
        await expectKernelError(
          backend.migrate({ ...move(a.coa1, a.coa2), bundles: [bundle(a.coa1, '::')] }),
          'EINVAL',
        );
        expect(await snapshot()).toEqual(before);
        await settle();
        expect(of('kernel.migrate')).toEqual([]);
      });
    });

    describe('kernel image', () => {
      it("a KernelImage fed by the backend's events equals its dumps as soon as each command settles", async () => {
        const image = new KernelImage(backend, bus);
        await image.ready();
        // No settle(): a command's events must be on the bus before its promise settles.
        const same = async (step: string) => {
          const policies = (await backend.dumpPolicies()).map(policyFingerprint).sort();
          expect(image.policies().map(policyFingerprint).sort(), `${step}: policies`).toEqual(policies);
          if (!f.espStates) return;
          const sas = (await backend.dumpSas()).filter((x) => x.state !== 'larval');
          expect(image.sas().map(saFingerprint).sort(), `${step}: SAs`).toEqual(
            sas.map(saFingerprint).sort(),
          );
        };
        await backend.addPolicy(tunnelId, tunnel(a.coa1));
        await backend.addPolicy(buId, transport());
        await same('add');
        await backend.updatePolicy(tunnelId, { ...tunnel(a.coa1), priority: 20 });
        await same('update');
        if (f.espStates) {
          await backend.addSa(saId(0x7001), gcm());
          await backend.addSa(saId(0x7002, a.ha, a.coa1), gcm());
          await same('SAs added');
          await backend.updateSa(saId(0x7002, a.ha, a.coa1), { newDst: a.coa2 });
          await backend.delSa(saId(0x7001));
          await same('SAs updated and deleted');
          await backend.addSa(saId(0x7001), gcm());
        }
        if (f.migrate) {
          await backend.migrate(move(a.coa1, a.coa2));
          await same('MIGRATE');
          await expectKernelError(backend.migrate(move(a.coa1, a.coa2)), 'ENODATA');
          await same('refused MIGRATE');
        }
        await backend.delPolicy(buId);
        await same('delete');
        await backend.flushPolicies();
        if (f.espStates) await backend.flushSas();
        await same('flush');
        expect(image.isSuspect).toBe(false);
        image.close();
      });
    });

    describe.skipIf(!f.datapath)('ACQUIRE', () => {
      it('a packet on a protect policy without an SA raises one kernel.acquire for that policy', async () => {
        if (!k.sendPacket) throw new Error('the features say datapath, but makeKernel gave no sendPacket');
        const ref = { mpi: 0x77n, refType: 1 };
        const p = await backend.addPolicy(tunnelId, { ...tunnel(a.coa1), ...(f.acquireRef ? { ref } : {}) });
        // A UDP datagram 1000 -> 2000 with 8 bytes of data; the checksum is not the policy's business.
        const udp = Uint8Array.of(0x03, 0xe8, 0x07, 0xd0, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8);
        await k.sendPacket({ src: a.hoa, dst: a.cn, proto: 17, payload: udp });
        await settle();
        await k.sendPacket({ src: a.hoa, dst: a.cn, proto: 17, payload: udp });
        await settle();
        const acq = of('kernel.acquire');
        expect(acq, 'one ACQUIRE while the first is pending').toHaveLength(1);
        expect(acq[0]).toMatchObject({
          policy: { index: p.index, dir: 'out' },
          templates: p.templates,
          src: a.coa1,
          dst: a.ha,
        });
        expect(selectorKey(acq[0]!.policy.selector)).toBe(selectorKey(tunnelId.selector));
        if (f.acquireRef) expect(acq[0]!.ref).toStrictEqual(ref);
        else expect(acq[0]!.ref).toBeUndefined();
      });
    });
  });
}
