import {
  ADDRESS_RESOLVER,
  BUS,
  CLOCK,
  checkPlugins,
  Host,
  MOBILITY_STRATEGY,
  VirtualClock,
} from '@mip6sec/core';
import { simKernel } from '@mip6sec/kernel-sim';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { InMemoryMsrd } from './in-memory-msrd.js';
import { msrdStrategy } from './plugin.js';
import { MsrdStrategy } from './strategy.js';

describe('msrdStrategy plugin', () => {
  it('provides the strategy (with the store it was given) and its resolver', () => {
    const store = new InMemoryMsrd();
    const host = new Host(container, {
      name: 'ha',
      role: 'ha',
      clock: new VirtualClock(),
      plugins: [simKernel(), msrdStrategy({ store, mpiInIke: false })],
    });
    const strategy = host.resolve(MOBILITY_STRATEGY) as MsrdStrategy;
    expect(strategy).toBeInstanceOf(MsrdStrategy);
    expect(strategy.store).toBe(store);
    expect(strategy.mpiInIke).toBe(false);
    expect(strategy.updatesInPlace).toBe(true);
    expect(host.resolve(ADDRESS_RESOLVER)).toBe(strategy.resolver);
  });

  it('requires a kernel backend', () => {
    expect(() => checkPlugins([msrdStrategy()], [BUS, CLOCK])).toThrow(
      /requires @mip6sec\/core:KernelBackend/,
    );
  });
});
