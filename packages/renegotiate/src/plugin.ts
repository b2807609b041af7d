/**
 * The plugin a host is configured with. It only registers the strategy: the composition root starts
 * it with a StrategyContext (role from HOST_INFO), so mip6, ike and the kernel never learn which
 * design runs.
 */
import type { Plugin } from '@mip6sec/core';
import { ADDRESS_RESOLVER, BUS, CLOCK, KERNEL_BACKEND, MOBILITY_STRATEGY } from '@mip6sec/core';
import type { DependencyContainer } from 'tsyringe';
import { RenegotiateStrategy, type RenegotiateStrategyOptions } from './strategy.js';

export function renegotiateStrategy(options: RenegotiateStrategyOptions = {}): Plugin {
  return {
    name: '@mip6sec/renegotiate',
    provides: [MOBILITY_STRATEGY, ADDRESS_RESOLVER],
    requires: [BUS, CLOCK, KERNEL_BACKEND],
    register(container: DependencyContainer): void {
      const strategy = new RenegotiateStrategy(options);
      container.register(MOBILITY_STRATEGY, { useValue: strategy });
      container.register(ADDRESS_RESOLVER, { useValue: strategy.resolver });
    },
  };
}
