import { StrategyFixture } from '@mip6sec/compliance/strategy';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { it } from 'vitest';
import { MsrdStrategy } from './strategy.js';
it('debug', async () => {
  const f = await StrategyFixture.create({ makeStrategy: () => new MsrdStrategy(), makeKernel: (_r, { bus, clock }) => new SimKernel(new PfkeyKernel({ clock }), bus) });
  f.mn.bus.errors.subscribe((e) => console.log('BUS ERR', e.error));
  await f.start();
  await f.move(f.addr.coa1);
  console.log(f.mn.strategy.metrics());
  console.log((await f.mn.kernel.dumpPolicies()).map((p) => [p.dir, p.selector.proto, p.ref, JSON.stringify(p.templates)]));
  console.log(await (f.mn.strategy as MsrdStrategy).store.list());
});
