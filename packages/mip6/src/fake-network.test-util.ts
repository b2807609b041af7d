/**
 * Test doubles for the mip6 daemons: in-memory IP layers joined by a virtual-clock "wire" with
 * delay and loss injection, a policy-only kernel, and an SA/identity table. Packets a sender marks
 * as protected arrive with a fake `sa`, the way the kernel's inbound IPsec reports the SA used.
 */
import {
  type AttachmentEvent,
  Bus,
  type InboundIpPacket,
  type Ip,
  type IpLayer,
  type KernelBackend,
  KernelError,
  type OutboundIpPacket,
  type PolicyData,
  type PolicyId,
  policyKey,
  type SaId,
  type SecurityPolicy,
  VirtualClock,
} from '@mip6sec/core';
import { filter, type Observable, Subject } from 'rxjs';
import type { SaIdentityLookup } from './lookups.js';

export interface WirePacket {
  readonly from: string;
  readonly packet: OutboundIpPacket;
  readonly at: number;
}

export class FakeNet {
  readonly clock: VirtualClock;
  delayMs: number;
  /** Return true to drop a packet. */
  loss: (p: WirePacket) => boolean = () => false;
  readonly log: WirePacket[] = [];
  readonly dropped: WirePacket[] = [];
  private readonly hosts: FakeIpLayer[] = [];

  constructor(clock = new VirtualClock(), delayMs = 5) {
    this.clock = clock;
    this.delayMs = delayMs;
  }

  host(name: string, addresses: Ip[]): FakeIpLayer {
    const h = new FakeIpLayer(this, name, addresses);
    this.hosts.push(h);
    return h;
  }

  transmit(from: FakeIpLayer, packet: OutboundIpPacket): void {
    const w: WirePacket = { from: from.name, packet, at: this.clock.now() };
    this.log.push(w);
    if (this.loss(w)) {
      this.dropped.push(w);
      return;
    }
    this.clock.setTimeout(() => {
      // Routed at arrival time: a BA to a CoA the MN has left is lost, as on a real network.
      const to = this.hosts.find((h) => h.owns(packet.dst));
      to?.deliver(packet, from.protect(packet));
    }, this.delayMs);
  }

  /** Lets every queued promise chain run (the daemons' work queues use no real timers). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }

  /** Moves virtual time forward by `ms`, firing timers one by one and settling after each. */
  async run(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    await this.settle();
    while (this.clock.step(end)) await this.settle();
    this.clock.advance(end - this.clock.now());
    await this.settle();
  }
}

export class FakeIpLayer implements IpLayer {
  readonly name: string;
  private readonly net: FakeNet;
  private addrs: Ip[];
  private readonly inbound = new Subject<InboundIpPacket>();
  private readonly attach$ = new Subject<AttachmentEvent>();
  readonly attachments: Observable<AttachmentEvent> = this.attach$.asObservable();
  /** Which outgoing packets travel through an SA, and which: the fake kernel's SPD/SAD. */
  saFor: (p: OutboundIpPacket) => SaId | undefined = () => undefined;
  /** Makes `send` reject, as a discard policy would. */
  failSends = false;

  constructor(net: FakeNet, name: string, addresses: Ip[]) {
    this.net = net;
    this.name = name;
    this.addrs = [...addresses];
  }

  owns(ip: Ip): boolean {
    return this.addrs.includes(ip);
  }

  protect(p: OutboundIpPacket): SaId | undefined {
    return p.bypass ? undefined : this.saFor(p);
  }

  async send(packet: OutboundIpPacket): Promise<void> {
    if (this.failSends) throw new KernelError('EPERM', 'discarded by policy');
    this.net.transmit(this, packet);
  }

  receive(proto: number): Observable<InboundIpPacket> {
    return this.inbound.pipe(filter((p) => p.proto === proto));
  }

  addresses(): readonly Ip[] {
    return this.addrs;
  }

  deliver(p: OutboundIpPacket, sa: SaId | undefined): void {
    const inbound: InboundIpPacket = {
      src: p.src,
      dst: p.dst,
      proto: p.proto,
      payload: p.payload,
      ...(p.homeAddressOption !== undefined ? { homeAddressOption: p.homeAddressOption } : {}),
      ...(p.routingHeader2 !== undefined ? { routingHeader2: p.routingHeader2 } : {}),
      ...(sa ? { sa } : {}),
    };
    this.inbound.next(inbound);
  }

  /** Injects a packet as if it had arrived from the network. */
  inject(p: InboundIpPacket): void {
    this.inbound.next(p);
  }

