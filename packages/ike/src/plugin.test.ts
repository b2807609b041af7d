import { BUS, CLOCK, Host, KEY_MANAGER, TRANSPORT, VirtualClock, WiringError } from '@mip6sec/core';
import { cryptoProvider } from '@mip6sec/crypto';
import { simKernel } from '@mip6sec/kernel-sim';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { IkeDaemon } from './ike-daemon.js';
import { ikeDaemon } from './plugin.js';
import { LoopbackNetwork } from './test-support/loopback.js';
import { IKE_DAEMON } from './tokens.js';

describe('ikeDaemon plugin', () => {
  it('provides KEY_MANAGER and IKE_DAEMON as one instance per host, and states its requirements', async () => {
    const clock = new VirtualClock();
    const net = new LoopbackNetwork(clock);
    const plugin = ikeDaemon({ listen: ['192.0.2.1'] });
    expect(plugin.requires).toEqual(expect.arrayContaining([BUS, CLOCK, TRANSPORT]));
    const transport = {
      name: 't',
      provides: [TRANSPORT],
      requires: [],
      register: (c: typeof container) =>
        c.register(TRANSPORT, { useValue: net.transport('h', ['192.0.2.1']) }),
    };
    const host = new Host(container, {
      name: 'h',
      role: 'cn',
      clock,
      plugins: [cryptoProvider(), simKernel(), transport, plugin],
    });
    const ike = host.resolve(IKE_DAEMON);
    expect(ike).toBeInstanceOf(IkeDaemon);
    expect(host.resolve(KEY_MANAGER)).toBe(ike);
    expect(host.resolve(IKE_DAEMON)).toBe(ike);
    host.addStartable(ike);
    await host.start();
    expect(ike.ikeSas()).toEqual([]);
    await host.stop();
  });

  it('fails the wiring without a transport, and fails early on a bad configuration', () => {
    const clock = new VirtualClock();
    expect(
      () =>
        new Host(container, {
          name: 'h',
          role: 'cn',
          clock,
          plugins: [cryptoProvider(), simKernel(), ikeDaemon({})],
        }),
    ).toThrow(WiringError);
    expect(() =>
      ikeDaemon({ peers: [{ name: 'x', auth: { psk: 'k' }, ike: ['aes128-md5-modp2048'] }] }),
    ).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
