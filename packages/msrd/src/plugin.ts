/**
 * The plugin a host is configured with. It only registers the strategy: the composition root starts
 * it with a StrategyContext (role from HOST_INFO), so mip6, ike and the kernel never learn which
 * design runs.
 */
import type { Plugin } from '@mip6sec/core';
import { ADDRESS_RESOLVER, BUS, CLOCK, KERNEL_BACKEND, MOBILITY_STRATEGY } from '@mip6sec/core';
import type { DependencyContainer } from 'tsyringe';
import { MsrdStrategy, type MsrdStrategyOptions } from './strategy.js';

export function msrdStrategy(options: MsrdStrategyOptions = {}): Plugin {
  return {
    name: '@mip6sec/msrd',
    provides: [MOBILITY_STRATEGY, ADDRESS_RESOLVER],
    requires: [BUS, CLOCK, KERNEL_BACKEND],
    register(container: DependencyContainer): void {
      const strategy = new MsrdStrategy(options);
      container.register(MOBILITY_STRATEGY, { useValue: strategy });
      container.register(ADDRESS_RESOLVER, { useValue: strategy.resolver });
    },
  };
}
