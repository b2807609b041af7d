/** One MN or HA host for the MSRD strategy's tests: a bus, a virtual clock, kernel-sim, the mip6 policy set. */
import { installTunnelSas, RecordingKeyManager, settle, tunnelMnEnds } from '@mip6sec/compliance/strategy';
import type { HostRole, Ip, KernelAcquire } from '@mip6sec/core';
import { Bus, VirtualClock } from '@mip6sec/core';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { haPolicies, installPolicies, mnPolicies } from '@mip6sec/mip6';
import { MsrdStrategy, type MsrdStrategyOptions } from './strategy.js';

export const HOA = '2001:db8:0:1::100';
export const HA = '2001:db8:0:1::1';
export const COA1 = '2001:db8:a::100';
export const COA2 = '2001:db8:b::100';

export interface TestHost {
  readonly role: HostRole;
  readonly bus: Bus;
  readonly clock: VirtualClock;
  readonly pfkey: PfkeyKernel;
  readonly kernel: SimKernel;
  readonly strategy: MsrdStrategy;
  readonly keyManager: RecordingKeyManager;
  readonly acquires: KernelAcquire[];
  settle(): Promise<void>;
  policies(coa: Ip): Promise<void>;
}

export async function testHost(role: 'mn' | 'ha', opts: MsrdStrategyOptions = {}): Promise<TestHost> {
  const bus = new Bus();
  const clock = new VirtualClock();
  const pfkey = new PfkeyKernel({ clock });
  const kernel = new SimKernel(pfkey, bus);
  const strategy = new MsrdStrategy(opts);
  const keyManager = new RecordingKeyManager({ bus });
  const acquires: KernelAcquire[] = [];
  bus.on('kernel.acquire').subscribe((a) => acquires.push(a));
  const policies = async (coa: Ip) => {
    const set = role === 'mn' ? mnPolicies({ hoa: HOA, ha: HA, coa }) : haPolicies({ hoa: HOA, ha: HA, coa });
    await installPolicies(kernel, set);
  };
  await policies(HOA);
  strategy.start({ role, bus, kernel, clock, keyManager });
  return {
    role,
    bus,
    clock,
    pfkey,
    kernel,
    strategy,
    keyManager,
    acquires,
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
