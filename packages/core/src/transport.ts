/**
 * How daemons reach the network: UDP datagram sockets for IKE, and the host's IP layer for the
 * Mobility Header, which must pass through the kernel's IPsec processing like any packet.
 * The lab implements both over simulated links; real hosts use node:dgram.
 */
import type { Observable } from 'rxjs';
import type { Endpoint, Ip } from './address.js';
import type { SaId } from './sa.js';

export interface Datagram {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly data: Uint8Array;
}

export interface DatagramSocket {
  readonly local: Endpoint;
  /** Sends from the socket's address, or from `from` when the socket is bound to the unspecified address. */
  send(to: Endpoint, data: Uint8Array, from?: Ip): void;
  readonly messages: Observable<Datagram>;
  close(): void;
}

export interface Transport {
  bind(local: Endpoint): Promise<DatagramSocket>;
}

/** An IP packet a daemon sends; extension headers the kernel adds are named, not pre-built. */
export interface OutboundIpPacket {
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: number;
  readonly payload: Uint8Array;
  /** Home Address destination option (RFC 6275 6.3): the MN's HoA, sent from its CoA. */
  readonly homeAddressOption?: Ip;
  /** Type 2 routing header (RFC 6275 6.4): the HoA the packet is finally for. */
  readonly routingHeader2?: Ip;
  /** Bypass IPsec (the kernel's per-socket bypass, used by IKE itself). */
  readonly bypass?: boolean;
}

export interface InboundIpPacket {
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: number;
  readonly payload: Uint8Array;
  readonly homeAddressOption?: Ip;
  readonly routingHeader2?: Ip;
  /** The SA the packet came through, when IPsec protected it. */
  readonly sa?: SaId;
}

/** The MN got a new point of attachment (RFC 6275 11.5.1). */
export interface AttachmentEvent {
  readonly coa: Ip;
  readonly link: string;
  readonly prefixLen: number;
}

export interface IpLayer {
  /** Sends through the host's outbound IPsec processing. Rejects when policy discards the packet. */
  send(packet: OutboundIpPacket): Promise<void>;
  /** Packets for this host of an upper-layer protocol, after inbound IPsec processing. */
  receive(proto: number): Observable<InboundIpPacket>;
  /** Attachment changes of this host (movement detection input). */
  readonly attachments: Observable<AttachmentEvent>;
  /** The current addresses of the host. */
  addresses(): readonly Ip[];
}
