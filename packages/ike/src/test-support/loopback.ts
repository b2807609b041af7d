/**
 * An in-memory network for tests: core Transports per host over one shared virtual clock, with a
 * fixed delay, a per-datagram filter to drop or duplicate (loss and replay injection), a capture
 * of everything sent, and a simple NAT that rewrites an inside address to an outside one.
 */
import type { Clock, Datagram, DatagramSocket, Endpoint, Ip, Transport } from '@mip6sec/core';
import { Subject } from 'rxjs';

export type Verdict = 'pass' | 'drop' | 'dup';

function unspecified(ip: Ip): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

const family = (ip: Ip) => (ip.includes(':') ? 6 : 4);

class LoopSocket implements DatagramSocket {
  readonly local: Endpoint;
  readonly host: string;
  private readonly net: LoopbackNetwork;
  readonly subject = new Subject<Datagram>();
  readonly messages = this.subject.asObservable();
  closed = false;

  constructor(net: LoopbackNetwork, host: string, local: Endpoint) {
    this.net = net;
    this.host = host;
    this.local = local;
  }

  send(to: Endpoint, data: Uint8Array, from?: Ip): void {
    const src = from && !unspecified(from) ? from : this.local.ip;
    if (unspecified(src)) return;
    this.net.route(this.host, { src: { ip: src, port: this.local.port }, dst: to, data: data.slice() });
  }

  close(): void {
    this.closed = true;
    this.net.unbind(this);
    this.subject.complete();
  }
}

export class LoopbackNetwork {
  private readonly clock: Clock;
  /** One-way delay in milliseconds. */
  delay: number;
  /** Decides the fate of each datagram as it leaves its host. */
  filter: ((d: Datagram, fromHost: string) => Verdict | undefined) | undefined;
  /** Every datagram handed to the network, in order, after NAT. */
  readonly captured: { at: number; from: string; datagram: Datagram }[] = [];
  private readonly sockets = new Map<string, LoopSocket>();
  private readonly addresses = new Map<string, Set<Ip>>();
  private readonly nats: { inside: Ip; outside: Ip }[] = [];
  private readonly natMap = new Map<string, Endpoint>();
  private natPort = 40000;

  constructor(clock: Clock, delay = 5) {
    this.clock = clock;
    this.delay = delay;
  }

  /** The Transport of one host; `addresses` are the host's own (what an unspecified bind listens on). */
  transport(host: string, addresses: readonly Ip[]): Transport {
    this.addresses.set(host, new Set(addresses));
    return {
      bind: async (local: Endpoint) => {
        const key = `${local.ip}|${local.port}`;
        if (this.sockets.has(key) && !unspecified(local.ip))
          throw Object.assign(new Error('address in use'), { code: 'EADDRINUSE' });
        const s = new LoopSocket(this, host, local);
        this.sockets.set(`${host}|${key}`, s);
        return s;
      },
    };
  }

  addAddress(host: string, ip: Ip): void {
    this.addresses.get(host)?.add(ip);
  }

  removeAddress(host: string, ip: Ip): void {
    this.addresses.get(host)?.delete(ip);
  }

  /** Traffic from `inside` leaves with source `outside` and a mapped port (an endpoint-independent NAT). */
  addNat(inside: Ip, outside: Ip): void {
    this.nats.push({ inside, outside });
  }

  unbind(s: LoopSocket): void {
    for (const [k, v] of this.sockets) if (v === s) this.sockets.delete(k);
  }

  route(fromHost: string, d: Datagram): void {
    const owner = this.addresses.get(fromHost);
    if (!owner?.has(d.src.ip)) return;
    let dgram = d;
    const nat = this.nats.find((n) => n.inside === d.src.ip);
    if (nat) {
      const key = `${d.src.ip}|${d.src.port}`;
      let mapped = [...this.natMap.entries()].find(([, v]) => `${v.ip}|${v.port}` === key)?.[0];
      if (!mapped) {
        mapped = `${nat.outside}|${this.natPort++}`;
        this.natMap.set(mapped, d.src);
      }
      const [ip, port] = mapped.split('|');
      dgram = { ...d, src: { ip: ip!, port: Number(port) } };
    }
    const verdict = this.filter?.(dgram, fromHost) ?? 'pass';
    this.captured.push({ at: this.clock.now(), from: fromHost, datagram: dgram });
    if (verdict === 'drop') return;
    const copies = verdict === 'dup' ? 2 : 1;
    for (let i = 0; i < copies; i++) this.clock.setTimeout(() => this.deliver(dgram), this.delay + i);
  }

  private deliver(d: Datagram): void {
    let dst = d.dst;
    const back = this.natMap.get(`${dst.ip}|${dst.port}`);
    if (back) dst = back;
    for (const [host, addrs] of this.addresses) {
      if (!addrs.has(dst.ip)) continue;
      const exact = this.sockets.get(`${host}|${dst.ip}|${dst.port}`);
      const any = this.sockets.get(`${host}|${family(dst.ip) === 4 ? '0.0.0.0' : '::'}|${dst.port}`);
      const s = exact ?? any;
      if (s && !s.closed) s.subject.next({ src: d.src, dst, data: d.data });
      return;
    }
  }
}
