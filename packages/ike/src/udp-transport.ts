/**
 * core's Transport over node:dgram, for daemons on real hosts (or in network namespaces). One
 * UDP socket per bound endpoint, IPv4 or IPv6 by the address. IKE adds and strips the RFC 3948
 * non-ESP marker on its NAT-T port itself, so the bytes here are exactly the UDP payload.
 * Node cannot pick the source address of a socket bound to the unspecified address, so `from`
 * is ignored: bind the addresses IKE should use.
 *
 * Ports: the daemon always speaks of 500 and 4500. `portMap` says which ports those are on this
 * host, `remotePortMap` which they are on the peers (by default the same as `portMap`), so two
 * daemons can share an address without root. Datagrams from a mapped peer port are reported as
 * from its protocol port, so NAT detection, which hashes ports, agrees on both ends.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  canonicalIp,
  type Datagram,
  type DatagramSocket,
  type Endpoint,
  type Ip,
  ipFamily,
  Mip6secError,
  type Transport,
} from '@mip6sec/core';
import { Subject } from 'rxjs';

export interface UdpTransportOptions {
  /**
   * Maps protocol ports to the ports actually bound (e.g. 500 -> 10500 without root); also to the
   * peers' ports unless `remotePortMap` is given.
   */
  readonly portMap?: Readonly<Record<number, number>>;
  /** Maps protocol ports to the peers' ports, sent to and reported back (`{}`: the protocol ports). */
  readonly remotePortMap?: Readonly<Record<number, number>>;
}

interface PortMapping {
  toWire(port: number): number;
  fromWire(port: number): number;
}

/** A received source address without an IPv6 zone, and an IPv4-mapped one as IPv4. */
function wireAddress(a: string): string {
  if (!a.includes(':')) return a;
  const zone = a.indexOf('%');
  const bare = zone < 0 ? a : a.slice(0, zone);
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(bare) ? bare.slice(7) : bare;
}

/**
 * dgram's address lookup for send(): the daemon sends to IP literals only, so the answer is the
 * address itself, given at once (the default dns.lookup defers every send by a tick to say so).
 */
function literalLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(
    null,
    address,
    typeof family === 'number' && family !== 0 ? family : address.includes(':') ? 6 : 4,
  );
}

function mapping(map: Readonly<Record<number, number>>): PortMapping {
  const back = new Map(Object.entries(map).map(([k, v]) => [v, Number(k)]));
  return { toWire: (p) => map[p] ?? p, fromWire: (p) => back.get(p) ?? p };
}

class UdpSocket implements DatagramSocket {
  readonly local: Endpoint;
  private readonly socket: Socket;
  private readonly subject = new Subject<Datagram>();
  readonly messages = this.subject.asObservable();
  private readonly remote: PortMapping;
  private closing = false;

  constructor(local: Endpoint, socket: Socket, remote: PortMapping) {
    this.local = local;
    this.socket = socket;
    this.remote = remote;
    socket.on('message', (msg, rinfo) => {
      let src: Ip;
      try {
        src = canonicalIp(wireAddress(rinfo.address));
      } catch {
        return;
      }
      this.subject.next({
        src: { ip: src, port: remote.fromWire(rinfo.port) },
        dst: local,
        data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
      });
    });
  }

  send(to: Endpoint, data: Uint8Array, _from?: Ip): void {
    if (this.closing) return;
    try {
      // No completion callback: node sends at once when the kernel takes the datagram, and a
      // callback would cost a deferred call per datagram. close() asks the queue instead.
      this.socket.send(data, this.remote.toWire(to.port), to.ip);
    } catch {
      // A datagram the socket refuses outright is lost, as UDP may lose any.
    }
  }

  /**
   * Stops delivering datagrams at once; the socket itself closes once the datagrams already
   * handed to send() have left (a last AUTHENTICATION_FAILED or DELETE answer is not dropped).
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.subject.complete();
    this.releaseWhenSent();
  }

  /** Closing the socket would cancel datagrams still queued (the kernel buffer was full): wait for them. */
  private releaseWhenSent(): void {
    if (this.socket.getSendQueueCount() === 0) this.release();
    else setTimeout(() => this.releaseWhenSent(), 1);
  }

  private release(): void {
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }
}

export class UdpTransport implements Transport {
  private readonly local: PortMapping;
  private readonly remote: PortMapping;

  constructor(options: UdpTransportOptions = {}) {
    this.local = mapping(options.portMap ?? {});
    this.remote = mapping(options.remotePortMap ?? options.portMap ?? {});
  }

  bind(local: Endpoint): Promise<DatagramSocket> {
    const family = ipFamily(local.ip);
    const socket = createSocket({
      type: family === 4 ? 'udp4' : 'udp6',
      ipv6Only: family === 6,
      reuseAddr: false,
      lookup: literalLookup as never,
    });
    return new Promise((resolve, reject) => {
      const onError = (e: Error & { code?: string }) => {
        socket.close();
        reject(
          new Mip6secError(e.code ?? 'EIO', `cannot bind UDP ${local.ip} port ${local.port}: ${e.message}`, {
            cause: e,
          }),
        );
      };
      socket.once('error', onError);
      socket.bind({ address: local.ip, port: this.local.toWire(local.port), exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', () => undefined);
        resolve(new UdpSocket(local, socket, this.remote));
      });
    });
  }
}
