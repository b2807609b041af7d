/**
 * A host's IP layer for tests that run a Mobile IPv6 daemon next to IKE: packets go through the
 * simulated kernel's IPsec output (so they are ESP-protected by the CHILD_SAs IKE installed) and
 * are handed to a `deliver` callback; packets fed to `input` pass IPsec input and reach the
 * subscribers of their protocol.
 */
import {
  type AttachmentEvent,
  type InboundIpPacket,
  IP_LAYER,
  type Ip,
  type IpLayer,
  type OutboundIpPacket,
  type Plugin,
} from '@mip6sec/core';
import { type PfkeyKernel, SIM_KERNEL } from '@mip6sec/kernel-sim';
import { filter, type Observable, Subject } from 'rxjs';
import { instanceCachingFactory } from 'tsyringe';

type OutputResult = ReturnType<PfkeyKernel['datapath']['output']>;

export class SimIpLayer implements IpLayer {
  /** Everything sent, with what the kernel made of it. */
  readonly sent: { packet: OutboundIpPacket; result: OutputResult }[] = [];
  private readonly inbound = new Subject<InboundIpPacket>();
  private readonly attach = new Subject<AttachmentEvent>();
  readonly attachments: Observable<AttachmentEvent> = this.attach.asObservable();
  private readonly pfkey: PfkeyKernel;
  private readonly addrs: Ip[];
  /** Where protected packets go (another host's `input`). */
  deliver: ((bytes: Uint8Array) => void) | undefined;

  constructor(pfkey: PfkeyKernel, addresses: readonly Ip[]) {
    this.pfkey = pfkey;
    this.addrs = [...addresses];
  }

  async send(packet: OutboundIpPacket): Promise<void> {
    const result = this.pfkey.datapath.output(packet);
    this.sent.push({ packet, result });
    if (result.kind === 'send' || result.kind === 'bypass') {
      this.deliver?.(result.bytes);
      return;
    }
    throw new Error(`packet not sent: ${result.kind}`);
  }

  receive(proto: number): Observable<InboundIpPacket> {
    return this.inbound.pipe(filter((p) => p.proto === proto));
  }

  addresses(): readonly Ip[] {
    return this.addrs;
  }

  /** The host moved: a new care-of address. */
  attachTo(coa: Ip): void {
    if (!this.addrs.includes(coa)) this.addrs.push(coa);
    this.attach.next({ coa, link: `link-${coa}`, prefixLen: 64 });
  }

  input(bytes: Uint8Array): ReturnType<PfkeyKernel['datapath']['input']> {
    const r = this.pfkey.datapath.input(bytes);
    if (r.kind === 'deliver') this.inbound.next(r.packet);
    return r;
  }
}

/** Provides IP_LAYER from the host's simulated kernel. */
export function simIpLayer(addresses: readonly Ip[]): Plugin {
  return {
    name: 'test-ip-layer',
    provides: [IP_LAYER],
    requires: [SIM_KERNEL],
    register: (c) =>
      c.register(IP_LAYER, {
        useFactory: instanceCachingFactory((x) => new SimIpLayer(x.resolve(SIM_KERNEL), addresses)),
      }),
  };
}
