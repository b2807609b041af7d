/**
 * Where an IKE daemon of the CLI talks: `ADDR[:PORT]` endpoints (IPv6 in brackets when a port
 * follows), the NAT-T port that goes with an IKE port, and the source address the host would use
 * to reach a peer when `--local` is left out.
 */
import { createSocket } from 'node:dgram';
import { canonicalIp, type Ip, ipFamily, isIp } from '@mip6sec/core';
import { InputError } from '../../io.js';

export const IKE_PORT = 500;
export const NATT_PORT = 4500;

/** An address with the UDP ports IKE uses on it. */
export interface IkeEndpoint {
  readonly ip: Ip;
  /** The IKE port (500 unless given). */
  readonly port: number;
  /** The NAT-T port: 4500 beside port 500, otherwise the IKE port + 1, unless given. */
  readonly nattPort: number;
}

function port(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new InputError('EINVAL', `${what}: port must be 1 to 65535, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The NAT-T port that goes with an IKE port when none is given. */
export function defaultNattPort(ikePort: number): number {
  if (ikePort === IKE_PORT) return NATT_PORT;
  if (ikePort === 65535) throw new InputError('EINVAL', 'IKE port 65535 leaves no room for the NAT-T port');
  return ikePort + 1;
}

/** Parses `ADDR`, `ADDR:PORT` (IPv4) or `[ADDR]:PORT` (IPv6); `nattPort` overrides the default. */
export function parseEndpoint(text: string, what: string, nattPort?: number): IkeEndpoint {
  let host = text;
  let p: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) p = port(bracket[2], what);
  } else if (!isIp(text)) {
    const m = /^([^:]+):([^:]*)$/.exec(text);
    if (m) {
      host = m[1]!;
      p = port(m[2]!, what);
    }
  }
  if (!isIp(host))
    throw new InputError(
      'EINVAL',
      `${what}: not an address or ADDR:PORT (IPv6 as [ADDR]:PORT): ${JSON.stringify(text)}`,
    );
  const ikePort = p ?? IKE_PORT;
  if (nattPort !== undefined && nattPort === ikePort)
    throw new InputError('EINVAL', `${what}: the NAT-T port must differ from the IKE port ${ikePort}`);
  return { ip: canonicalIp(host), port: ikePort, nattPort: nattPort ?? defaultNattPort(ikePort) };
}

/**
 * The ports UdpTransport uses for the daemon's 500 and 4500 on this endpoint (`{}`, the protocol
 * ports, when there is no endpoint: a responder for any peer answers where it was asked from).
 */
export function portMap(e: IkeEndpoint | undefined): Record<number, number> {
  if (!e || (e.port === IKE_PORT && e.nattPort === NATT_PORT)) return {};
  return { [IKE_PORT]: e.port, [NATT_PORT]: e.nattPort };
}

/** The port on the wire for a port the daemon names, given that side's endpoint (undefined: as named). */
export function wirePort(port: number, e: IkeEndpoint | undefined): number {
  // As portMap(e)[port] ?? port, without building the map for every event printed.
  if (!e) return port;
  return port === IKE_PORT ? e.port : port === NATT_PORT ? e.nattPort : port;
}

/** `ADDR:PORT` or `[ADDR]:PORT`. */
export function formatIkeEndpoint(e: { ip: Ip; port: number }): string {
  return ipFamily(e.ip) === 6 ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/**
 * The address the host's routing picks to reach `remote` (a connected UDP socket, nothing sent).
 * Rejects with ENETUNREACH when there is no route.
 */
export function sourceAddressFor(remote: Ip): Promise<Ip> {
  const socket = createSocket(ipFamily(remote) === 4 ? 'udp4' : 'udp6');
  return new Promise<Ip>((resolve, reject) => {
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.close();
      reject(new InputError(e.code ?? 'ENETUNREACH', `no local address reaches ${remote}: ${e.message}`));
    });
    socket.connect(IKE_PORT, remote, () => {
      const local = socket.address().address.replace(/%.*$/, '');
      socket.close();
      resolve(canonicalIp(local));
    });
  });
}
