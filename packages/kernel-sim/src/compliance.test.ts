import { kernelComplianceSuite } from '@mip6sec/compliance/kernel';
import { VirtualClock } from '@mip6sec/core';
import { PfkeyKernel } from './pfkey-kernel.js';
import { SimKernel } from './sim-kernel.js';

for (const migrateLookup of ['exact', 'flow'] as const) {
  kernelComplianceSuite({
    name: `kernel-sim (MIGRATE lookup ${migrateLookup})`,
    features: { espStates: true, migrate: true, acquireRef: true, datapath: true, udpEncap: true },
    makeKernel: ({ bus }) => {
      const kernel = new PfkeyKernel({ clock: new VirtualClock(), migrateLookup });
      const backend = new SimKernel(kernel, bus);
      return {
        backend,
        sendPacket: (p) => kernel.datapath.output(p),
        close: async () => {
          await backend.close();
          kernel.close();
        },
      };
    },
  });
}
