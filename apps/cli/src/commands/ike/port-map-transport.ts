/**
 * Lets two daemons share one address (loopback tests, a responder beside charon) without teaching
 * the daemon about ports: it keeps speaking of 500 and 4500, and this Transport puts its sockets
 * on the local ports given and sends what is meant for the peer's 500 / 4500 to the peer's ports.
 * Datagrams from the peer's ports are reported as from 500 / 4500, so NAT detection, which hashes
 * the ports, agrees on both ends. With the standard ports every mapping is the identity.
 */
import type { Datagram, DatagramSocket, Endpoint, Ip, Transport } from '@mip6sec/core';
import { map, type Observable } from 'rxjs';
import { IKE_PORT, type IkeEndpoint, NATT_PORT } from './endpoint.js';

interface Ports {
  readonly port: number;
  readonly nattPort: number;
}

function toWire(p: number, ports: Ports | undefined): number {
  if (!ports) return p;
  return p === IKE_PORT ? ports.port : p === NATT_PORT ? ports.nattPort : p;
}

function fromWire(p: number, ports: Ports | undefined): number {
  if (!ports) return p;
  return p === ports.port ? IKE_PORT : p === ports.nattPort ? NATT_PORT : p;
}

class MappedSocket implements DatagramSocket {
  readonly local: Endpoint;
  readonly messages: Observable<Datagram>;

  constructor(
    private readonly inner: DatagramSocket,
    local: Endpoint,
    private readonly remote: Ports | undefined,
  ) {
    this.local = local;
    this.messages = inner.messages.pipe(
      map((d) => ({
        src: { ip: d.src.ip, port: fromWire(d.src.port, remote) },
        dst: { ip: d.dst.ip, port: local.port },
        data: d.data,
      })),
    );
  }

  send(to: Endpoint, data: Uint8Array, from?: Ip): void {
    this.inner.send({ ip: to.ip, port: toWire(to.port, this.remote) }, data, from);
  }

  close(): void {
    this.inner.close();
  }
}

export class PortMapTransport implements Transport {
  /**
   * `local`: the ports to bind for 500 and 4500; `remote`: the peer's ports. Undefined means the
   * standard ports locally, and for the peer the ports its datagrams came from (a responder for any
   * peer answers where it was asked from).
   */
  constructor(
    private readonly inner: Transport,
    private readonly local: Ports | undefined,
    private readonly remote: Ports | undefined,
  ) {}

  async bind(local: Endpoint): Promise<DatagramSocket> {
    const sock = await this.inner.bind({ ip: local.ip, port: toWire(local.port, this.local) });
    return new MappedSocket(sock, local, this.remote);
  }
}

/** The ports of an endpoint, or undefined when they are the standard ones (no mapping needed). */
export function portsOf(e: IkeEndpoint | undefined): Ports | undefined {
  if (!e || (e.port === IKE_PORT && e.nattPort === NATT_PORT)) return undefined;
  return { port: e.port, nattPort: e.nattPort };
}

/** The port on the wire for a port the daemon names, given that side's endpoint (undefined: as named). */
export function wirePort(port: number, e: IkeEndpoint | undefined): number {
  return toWire(port, portsOf(e));
}