  /** Moves the host to a link: its addresses become `coa` plus `keep`, and an attachment event fires. */
  attach(coa: Ip, link: string, keep: Ip[] = []): void {
    this.addrs = [coa, ...keep];
    this.attach$.next({ coa, link, prefixLen: 64 });
  }
}

/** A kernel that only keeps policies (what the daemons install), in insertion order. */
export class PolicyKernel implements KernelBackend {
  readonly name = 'policy-only-fake';
  private readonly policies = new Map<string, SecurityPolicy>();
  private index = 0;
  readonly ops: string[] = [];
  /** When set, every SPD change is refused with this errno. */
  refuse: string | undefined;

  features() {
    return { espStates: false, migrate: false, acquireRef: false, datapath: false, udpEncap: false };
  }
  async addPolicy(id: PolicyId, policy: PolicyData): Promise<SecurityPolicy> {
    if (this.refuse) throw new KernelError(this.refuse, 'refused by the test');
    const k = policyKey(id);
    if (this.policies.has(k)) throw new KernelError('EEXIST', `policy exists: ${k}`);
    const sp: SecurityPolicy = { ...id, ...policy, index: ++this.index };
    this.policies.set(k, sp);
    this.ops.push(`add ${k}`);
    return sp;
  }
  async updatePolicy(id: PolicyId, policy: PolicyData): Promise<SecurityPolicy> {
    const k = policyKey(id);
    const old = this.policies.get(k);
    if (!old) throw new KernelError('ENOENT', `no policy ${k}`);
    const sp: SecurityPolicy = { ...id, ...policy, index: old.index };
    this.policies.set(k, sp);
    this.ops.push(`update ${k}`);
    return sp;
  }
  async delPolicy(id: PolicyId): Promise<void> {
    const k = policyKey(id);
    if (!this.policies.delete(k)) throw new KernelError('ENOENT', `no policy ${k}`);
    this.ops.push(`delete ${k}`);
  }
  async queryPolicy(id: PolicyId): Promise<SecurityPolicy | undefined> {
    return this.policies.get(policyKey(id));
  }
  async dumpPolicies(): Promise<SecurityPolicy[]> {
    return [...this.policies.values()];
  }
  async flushPolicies(): Promise<void> {
    this.policies.clear();
  }
  getSpi(): Promise<number> {
    return Promise.reject(new KernelError('EOPNOTSUPP', 'no SAD in this fake'));
  }
  addSa(): Promise<void> {
    return Promise.reject(new KernelError('EOPNOTSUPP', 'no SAD in this fake'));
  }
  updateSa(): Promise<void> {
    return Promise.reject(new KernelError('EOPNOTSUPP', 'no SAD in this fake'));
  }
  async querySa() {
    return undefined;
  }
  delSa(): Promise<void> {
    return Promise.reject(new KernelError('EOPNOTSUPP', 'no SAD in this fake'));
  }
  async dumpSas() {
    return [];
  }
  async flushSas(): Promise<void> {}
  migrate(): Promise<void> {
    return Promise.reject(new KernelError('EOPNOTSUPP', 'no MIGRATE in this fake'));
  }
  stats() {
    return { messagesToKernel: 0, messagesFromKernel: 0, bytesToKernel: 0, bytesFromKernel: 0 };
  }
  async close(): Promise<void> {}
}

/** SA ids by SPI, each with the identity that "negotiated" it. */
export class FakeSaTable implements SaIdentityLookup {
  private readonly ids = new Map<number, string>();
  add(spi: number, identity: string): SaId {
    this.ids.set(spi, identity);
    return { src: '::', dst: '::', spi, proto: 'esp' };
  }
  identityForSa(sa: SaId): string | undefined {
    return this.ids.get(sa.spi);
  }
}

export const HOA = '2001:db8::100';
export const HA = '2001:db8::1';
export const COA1 = '2001:db8:1::5';
export const COA2 = '2001:db8:2::5';
export const COA3 = '2001:db8:3::5';
export const HOME_LINK_ADDR = '2001:db8::abcd';

/** Records every event of a bus, by type. */
export function recordEvents(bus: Bus) {
  const events: { type: string; at: number; [k: string]: unknown }[] = [];
  return {
    events,
    attach(clock: VirtualClock) {
      bus.events.subscribe((e) => events.push({ ...(e as object), type: e.type, at: clock.now() }));
      return this;
    },
    of<T extends string>(type: T) {
      return events.filter((e) => e.type === type);
    },
  };
}

export { Bus };
