/**
 * A host's attachment to the simulated network: its IP layer (outbound packets go through the
 * kernel's IPsec output processing, inbound ones through its input processing) and its UDP sockets,
 * which IKE uses. This is the lab's implementation of the core IpLayer and Transport contracts.
 */
import {
  type AttachmentEvent,
  canonicalIp,
  type Datagram,
  type DatagramSocket,
  type Endpoint,
  type InboundIpPacket,
  type Ip,
  type IpLayer,
  KernelError,
  type OutboundIpPacket,
  type Transport,
} from '@mip6sec/core';
import { buildUdp, parseUdp } from '@mip6sec/kernel-sim';
import { filter, type Observable, Subject } from 'rxjs';
import type { Network, NetworkNode } from './network.js';

/** What the lab needs of a kernel's datapath (kernel-sim provides it). */
export interface Datapath {
  output(
    packet: OutboundIpPacket,
  ):
    | { kind: 'send' | 'bypass'; bytes: Uint8Array }
    | { kind: 'acquire' }
    | { kind: 'discard'; reason: string };
  input(
    bytes: Uint8Array,
  ):
    | { kind: 'deliver'; packet: InboundIpPacket }
    | { kind: 'forward'; bytes: Uint8Array }
    | { kind: 'drop'; reason: string; code?: string };
  /** Tells the kernel which addresses are this host's (so it delivers rather than forwards). */
  addLocalAddress?(a: Ip): void;
  removeLocalAddress?(a: Ip): void;
}

export interface NodeCounters {
  sent: number;
  received: number;
  acquires: number;
  discards: number;
  drops: Record<string, number>;
}

const SENT = { kind: 'sent' } as const;
const ACQUIRE = { kind: 'acquire' } as const;

export class SimNode implements NetworkNode, IpLayer, Transport {
  private readonly inbound = new Subject<InboundIpPacket>();
  private readonly attachmentSubject = new Subject<AttachmentEvent>();
  private readonly sockets = new Map<string, Subject<Datagram>>();
  private readonly addrs = new Map<Ip, string>();
  private datapathRef: Datapath | undefined;
  /** Packets the kernel hands back for forwarding (the HA relaying for a home address). */
  forwarder: ((bytes: Uint8Array) => void) | undefined;
  readonly counters: NodeCounters = { sent: 0, received: 0, acquires: 0, discards: 0, drops: {} };
  readonly attachments: Observable<AttachmentEvent> = this.attachmentSubject.asObservable();

  constructor(
    readonly name: string,
    private readonly network: Network,
  ) {}

  set datapath(d: Datapath) {
    this.datapathRef = d;
    for (const a of this.addrs.keys()) d.addLocalAddress?.(a);
  }

  get datapath(): Datapath {
    if (!this.datapathRef) throw new Error(`${this.name}: no datapath wired`);
    return this.datapathRef;
  }

  // ---- addresses and movement ----

  addresses(): readonly Ip[] {
    return [...this.addrs.keys()];
  }

  /** Adds an interface address on a link, without announcing an attachment. */
  addAddress(addr: Ip, link: string): void {
    const a = canonicalIp(addr);
    this.addrs.set(a, link);
    this.network.attach(this, link, a);
    this.datapathRef?.addLocalAddress?.(a);
  }

  removeAddress(addr: Ip): void {
    const a = canonicalIp(addr);
    this.addrs.delete(a);
    this.network.detach(a);
    this.datapathRef?.removeLocalAddress?.(a);
  }

  /** Leaves every address of `oldLinks` and attaches to `link` with `coa`, then announces it. */
  moveTo(link: string, coa: Ip, prefixLen = 64, keep: readonly Ip[] = []): void {
    const keepSet = new Set(keep.map(canonicalIp));
    for (const a of [...this.addrs.keys()]) if (!keepSet.has(a)) this.removeAddress(a);
    this.addAddress(coa, link);
    this.attachmentSubject.next({ coa: canonicalIp(coa), link, prefixLen });
  }

  // ---- IpLayer ----

  async send(packet: OutboundIpPacket): Promise<void> {
    const r = this.output(packet);
    if (r.kind === 'sent') return;
    if (r.kind === 'acquire') {
      throw new KernelError(
        'EAGAIN',
        `${this.name}: no SA yet for ${packet.src} -> ${packet.dst} (ACQUIRE raised)`,
      );
    }
    throw new KernelError(
      'EPERM',
      `${this.name}: policy discards ${packet.src} -> ${packet.dst}: ${r.reason}`,
    );
  }

