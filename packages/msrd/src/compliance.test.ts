import { strategyComplianceSuite } from '@mip6sec/compliance/strategy';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { MsrdStrategy } from './strategy.js';

for (const mpiInIke of [true, false]) {
  strategyComplianceSuite({
    name: `msrd (mpiInIke ${mpiInIke}, kernel side by MIGRATE)`,
    makeStrategy: () => new MsrdStrategy({ mpiInIke }),
    makeKernel: (_role, { bus, clock }) => new SimKernel(new PfkeyKernel({ clock }), bus),
  });
}

strategyComplianceSuite({
  name: 'msrd (kernel side by SPDUPDATE/SADB_UPDATE, flow MIGRATE lookup)',
  makeStrategy: () => new MsrdStrategy({ kernelApply: 'update' }),
  makeKernel: (_role, { bus, clock }) =>
    new SimKernel(new PfkeyKernel({ clock, migrateLookup: 'flow' }), bus),
});
