/**
 * Two hosts, an MN and its HA, at the kernel level: each with its own bus, kernel backend, strategy
 * and recording key manager. The fixture plays the parts the strategies react to, in the order the
 * mip6 daemons play them (movement, re-sync of the daemon's own SPD entries, BU, BA, SPD re-sync on
 * the HA), and installs SAs the way IKE would after negotiating them.
 */
import type {
  Bus as BusType,
  Clock,
  HostRole,
  Ip,
  IpsecProto,
  KernelBackend,
  MobilityStrategy,
  MsrdRef,
  SaData,
  SecurityAssociation,
  SecurityPolicy,
} from '@mip6sec/core';
import { Bus, policyKey, VirtualClock } from '@mip6sec/core';
import { DEFAULT_REQIDS, haPolicies, type Mip6Policy, mnPolicies, syncPolicies } from '@mip6sec/mip6';
import { RecordingKeyManager } from './recording-key-manager.js';

export interface ComplianceAddresses {
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa1: Ip;
  readonly coa2: Ip;
}

export const DEFAULT_ADDRESSES: ComplianceAddresses = {
  hoa: '2001:db8:0:1::100',
  ha: '2001:db8:0:1::1',
  coa1: '2001:db8:a::100',
  coa2: '2001:db8:b::100',
};

export interface FixtureOptions {
  makeStrategy(role: HostRole): MobilityStrategy;
  makeKernel(role: HostRole, env: { bus: BusType; clock: Clock }): KernelBackend | Promise<KernelBackend>;
  readonly addresses?: Partial<ComplianceAddresses>;
}

export class FixtureHost {
  installed: Mip6Policy[] = [];
  /** Policy references as the SPD broadcasts announced them (PF_KEY dumps carry none). */
  private readonly refs = new Map<string, MsrdRef | undefined>();

  constructor(
    readonly role: HostRole,
    readonly bus: BusType,
    readonly kernel: KernelBackend,
    readonly strategy: MobilityStrategy,
    readonly keyManager: RecordingKeyManager,
  ) {
    bus.on('kernel.policy').subscribe((e) => {
      if (e.op === 'flush') this.refs.clear();
      else if (e.policy) this.refs.set(policyKey(e.policy), e.op === 'delete' ? undefined : e.policy.ref);
    });
  }

  /** The reference an extended ACQUIRE for this policy would carry. */
  refOf(p: SecurityPolicy): MsrdRef | undefined {
    return p.ref ?? this.refs.get(policyKey(p));
  }

  /**
   * Re-syncs the SPD entries the mip6 daemon owns, as it does after a movement or a binding change
   * in its default mode: entries a state needs are added, others removed, and existing entries are
   * not rewritten, because moving tunnel endpoints is the strategy's job.
   */
  async syncPolicies(desired: Mip6Policy[]): Promise<void> {
    await syncPolicies(this.kernel, this.installed, desired, { update: false });
    this.installed = desired;
  }

  async tunnelSas(peers: { a: Ip; b: Ip }): Promise<SecurityAssociation[]> {
    const reqids = new Set([DEFAULT_REQIDS.homeTesting, DEFAULT_REQIDS.payload]);
    return (await this.kernel.dumpSas()).filter(
      (s) =>
        s.mode === 'tunnel' &&
        reqids.has(s.reqid) &&
        [s.src, s.dst].some((x) => x === peers.a || x === peers.b),
    );
  }

  async tunnelPolicies(hoa: Ip): Promise<SecurityPolicy[]> {
    return (await this.kernel.dumpPolicies()).filter(
      (p) =>
        p.templates.some((t) => t.mode === 'tunnel') &&
        ((p.selector.src.addr === hoa && p.selector.src.len === 128) ||
          (p.selector.dst.addr === hoa && p.selector.dst.len === 128)),
    );
  }
}

/** Lets promise chains and event-loop turns finish, then waits for the strategy's own queue. */
export async function settle(...strategies: MobilityStrategy[]): Promise<void> {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
    for (const s of strategies) {
      const idle = (s as { whenIdle?: () => Promise<void> }).whenIdle;
      if (typeof idle === 'function') await idle.call(s);
    }
  }
}

const key = (n: number, len: number) => new Uint8Array(len).fill(n);

export class StrategyFixture {
  readonly addr: ComplianceAddresses;
  coa: Ip;
  private seq = 0;
  private keyByte = 1;

  private constructor(
    readonly mn: FixtureHost,
    readonly ha: FixtureHost,
    addr: ComplianceAddresses,
    readonly clock: VirtualClock,
  ) {
    this.addr = addr;
    this.coa = addr.hoa;
  }

  static async create(opts: FixtureOptions): Promise<StrategyFixture> {
    const addr = { ...DEFAULT_ADDRESSES, ...opts.addresses };
    const clock = new VirtualClock(1_000_000);
    const host = async (role: HostRole) => {
      const bus = new Bus();
      const kernel = await opts.makeKernel(role, { bus, clock });
      return new FixtureHost(role, bus, kernel, opts.makeStrategy(role), new RecordingKeyManager({ bus }));
    };
    return new StrategyFixture(await host('mn'), await host('ha'), addr, clock);
  }

