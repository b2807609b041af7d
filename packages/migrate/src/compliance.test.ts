import { strategyComplianceSuite } from '@mip6sec/compliance/strategy';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { MigrateStrategy } from './strategy.js';

strategyComplianceSuite({
  name: 'migrate (exact MIGRATE lookup)',
  makeStrategy: () => new MigrateStrategy(),
  makeKernel: (_role, { bus, clock }) => new SimKernel(new PfkeyKernel({ clock }), bus),
});

strategyComplianceSuite({
  name: 'migrate (Linux 6.12+ flow lookup)',
  makeStrategy: () => new MigrateStrategy(),
  makeKernel: (_role, { bus, clock }) =>
    new SimKernel(new PfkeyKernel({ clock, migrateLookup: 'flow' }), bus),
});
