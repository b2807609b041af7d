/** An MN and its HA on one fake network, each with its own bus, kernel and IP layer. */
import { Bus, type OutboundIpPacket } from '@mip6sec/core';
import { FakeNet, FakeSaTable, HA, HOA, PolicyKernel, recordEvents } from './fake-network.test-util.js';
import { HomeAgent, type HomeAgentConfig } from './home-agent.js';
import type { HomeAddressSource } from './lookups.js';
import { decodeMh, type MhMessage } from './mh-codec.js';
import { MobileNode, type MobileNodeConfig } from './mobile-node.js';

export const MN_ID = 'mn@example.org';
export const MN_SPI = 0x1001;
export const HA_SPI = 0x2001;

export interface ScenarioOptions {
  readonly mn?: Partial<MobileNodeConfig>;
  readonly ha?: Partial<HomeAgentConfig>;
  readonly source?: HomeAddressSource;
  readonly delayMs?: number;
}

export function scenario(opts: ScenarioOptions = {}) {
  const net = new FakeNet(undefined, opts.delayMs ?? 5);
  const clock = net.clock;
  const sas = new FakeSaTable();
  const mnSa = sas.add(MN_SPI, MN_ID);
  const haSa = sas.add(HA_SPI, 'ha.example.org');
  const mnIp = net.host('mn', []);
  const haIp = net.host('ha', [HA]);
  // Every MH packet travels through the MN<->HA transport SAs (the fake kernel's SPD says so).
  mnIp.saFor = (p) => (p.proto === 135 ? mnSa : undefined);
  haIp.saFor = (p) => (p.proto === 135 ? haSa : undefined);
  const mnBus = new Bus();
  const haBus = new Bus();
  const mnKernel = new PolicyKernel();
  const haKernel = new PolicyKernel();
  const mnEvents = recordEvents(mnBus).attach(clock);
  const haEvents = recordEvents(haBus).attach(clock);
  const mnConfig: MobileNodeConfig = { hoa: HOA, ha: HA, ...opts.mn };
  const mn = new MobileNode(mnBus, clock, mnIp, mnKernel, mnConfig, opts.source);
  const ha = new HomeAgent(
    haBus,
    clock,
    haIp,
    haKernel,
    { address: HA, mobileNodes: [{ identity: MN_ID, hoa: HOA }], ...opts.ha },
    sas,
  );
  return {
    net,
    clock,
    sas,
    mnIp,
    haIp,
    mnBus,
    haBus,
    mnKernel,
    haKernel,
    mnEvents,
    haEvents,
    mn,
    ha,
    async start() {
      await ha.start();
      await mn.start();
      await net.settle();
    },
    /** Every MH message on the wire, decoded, with who sent it and when. */
    wire(from?: string) {
      return net.log
        .filter((w) => w.packet.proto === 135 && (from === undefined || w.from === from))
        .map((w) => ({ ...w, mh: decodeMh(w.packet.payload) as MhMessage }));
    },
  };
}

export type Scenario = ReturnType<typeof scenario>;

/** The MH type of an outbound packet, for loss rules. */
export function mhTypeOf(p: OutboundIpPacket): string | undefined {
  if (p.proto !== 135) return undefined;
  try {
    return decodeMh(p.payload).type;
  } catch {
    return undefined;
  }
}

/** A small deterministic PRNG for loss patterns (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
