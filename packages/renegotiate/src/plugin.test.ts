import { ADDRESS_RESOLVER, Host, MOBILITY_STRATEGY, VirtualClock } from '@mip6sec/core';
import { simKernel } from '@mip6sec/kernel-sim';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { renegotiateStrategy } from './plugin.js';
import { RenegotiateStrategy } from './strategy.js';

describe('renegotiateStrategy plugin', () => {
  it('provides the strategy and its resolver to the host', () => {
    const host = new Host(container, {
      name: 'mn',
      role: 'mn',
      clock: new VirtualClock(),
      plugins: [simKernel(), renegotiateStrategy()],
    });
    const strategy = host.resolve(MOBILITY_STRATEGY);
    expect(strategy).toBeInstanceOf(RenegotiateStrategy);
    expect(host.resolve(ADDRESS_RESOLVER)).toBe(strategy.resolver);
  });
});
