/** One MN or HA host for the strategy's tests: a bus, a virtual clock, kernel-sim, the mip6 policy set. */
import { installTunnelSas, RecordingKeyManager, settle, tunnelMnEnds } from '@mip6sec/compliance/strategy';
import type { HostRole, Ip, KernelMigrate, MigrateRequest } from '@mip6sec/core';
import { Bus, VirtualClock } from '@mip6sec/core';
import { type MigrateLookup, PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { haPolicies, type Mip6Policy, mnPolicies, syncPolicies } from '@mip6sec/mip6';
import { MigrateStrategy, type MigrateStrategyOptions } from './strategy.js';

export const HOA = '2001:db8:0:1::100';
export const HA = '2001:db8:0:1::1';
export const COA1 = '2001:db8:a::100';
export const COA2 = '2001:db8:b::100';
export const COA3 = '2001:db8:c::100';

export interface TestHost {
  readonly role: HostRole;
  readonly bus: Bus;
  readonly clock: VirtualClock;
  readonly kernel: SimKernel;
  readonly strategy: MigrateStrategy;
  readonly keyManager: RecordingKeyManager;
  /** Every MIGRATE the strategy handed to the kernel, in order. */
  readonly written: MigrateRequest[];
  /** Every MIGRATE the kernel broadcast. */
  readonly broadcasts: KernelMigrate[];
  settle(): Promise<void>;
  /** Syncs the mip6 policy set for `coa` (HoA: at home, no tunnel entries), as the daemon does on start or re-sync. */
  policies(coa: Ip): Promise<void>;
}

export async function testHost(
  role: 'mn' | 'ha',
  opts: { strategy?: MigrateStrategyOptions; lookup?: MigrateLookup; coa?: Ip; start?: boolean } = {},
): Promise<TestHost> {
  const bus = new Bus();
  const clock = new VirtualClock();
  const kernel = new SimKernel(new PfkeyKernel({ clock, migrateLookup: opts.lookup ?? 'exact' }), bus);
  const written: MigrateRequest[] = [];
  const migrate = kernel.migrate.bind(kernel);
  kernel.migrate = (req) => {
    written.push(req);
    return migrate(req);
  };
  const broadcasts: KernelMigrate[] = [];
  bus.on('kernel.migrate').subscribe((e) => broadcasts.push(e));
  const strategy = new MigrateStrategy(opts.strategy);
  const keyManager = new RecordingKeyManager({ bus });
  let installed: Mip6Policy[] = [];
  const policies = async (coa: Ip) => {
    const set = role === 'mn' ? mnPolicies({ hoa: HOA, ha: HA, coa }) : haPolicies({ hoa: HOA, ha: HA, coa });
    await syncPolicies(kernel, installed, set);
    installed = set;
  };
  await policies(opts.coa ?? HOA);
  if (opts.start ?? true) strategy.start({ role, bus, kernel, clock, keyManager });
  return {
    role,
    bus,
    clock,
    kernel,
    strategy,
    keyManager,
    written,
    broadcasts,
    settle: () => settle(strategy),
    policies,
  };
}

/** Tunnel SA pairs (home test and payload) between `mn` and the HA, as IKE installs them. */
export function tunnelSas(h: TestHost, mn: Ip): Promise<number[]> {
  return installTunnelSas(h.kernel, mn, HA);
}

/** The MN end of every tunnel template and tunnel SA the kernel holds. */
export function mnEnds(h: TestHost): Promise<{ templates: Ip[]; sas: Ip[] }> {
  return tunnelMnEnds(h.kernel, HA);
}
