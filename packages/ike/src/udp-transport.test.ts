import { createSocket } from 'node:dgram';
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

  it('maps the peer ports apart from the local ones', async () => {
    // Two "hosts" on one address: ours on 27600/27601, the peer's on 27610/27611.
    const ours = new UdpTransport({
      portMap: { 500: 27600, 4500: 27601 },
      remotePortMap: { 500: 27610, 4500: 27611 },
    });
    const theirs = new UdpTransport({
      portMap: { 500: 27610, 4500: 27611 },
      remotePortMap: { 500: 27600, 4500: 27601 },
    });
    const a = await ours.bind({ ip: '127.0.0.1', port: 4500 });
    const b = await theirs.bind({ ip: '127.0.0.1', port: 4500 });
    const got = new Promise<{ src: { ip: string; port: number }; dst: { port: number } }>((resolve) =>
      b.messages.subscribe(resolve),
    );
    a.send({ ip: '127.0.0.1', port: 4500 }, Uint8Array.of(7));
    const d = await got;
    expect(d.src).toEqual({ ip: '127.0.0.1', port: 4500 });
    expect(d.dst.port).toBe(4500);
    a.close();
    b.close();
    // remotePortMap {} sends to the protocol ports, whatever the local map says.
    const plain = new UdpTransport({ portMap: { 500: 27620 }, remotePortMap: {} });
    const c = await plain.bind({ ip: '127.0.0.1', port: 500 });
    const raw = createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(27621, '127.0.0.1', resolve));
    const heard = new Promise<number>((resolve) => raw.once('message', (_m, r) => resolve(r.port)));
    c.send({ ip: '127.0.0.1', port: 27621 }, Uint8Array.of(1));
    expect(await heard).toBe(27620);
    c.close();
    raw.close();
  });

  it('close() in the tick of send() still delivers the datagram', async () => {
    const t = new UdpTransport();
    const raw = createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(27631, '127.0.0.1', resolve));
    const heard = new Promise<number[]>((resolve) => raw.once('message', (m) => resolve([...m])));
    const a = await t.bind({ ip: '127.0.0.1', port: 27630 });
    a.send({ ip: '127.0.0.1', port: 27631 }, Uint8Array.of(4, 5, 6));
    a.close();
    a.send({ ip: '127.0.0.1', port: 27631 }, Uint8Array.of(9)); // after close: dropped, no throw
    expect(await heard).toEqual([4, 5, 6]);
    raw.close();
    // The port is free again once the send completed.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await t.bind({ ip: '127.0.0.1', port: 27630 });
    again.close();
  });

  it('start() rejects with the bind error and keeps no socket', async () => {
    const clock = new SystemClock();
    const blocker = createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(27641, '127.0.0.1', resolve));
    const daemon = new IkeDaemon(
      { listen: ['127.0.0.1'], peers: [] },
      new Bus(),
      clock,
      new SimKernel(new PfkeyKernel({ clock }), undefined),
      createCryptoProvider(),
      new UdpTransport({ portMap: { 500: 27640, 4500: 27641 } }),
    );
    await expect(daemon.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    blocker.close();
    // Port 500 (27640), bound before 4500 failed, was released: the daemon can start now.
    await daemon.start();
    await daemon.stop();
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
