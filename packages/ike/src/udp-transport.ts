/**
 * core's Transport over node:dgram, for daemons on real hosts (or in network namespaces). One
 * UDP socket per bound endpoint, IPv4 or IPv6 by the address. IKE adds and strips the RFC 3948
 * non-ESP marker on its NAT-T port itself, so the bytes here are exactly the UDP payload.
 * Node cannot pick the source address of a socket bound to the unspecified address, so `from`
 * is ignored: bind the addresses IKE should use.
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
  /** Maps protocol ports to the ports actually bound and sent to (e.g. 500 -> 10500 without root). */
  readonly portMap?: Readonly<Record<number, number>>;
}

class UdpSocket implements DatagramSocket {
  readonly local: Endpoint;
  private readonly socket: Socket;
  private readonly subject = new Subject<Datagram>();
  readonly messages = this.subject.asObservable();
  private readonly toWire: (port: number) => number;

  constructor(
    local: Endpoint,
    socket: Socket,
    toWire: (port: number) => number,
    fromWire: (port: number) => number,
  ) {
    this.local = local;
    this.socket = socket;
    this.toWire = toWire;
    socket.on('message', (msg, rinfo) => {
      let src: Ip;
      try {
        src = canonicalIp(rinfo.address.replace(/%.*$/, '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1'));
      } catch {
        return;
      }
      this.subject.next({
        src: { ip: src, port: fromWire(rinfo.port) },
        dst: local,
        data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
      });
    });
  }

  send(to: Endpoint, data: Uint8Array, _from?: Ip): void {
    this.socket.send(data, this.toWire(to.port), to.ip, () => undefined);
  }

  close(): void {
    this.subject.complete();
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }
}

export class UdpTransport implements Transport {
  private readonly toWire: (port: number) => number;
  private readonly fromWire: (port: number) => number;

  constructor(options: UdpTransportOptions = {}) {
    const map = options.portMap ?? {};
    const back = new Map(Object.entries(map).map(([k, v]) => [v, Number(k)]));
    this.toWire = (p) => map[p] ?? p;
    this.fromWire = (p) => back.get(p) ?? p;
  }

  bind(local: Endpoint): Promise<DatagramSocket> {
    const family = ipFamily(local.ip);
    const socket = createSocket({
      type: family === 4 ? 'udp4' : 'udp6',
      ipv6Only: family === 6,
      reuseAddr: false,
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
      socket.bind({ address: local.ip, port: this.toWire(local.port), exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', () => undefined);
        resolve(new UdpSocket(local, socket, this.toWire, this.fromWire));
      });
    });
  }
}