  /**
   * What {@link send} does, told rather than thrown: the lab's traffic and the HA's relay send
   * thousands of packets that meet no SA yet, and an error object per packet is most of their cost.
   */
  output(
    packet: OutboundIpPacket,
  ): { kind: 'sent' } | { kind: 'acquire' } | { kind: 'discard'; reason: string } {
    const r = this.datapath.output(packet);
    if ('bytes' in r) {
      this.counters.sent++;
      this.network.transmit(this, r.bytes);
      return SENT;
    }
    if (r.kind === 'acquire') {
      // As in Linux without larval queueing: the packet that raised the ACQUIRE is dropped.
      this.counters.acquires++;
      return ACQUIRE;
    }
    this.counters.discards++;
    return { kind: 'discard', reason: 'reason' in r ? r.reason : '' };
  }

  receive(proto: number): Observable<InboundIpPacket> {
    return this.inbound.pipe(filter((p) => p.proto === proto));
  }

  // ---- NetworkNode ----

  deliver(bytes: Uint8Array): void {
    const r = this.datapath.input(bytes);
    if (r.kind === 'drop') {
      this.counters.drops[r.reason] = (this.counters.drops[r.reason] ?? 0) + 1;
      return;
    }
    if (r.kind === 'forward') {
      this.forwarder?.(r.bytes);
      return;
    }
    this.counters.received++;
    const p = r.packet;
    if (p.proto === 17 && p.payload.length >= 8) {
      const dport = (p.payload[2]! << 8) | p.payload[3]!;
      const sock = this.sockets.get(sockKey(p.dst, dport)) ?? this.sockets.get(sockKey(anyKey(p.dst), dport));
      if (sock) {
        try {
          const udp = parseUdp(p.payload);
          sock.next({
            src: { ip: p.src, port: udp.sport },
            dst: { ip: p.dst, port: udp.dport },
            data: udp.data,
          });
        } catch {
          this.counters.drops['udp-malformed'] = (this.counters.drops['udp-malformed'] ?? 0) + 1;
        }
        return;
      }
    }
    this.inbound.next(p);
  }

  /** Puts already-built bytes on the network from this node (forwarding, traffic generators). */
  transmitRaw(bytes: Uint8Array): void {
    this.counters.sent++;
    this.network.transmit(this, bytes);
  }

  // ---- Transport ----

  async bind(local: Endpoint): Promise<DatagramSocket> {
    const any = local.ip === '::' || local.ip === '0.0.0.0';
    const key = sockKey(any ? anyKey(local.ip) : canonicalIp(local.ip), local.port);
    if (this.sockets.has(key)) throw new KernelError('EADDRINUSE', `${this.name}: ${key} is in use`);
    const subject = new Subject<Datagram>();
    this.sockets.set(key, subject);
    const node = this;
    return {
      local,
      messages: subject.asObservable(),
      send(to: Endpoint, data: Uint8Array, from?: Ip): void {
        const src = from ?? (any ? node.pickSource(to.ip) : local.ip);
        const payload = buildUdp(src, to.ip, local.port, to.port, data);
        // IKE's own packets bypass IPsec, as the socket policy of a real key manager makes them.
        node.send({ src, dst: to.ip, proto: 17, payload, bypass: true }).catch(() => {
          node.counters.discards++;
        });
      },
      close(): void {
        subject.complete();
        node.sockets.delete(key);
      },
    };
  }

  /** A source address of the same family as `dst`: the most recently added (the current CoA). */
  pickSource(dst: Ip): Ip {
    const v6 = dst.includes(':');
    const all = [...this.addrs.keys()].filter((a) => a.includes(':') === v6);
    const a = all[all.length - 1];
    if (!a) throw new KernelError('EADDRNOTAVAIL', `${this.name}: no address to reach ${dst}`);
    return a;
  }
}

/** The wildcard socket of the address's family (one for IPv4, one for IPv6, as with V6ONLY). */
function anyKey(ip: string): string {
  return ip.includes(':') ? '*6' : '*4';
}

function sockKey(ip: string, port: number): string {
  return `${ip}#${port}`;
}
