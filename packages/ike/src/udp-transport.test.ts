import { Bus, type DatagramSocket, SystemClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { describe, expect, it } from 'vitest';
import { IkeDaemon } from './ike-daemon.js';
import { UdpTransport } from './udp-transport.js';

describe('UdpTransport (node:dgram)', () => {
  it('carries datagrams between two sockets, mapping ports', async () => {
    const t = new UdpTransport({ portMap: { 500: 27500 } });
    const a = await t.bind({ ip: '127.0.0.1', port: 500 });
    const b = await t.bind({ ip: '127.0.0.1', port: 27501 });
    const got = new Promise<{ src: { ip: string; port: number }; data: Uint8Array }>((resolve) =>
      b.messages.subscribe(resolve),
    );
    a.send({ ip: '127.0.0.1', port: 27501 }, Uint8Array.of(1, 2, 3));
    const d = await got;
    expect(d.src).toEqual({ ip: '127.0.0.1', port: 500 });
    expect([...d.data]).toEqual([1, 2, 3]);
    await expect(t.bind({ ip: '127.0.0.1', port: 500 })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    a.close();
    b.close();
  });

  it('runs two daemons over real UDP on loopback addresses', async () => {
    const clock = new SystemClock();
    const sockets: DatagramSocket[] = [];
    const transport = new UdpTransport({ portMap: { 500: 28500, 4500: 28501 } });
    const tracked = {
      bind: async (l: { ip: string; port: number }) => {
        const s = await transport.bind(l);
        sockets.push(s);
        return s;
      },
    };
    const crypto = createCryptoProvider();
    const mk = (local: string, remote: string | undefined, name: string) =>
      new IkeDaemon(
        {
          listen: [local],
          peers: [
            {
              name,
              local,
              ...(remote ? { remote } : {}),
              auth: { psk: 'udp' },
              ike: ['aes128gcm16-prfsha256-ecp256'],
              children: [{ name: 'c', localTs: ['dynamic'], remoteTs: ['dynamic'] }],
            },
          ],
        },
        new Bus(),
        clock,
        new SimKernel(new PfkeyKernel({ clock }), undefined),
        crypto,
        tracked,
      );
    const a = mk('127.0.0.1', '127.0.0.2', 'b');
    const b = mk('127.0.0.2', undefined, 'a');
    await a.start();
    await b.start();
    const r = await a.initiate('b');
    expect(r.failures).toEqual([]);
    expect(b.listSas()[0]?.children[0]?.spiOut).toBe(r.ike.children[0]?.spiIn);
    await a.terminate(r.ike.ikeSpi);
    await a.stop();
    await b.stop();
  });
});
