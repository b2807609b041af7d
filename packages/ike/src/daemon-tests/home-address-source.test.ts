import { IP_LAYER, IPPROTO_MH } from '@mip6sec/core';
import { HOME_ADDRESS_SOURCE, MOBILE_NODE, type MobileNode, mobileNode } from '@mip6sec/mip6';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerConfig } from '../config.js';
import { homeAddressFromPrefix, IkeHomeAddressSource, ikeHomeAddressSource } from '../home-address-source.js';
import { Lab, type TestHost } from '../test-support/harness.js';
import type { SimIpLayer } from '../test-support/ip-layer.js';
import { simIpLayer } from '../test-support/ip-layer.js';

const HA = '2001:db8:1::1';
const COA = '2001:db8:c::5';
const MN_ID = 'mn1@example.org';
const HA_ID = 'ha.example.org';
const mh = (reqid: number) => ({
  name: 'mh',
  mode: 'transport' as const,
  localTs: ['dynamic[mh]'],
  remoteTs: ['dynamic[mh]'],
  reqid,
});

describe('an RFC 5026 home address source for the mobile node', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  async function homeAgent(pool = '2001:db8:1::/64', reserved = [HA]): Promise<TestHost> {
    return lab.add({
      name: 'ha',
      addresses: [HA],
      config: {
        listen: [HA],
        peers: [
          {
            name: 'mn',
            localId: HA_ID,
            remoteId: '%any',
            auth: { psk: 'home sweet home' },
            homeAddressPool: { prefix: pool, reserved },
            children: [mh(0x20)],
          },
        ],
      },
    });
  }

  const mnPeer = (extra: Partial<PeerConfig> = {}): PeerConfig => ({
    name: 'ha',
    remote: HA,
    localId: MN_ID,
    remoteId: HA_ID,
    auth: { psk: 'home sweet home' },
    requestHomeAddress: true,
    // Reqid 1: the BU/BA bundle of mip6's default SPD entries.
    children: [mh(1)],
    ...extra,
  });

  it('bootstraps a MobileNode without hoa/ha: IKE assigns them, and the BU leaves through the CHILD_SA', async () => {
    lab = new Lab();
    const ha = await homeAgent();
    const mn = await lab.add({
      name: 'mn',
      addresses: [COA],
      config: { listen: [COA], peers: [mnPeer()] },
      plugins: [simIpLayer([COA]), ikeHomeAddressSource('ha'), mobileNode({})],
    });
    const source = mn.host.resolve(HOME_ADDRESS_SOURCE);
    expect(source).toBeInstanceOf(IkeHomeAddressSource);
    const node: MobileNode = mn.host.resolve(MOBILE_NODE);
    await lab.run(node.start());
    const [assigned] = ha.ike.homeAddresses();
    expect(assigned?.identity).toBe(MN_ID);
    expect(node.state()).toMatchObject({ hoa: assigned!.hoa, ha: HA });
    // The home agent's end of the MH CHILD_SA receives what the MN's kernel protects.
    const ip = mn.host.resolve(IP_LAYER) as SimIpLayer;
    const delivered: unknown[] = [];
    ip.deliver = (bytes) => delivered.push(ha.pfkey.datapath.input(bytes));
    ip.attachTo(COA);
    await lab.until(() => delivered.length > 0);
    const bu = ip.sent.find((s) => s.packet.proto === IPPROTO_MH);
    expect(bu?.packet).toMatchObject({ src: COA, dst: HA, homeAddressOption: assigned!.hoa });
    expect(bu?.result.kind).toBe('send');
    const child = mn.ike.listSas()[0]!.children[0]!;
    expect(delivered[0]).toMatchObject({
      kind: 'deliver',
      packet: { proto: IPPROTO_MH, sa: { spi: Number.parseInt(child.spiOut, 16), dst: HA } },
    });
    node.stop();
    // Asking again reuses the IKE SA.
    const before = mn.of('ike.sa-established').length;
    const again = await lab.run((source as IkeHomeAddressSource).requestHomeAddress());
    expect(again).toMatchObject({ hoa: assigned!.hoa, ha: HA, prefixLen: 64, prefix: '2001:db8:1::' });
    expect(mn.of('ike.sa-established')).toHaveLength(before);
  });

  it('forms the home address from MIP6_HOME_PREFIX and an interface identifier', async () => {
    lab = new Lab();
    await homeAgent();
    const mn = await lab.add({
      name: 'mn',
      addresses: [COA],
      config: { listen: [COA], peers: [mnPeer({ requestHomeAddress: { address: false }, children: [] })] },
    });
    const source = new IkeHomeAddressSource(mn.ike, 'ha', { interfaceId: '::1:2:3:4' });
    const got = await lab.run(source.requestHomeAddress());
    expect(got).toMatchObject({
      hoa: '2001:db8:1:0:1:2:3:4',
      prefixLen: 64,
      ha: HA,
      prefixLifetime: expect.any(Number),
    });
    // Without one, a random identifier inside the prefix.
    const random = await lab.run(new IkeHomeAddressSource(mn.ike, 'ha').requestHomeAddress());
    expect(random.hoa.startsWith('2001:db8:1:0:')).toBe(true);
    expect(random.hoa).not.toBe(got.hoa);
  });

  it('fails clearly: no home address requested, or none left in the pool', async () => {
    lab = new Lab();
    // A /127 holds one home address (::1).
    await homeAgent('2001:db8:1::/127', []);
    const mn = await lab.add({
      name: 'mn',
      addresses: [COA],
      config: { listen: [COA], peers: [mnPeer({ requestHomeAddress: false })] },
    });
    await expect(new IkeHomeAddressSource(mn.ike, 'ha').requestHomeAddress()).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(new IkeHomeAddressSource(mn.ike, 'nobody').requestHomeAddress()).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const first = await lab.add({
      name: 'mn0',
      addresses: ['2001:db8:e::5'],
      config: { listen: ['2001:db8:e::5'], peers: [mnPeer({ localId: 'mn0@example.org' })] },
    });
    await lab.run(new IkeHomeAddressSource(first.ike, 'ha').requestHomeAddress());
    const late = await lab.add({
      name: 'mn2',
      addresses: ['2001:db8:d::5'],
      config: { listen: ['2001:db8:d::5'], peers: [mnPeer({ localId: 'mn2@example.org', children: [] })] },
    });
    await expect(
      lab.run(new IkeHomeAddressSource(late.ike, 'ha').requestHomeAddress()),
    ).rejects.toMatchObject({
      code: 'INTERNAL_ADDRESS_FAILURE',
    });
  });

  it('joins prefix and interface identifier bit by bit', () => {
    expect(homeAddressFromPrefix('2001:db8:1::', 64, '::abcd:1')).toBe('2001:db8:1::abcd:1');
    expect(homeAddressFromPrefix('2001:db8:1:ff00::', 56, 'ffff:ffff:ffff:ffff:1::')).toBe(
      '2001:db8:1:ffff:1::',
    );
    expect(() => homeAddressFromPrefix('2001:db8:1::', 64, '2001:db8::')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => homeAddressFromPrefix('10.0.0.0', 8, '::1')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});
