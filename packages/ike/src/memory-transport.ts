/**
 * An in-memory network for running daemons in one process without sockets (benchmarks, demos):
 * core Transports whose datagrams reach the socket bound to their destination on the next turn
 * of the event loop. Nothing is lost, delayed or reordered; tests that need that use the lab's
 * simulated links or `test-support/loopback.ts`.
 */
import type { Datagram, DatagramSocket, Endpoint, Ip, Transport } from '@mip6sec/core';
import { Subject } from 'rxjs';
import { IkeError } from './errors.js';

const unspecified = (ip: Ip) => ip === '0.0.0.0' || ip === '::';

class MemorySocket implements DatagramSocket {
  readonly local: Endpoint;
  private readonly net: MemoryNetwork;
  readonly subject = new Subject<Datagram>();
  readonly messages = this.subject.asObservable();

  constructor(net: MemoryNetwork, local: Endpoint) {
    this.net = net;
    this.local = local;
  }

  send(to: Endpoint, data: Uint8Array, from?: Ip): void {
    const ip = from && !unspecified(from) ? from : this.local.ip;
    if (unspecified(ip)) return;
    this.net.deliver({ src: { ip, port: this.local.port }, dst: to, data: data.slice() });
  }

  close(): void {
    this.net.unbind(this);
    this.subject.complete();
  }
}

export class MemoryNetwork {
  private readonly sockets = new Map<string, MemorySocket>();
  /** Datagrams delivered so far. */
  delivered = 0;

  /** A Transport binding on this network; an unspecified address listens on every address. */
  transport(): Transport {
    return {
      bind: async (local: Endpoint) => {
        const key = `${local.ip}|${local.port}`;
        if (this.sockets.has(key)) throw new IkeError('EINVAL', `${key} is already bound`);
        const s = new MemorySocket(this, local);
        this.sockets.set(key, s);
        return s;
      },
    };
  }

  unbind(s: MemorySocket): void {
    this.sockets.delete(`${s.local.ip}|${s.local.port}`);
  }

  deliver(d: Datagram): void {
    setImmediate(() => {
      const s =
        this.sockets.get(`${d.dst.ip}|${d.dst.port}`) ??
        this.sockets.get(`${d.dst.ip.includes(':') ? '::' : '0.0.0.0'}|${d.dst.port}`);
      if (!s) return;
      this.delivered++;
      s.subject.next(d);
    });
  }
}