  /** Installs the home SPD (the daemons' start), starts both strategies with their contexts. */
  async start(): Promise<void> {
    const { hoa, ha } = this.addr;
    await this.mn.syncPolicies(mnPolicies({ hoa, ha }));
    await this.ha.syncPolicies(haPolicies({ hoa, ha }));
    for (const h of [this.mn, this.ha]) {
      await h.strategy.start({
        role: h.role,
        bus: h.bus,
        kernel: h.kernel,
        clock: this.clock,
        keyManager: h.keyManager,
      });
    }
  }

  async stop(): Promise<void> {
    for (const h of [this.mn, this.ha]) {
      await h.strategy.stop();
      h.keyManager.close();
      await h.kernel.close();
      h.bus.complete();
    }
  }

  settle(): Promise<void> {
    return settle(this.mn.strategy, this.ha.strategy);
  }

  /** One handover as the mip6 daemons run it, from the current CoA to `to` (the HoA: return home). */
  async move(to: Ip): Promise<void> {
    const { hoa, ha } = this.addr;
    const old = this.coa;
    const home = to === hoa;
    this.coa = to;
    await this.mn.bus.emitAndWait({ type: 'mip6.movement', hoa, ha, oldCoa: old, newCoa: to, atHome: home });
    this.mn.keyManager.mark('movement-released');
    await this.mn.syncPolicies(mnPolicies({ hoa, ha, coa: to }));
    await this.registration(old, to);
  }

  /** A binding refresh: a BU and BA with the CoA the binding already has. */
  refresh(): Promise<void> {
    return this.registration(this.coa, this.coa);
  }

  private async registration(previous: Ip, coa: Ip): Promise<void> {
    const { hoa, ha } = this.addr;
    const seq = ++this.seq;
    const deregistration = coa === hoa;
    await this.mn.bus.emitAndWait({
      type: 'mip6.binding-sending',
      hoa,
      ha,
      coa,
      previousCoa: previous,
      seq,
      kBit: true,
      deregistration,
      changesCoa: coa !== previous,
    });
    this.mn.keyManager.mark('bu-released');
    if (deregistration) {
      await this.ha.bus.emitAndWait({
        type: 'mip6.binding-deleted',
        hoa,
        ha,
        previousCoa: previous,
        reason: 'deregistration',
      });
      await this.ha.syncPolicies(haPolicies({ hoa, ha }));
    } else {
      await this.ha.bus.emitAndWait({
        type: 'mip6.binding-accepted',
        hoa,
        ha,
        previousCoa: previous,
        coa,
        identity: 'mn@example.org',
        seq,
        kBit: true,
        lifetime: 3600,
      });
      this.ha.keyManager.mark('ba-released');
      await this.ha.syncPolicies(haPolicies({ hoa, ha, coa }));
    }
    this.mn.bus.emit({
      type: 'mip6.binding-acknowledged',
      hoa,
      ha,
      coa,
      seq,
      status: 0,
      lifetime: deregistration ? 0 : 3600,
      kBit: !deregistration,
    });
    await this.settle();
  }

  /**
   * What IKE installs after negotiating from the current CoA: an IKE_SA on each side and CHILD_SA
   * pairs for BU/BA (transport, on the HoA) and for home test and payload (tunnel, on the CoA).
   */
  async negotiate(): Promise<void> {
    const { hoa, ha } = this.addr;
    const coa = this.coa;
    const r = DEFAULT_REQIDS;
    await this.childPair('transport', r.homeRegistration, hoa);
    await this.childPair('tunnel', r.homeTesting, coa);
    await this.childPair('tunnel', r.payload, coa);
    const reqids = [r.homeRegistration, r.homeTesting, r.payload];
    this.mn.keyManager.addIkeSa({ local: coa, remote: ha, childReqids: reqids });
    this.ha.keyManager.addIkeSa({ local: ha, remote: coa, childReqids: reqids });
    await this.settle();
  }

  /** One CHILD_SA: SPIs allocated by each inbound side (GETSPI), then both directions added. */
  private async childPair(mode: 'transport' | 'tunnel', reqid: number, mnAddr: Ip): Promise<void> {
    const { ha } = this.addr;
    const proto: Exclude<IpsecProto, 'ipcomp'> = 'esp';
    const up = { src: mnAddr, dst: ha };
    const down = { src: ha, dst: mnAddr };
    const upSpi = await this.ha.kernel.getSpi({ ...up, proto, reqid });
    const downSpi = await this.mn.kernel.getSpi({ ...down, proto, reqid });
    const data = (): SaData => ({
      mode,
      reqid,
      enc: { alg: 'aes-gcm-16', key: key(this.keyByte++, 20) },
      replayWindow: 32,
    });
    const upData = data();
    const downData = data();
    await this.mn.kernel.addSa({ ...up, spi: upSpi, proto }, upData);
    await this.ha.kernel.addSa({ ...up, spi: upSpi, proto }, upData);
    await this.ha.kernel.addSa({ ...down, spi: downSpi, proto }, downData);
    await this.mn.kernel.addSa({ ...down, spi: downSpi, proto }, downData);
  }
}
