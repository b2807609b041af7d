import {
  ADDRESS_RESOLVER,
  checkPlugins,
  HOST_INFO,
  Host,
  KERNEL_BACKEND,
  MOBILITY_STRATEGY,
  type Plugin,
  VirtualClock,
  WiringError,
} from '@mip6sec/core';
import { simKernel } from '@mip6sec/kernel-sim';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { migrateStrategy } from './plugin.js';
import { MigrateStrategy } from './strategy.js';

describe('migrateStrategy plugin', () => {
  it('provides the strategy and its resolver; the host starts it with a context from its tokens', async () => {
    const host = new Host(container, {
      name: 'mn',
      role: 'mn',
      clock: new VirtualClock(),
      plugins: [simKernel(), migrateStrategy({ reconcileIntervalMs: 0 })],
    });
    const strategy = host.resolve(MOBILITY_STRATEGY);
    expect(strategy).toBeInstanceOf(MigrateStrategy);
    expect(host.resolve(ADDRESS_RESOLVER)).toBe(strategy.resolver);
    expect(strategy.updatesInPlace).toBe(true);
    await strategy.start({
      role: host.resolve(HOST_INFO).role,
      bus: host.bus,
      kernel: host.resolve(KERNEL_BACKEND),
      clock: new VirtualClock(),
    });
    await strategy.stop();
  });

  it('needs a kernel backend, and a host takes one strategy only', () => {
    expect(() => checkPlugins([migrateStrategy()], [])).toThrow(WiringError);
    const other: Plugin = { ...migrateStrategy(), name: 'another strategy' };
    expect(() => checkPlugins([simKernel(), migrateStrategy(), other], [])).toThrow(/provided by both/);
  });
});
