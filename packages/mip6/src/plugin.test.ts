import {
  BUS,
  CLOCK,
  Host,
  IP_LAYER,
  KERNEL_BACKEND,
  type Plugin,
  VirtualClock,
  WiringError,
} from '@mip6sec/core';
import { container, type DependencyContainer } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import {
  COA1,
  type FakeIpLayer,
  FakeNet,
  FakeSaTable,
  HA,
  HOA,
  PolicyKernel,
} from './fake-network.test-util.js';
import { HomeAgent } from './home-agent.js';
import { MobileNode } from './mobile-node.js';
import { homeAgent, mobileNode } from './plugin.js';
import { HOME_ADDRESS_SOURCE, HOME_AGENT, MOBILE_NODE, SA_IDENTITY_LOOKUP } from './tokens.js';

/** Stands in for kernel-sim and the lab's IP layer. */
function platform(ip: FakeIpLayer, extra: (c: DependencyContainer) => void = () => {}): Plugin {
  const name = ip.name;
  return {
    name: `test-platform-${name}`,
    provides: [IP_LAYER, KERNEL_BACKEND],
    requires: [],
    register(c) {
      c.register(IP_LAYER, { useValue: ip });
      c.register(KERNEL_BACKEND, { useValue: new PolicyKernel() });
      extra(c);
    },
  };
}

describe('plugins', () => {
  it('mobileNode() and homeAgent() wire into hosts and run together', async () => {
    const clock = new VirtualClock();
    const net = new FakeNet(clock);
    const sas = new FakeSaTable();
    const sa = sas.add(7, 'mn');
    const haIp = net.host('ha', [HA]);
    const mnIp = net.host('mn', []);
    haIp.saFor = () => sas.add(8, 'ha');
    mnIp.saFor = () => sa;
    const haHost = new Host(container, {
      name: 'ha',
      role: 'ha',
      clock,
      plugins: [
        platform(haIp, (c) => c.register(SA_IDENTITY_LOOKUP, { useValue: sas })),
        homeAgent({ address: HA, mobileNodes: [{ identity: 'mn', hoa: HOA }] }),
      ],
    });
    const mnHost = new Host(container, {
      name: 'mn',
      role: 'mn',
      clock,
      plugins: [
        platform(mnIp, (c) =>
          c.register(HOME_ADDRESS_SOURCE, {
            useValue: { requestHomeAddress: async () => ({ hoa: HOA, prefixLen: 64, ha: HA }) },
          }),
        ),
        mobileNode({}),
      ],
    });
    const ha = haHost.resolve(HOME_AGENT);
    const mn = mnHost.resolve(MOBILE_NODE);
    expect(ha).toBeInstanceOf(HomeAgent);
    expect(mn).toBeInstanceOf(MobileNode);
    expect(mnHost.resolve(MOBILE_NODE)).toBe(mn); // one per host
    haHost.addStartable(ha);
    mnHost.addStartable(mn);
    await haHost.start();
    await mnHost.start();
    expect(mnHost.resolve(IP_LAYER)).toBe(mnIp);
    mnIp.attach(COA1, 'link1');
    await net.run(1000);
    expect(ha.lookup(HOA)?.coa).toBe(COA1);
    expect(mn.state().binding?.coa).toBe(COA1);
    expect(mnHost.resolve(BUS)).not.toBe(haHost.resolve(BUS));
    expect(mnHost.resolve(CLOCK)).toBe(clock);
    await mnHost.stop();
    await haHost.stop();
  });

  it('declare what they need', () => {
    expect(
      () =>
        new Host(container, {
          name: 'x',
          role: 'mn',
          clock: new VirtualClock(),
          plugins: [mobileNode({ hoa: HOA, ha: HA })],
        }),
    ).toThrow(WiringError);
    expect(homeAgent({ address: HA }).requires).toEqual([BUS, CLOCK, IP_LAYER, KERNEL_BACKEND]);
    expect(mobileNode({}).provides).toEqual([MOBILE_NODE]);
  });
});
