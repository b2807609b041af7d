import { strategyComplianceSuite } from '@mip6sec/compliance/strategy';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { RenegotiateStrategy } from './strategy.js';

strategyComplianceSuite({
  name: 'renegotiate',
  makeStrategy: () => new RenegotiateStrategy(),
  makeKernel: (_role, { bus, clock }) => new SimKernel(new PfkeyKernel({ clock }), bus),
});
