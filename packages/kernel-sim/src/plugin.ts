/**
 * The plugin factory: `simKernel(options)` gives a host container its own simulated kernel (one per
 * registration, built on first resolve from the host's Clock) and provides KERNEL_BACKEND as a SimKernel
 * on a PF_KEY socket of it, publishing on the host's Bus. The kernel itself is reachable under SIM_KERNEL,
 * for the lab's IP layer (its datapath) and for IKE and the home agent (its PAD). The ESP crypto is the
 * host's CRYPTO_PROVIDER when one is registered, else a native provider.
 */
import {
  BUS,
  type Bus,
  CLOCK,
  type Clock,
  CRYPTO_PROVIDER,
  type CryptoProvider,
  KERNEL_BACKEND,
  type Plugin,
} from '@mip6sec/core';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { PfkeyKernel, type PfkeyKernelOptions } from './pfkey-kernel.js';
import { SimKernel } from './sim-kernel.js';

/** The host's simulated kernel (SPD, SAD, PAD, sockets, datapath). */
export const SIM_KERNEL: InjectionToken<PfkeyKernel> = Symbol.for('@mip6sec/kernel-sim:PfkeyKernel');

export type SimKernelPluginOptions = Omit<PfkeyKernelOptions, 'clock'>;

export function simKernel(options: SimKernelPluginOptions = {}): Plugin {
  return {
    name: '@mip6sec/kernel-sim',
    provides: [KERNEL_BACKEND, SIM_KERNEL],
    requires: [BUS, CLOCK],
    register(container: DependencyContainer): void {
      // Built lazily, once per container (what tsyringe's instanceCachingFactory does, kept local so that
      // importing this package does not load tsyringe, which wants the Reflect polyfill first).
      let kernel: PfkeyKernel | undefined;
      let backend: SimKernel | undefined;
      container.register(SIM_KERNEL, {
        useFactory: (c) => {
          if (!kernel) {
            const crypto = c.isRegistered(CRYPTO_PROVIDER, true)
              ? c.resolve<CryptoProvider>(CRYPTO_PROVIDER)
              : undefined;
            kernel = new PfkeyKernel({
              ...options,
              clock: c.resolve<Clock>(CLOCK),
              ...(crypto ? { crypto } : {}),
            });
          }
          return kernel;
        },
      });
      container.register(KERNEL_BACKEND, {
        useFactory: (c) => (backend ??= new SimKernel(c.resolve(SIM_KERNEL), c.resolve<Bus>(BUS))),
      });
    },
  };
}
