/**
 * Builds the hosts of a comparison run: one home agent, N mobile nodes and a correspondent, each a
 * core Host (its own container, bus, simulated kernel, IKE daemon and MIPv6 daemon) wired to the
 * simulated network, with the strategy under test injected by configuration. Nothing here knows
 * which strategy runs beyond the plugin it is handed.
 */
import {
  type Bus,
  type Clock,
  canonicalIp,
  Host,
  IP_LAYER,
  type Ip,
  KERNEL_BACKEND,
  KEY_MANAGER,
  type KernelBackend,
  type KeyManager,
  MOBILITY_STRATEGY,
  type MobilityStrategy,
  type Plugin,
  TRANSPORT,
} from '@mip6sec/core';
import { cryptoProvider } from '@mip6sec/crypto';
import { IKE_DAEMON, ikeDaemon } from '@mip6sec/ike';
import { parseIpPacket, SIM_KERNEL, simKernel } from '@mip6sec/kernel-sim';
import {
  HOME_AGENT,
  type HomeAgent,
  homeAgent,
  IkeEventSaIdentities,
  MOBILE_NODE,
  type MobileNode,
  mobileNode,
  SA_IDENTITY_LOOKUP,
} from '@mip6sec/mip6';
import { container as rootContainer } from 'tsyringe';
import { SimNode } from './sim-node.js';
import type { Simulation } from './simulation.js';

export type StrategyFactory = (role: 'mn' | 'ha') => Plugin;

export interface WorldOptions {
  readonly mns: number;
  /** MN-HA round-trip time in ms (foreign link delays are set from it). */
  readonly rttMs: number;
  /** Loss probability on foreign (radio) links. */
  readonly loss: number;
  /** Number of foreign links the MNs move between. */
  readonly foreignLinks: number;
  readonly strategy: StrategyFactory;
  /** Start the MNs away from home (bootstrap in a foreign network). */
  readonly startAway: boolean;
}

export interface MnHandle {
  readonly index: number;
  readonly name: string;
  readonly node: SimNode;
  readonly host: Host;
  readonly hoa: Ip;
  readonly identity: string;
  readonly mn: MobileNode;
  readonly kernel: KernelBackend;
  readonly keyManager: KeyManager;
  readonly strategy: MobilityStrategy;
  link: string;
  coa: Ip;
}

export interface HaHandle {
  readonly name: string;
  readonly node: SimNode;
  readonly host: Host;
  readonly address: Ip;
  readonly agent: HomeAgent;
  readonly kernel: KernelBackend;
  readonly keyManager: KeyManager;
  readonly strategy: MobilityStrategy;
}

export interface World {
  readonly sim: Simulation;
  readonly ha: HaHandle;
  readonly mns: MnHandle[];
  readonly cn: SimNode;
  readonly cnAddress: Ip;
  readonly homeLink: string;
  readonly foreignLinks: readonly string[];
  /** The CoA an MN gets on a link. */
  coaFor(mn: number, link: string): Ip;
  stop(): Promise<void>;
}

export const HOME_PREFIX = '2001:db8:1::';
export const HA_ADDRESS = '2001:db8:1::1';
export const CN_ADDRESS = '2001:db8:ff::10';
const PSK = 'mip6sec-lab-shared-secret';

function linkPrefix(link: string, foreign: readonly string[]): string {
  if (link === 'home') return '2001:db8:1::';
  const i = foreign.indexOf(link);
  return `2001:db8:${(0x100 + i).toString(16)}::`;
}

/** The lab's IP layer and transport for one host: the SimNode itself. */
function labNetwork(node: SimNode): Plugin {
  return {
    name: '@mip6sec/lab:network',
    provides: [TRANSPORT, IP_LAYER],
    requires: [],
    register(c) {
      c.register(TRANSPORT, { useValue: node });
      c.register(IP_LAYER, { useValue: node });
    },
  };
}

function haLookups(): Plugin {
  return {
    name: '@mip6sec/lab:ha-lookups',
    provides: [SA_IDENTITY_LOOKUP],
    requires: [],
    register(c) {
      let lookup: IkeEventSaIdentities | undefined;
      c.register(SA_IDENTITY_LOOKUP, {
        useFactory: (r) =>
          (lookup ??= new IkeEventSaIdentities(r.resolve<Bus>(Symbol.for('@mip6sec/core:Bus')))),
      });
    },
  };
}

/** Starts the strategy with its context once the daemons it talks to exist. */
function strategyStartable(host: Host, role: 'mn' | 'ha', clock: Clock) {
  const strategy = host.resolve(MOBILITY_STRATEGY);
  return {
    strategy,
    startable: {
      start: () =>
        strategy.start({
          role,
          bus: host.bus,
          kernel: host.resolve(KERNEL_BACKEND),
          clock,
          keyManager: host.resolve(KEY_MANAGER),
        }),
      stop: () => strategy.stop(),
    },
  };
}

export async function buildWorld(sim: Simulation, o: WorldOptions): Promise<World> {
  const net = sim.network;
  const oneWay = Math.max(1, o.rttMs / 2 - 1);
  const foreign = Array.from({ length: Math.max(2, o.foreignLinks) }, (_, i) => `visit-${i + 1}`);
  net.addLink({ name: 'home', delayMs: 0.5, air: true });
  net.addLink({ name: 'cn', delayMs: 0.5 });
  for (const l of foreign)
    net.addLink({ name: l, delayMs: Math.max(0, oneWay - 0.5), loss: o.loss, air: true });
  const coaFor = (mn: number, link: string) =>
    canonicalIp(`${linkPrefix(link, foreign)}${(0x1000 + mn).toString(16)}`);

  // ---- correspondent: a plain host with an empty SPD ----
  const cn = new SimNode('cn', net);
  const cnHost = new Host(rootContainer, {
    name: 'cn',
    role: 'cn',
    clock: sim.clock,
    plugins: [cryptoProvider(), simKernel(), labNetwork(cn)],
  });
  cn.addAddress(CN_ADDRESS, 'cn');
  cn.datapath = cnHost.resolve(SIM_KERNEL).datapath;

  // ---- home agent ----
  const haNode = new SimNode('ha', net);
  const identities = Array.from({ length: o.mns }, (_, i) => `mn${i + 1}@mip6sec.example`);
  const hoas = Array.from({ length: o.mns }, (_, i) =>
    canonicalIp(`${HOME_PREFIX}${(0x1000 + i + 1).toString(16)}`),
  );
  const haHost = new Host(rootContainer, {
    name: 'ha',
    role: 'ha',
    clock: sim.clock,
    plugins: [
      cryptoProvider(),
      simKernel(),
      labNetwork(haNode),
      haLookups(),
      ikeDaemon({
        listen: [HA_ADDRESS],
        peers: [
          {
            name: 'mobile-nodes',
            local: HA_ADDRESS,
            localId: 'ha.mip6sec.example',
            auth: { psk: PSK },
            mobike: true,
          },
        ],
      }),
      homeAgent({
        address: HA_ADDRESS,
        mobileNodes: identities.map((identity, i) => ({ identity, hoa: hoas[i]! })),
      }),
      o.strategy('ha'),
    ],
  });
  haNode.addAddress(HA_ADDRESS, 'home');
  haNode.datapath = haHost.resolve(SIM_KERNEL).datapath;
  const agent = haHost.resolve(HOME_AGENT);
  const haStrategy = strategyStartable(haHost, 'ha', sim.clock);
  haHost.addStartable(haHost.resolve(IKE_DAEMON));
  haHost.addStartable(haStrategy.startable);
  haHost.addStartable(agent);
  // The HA defends the home addresses of MNs away from home (proxy ND) and relays their traffic.
  haNode.forwarder = (bytes) => {
    // Relayed as the HA's own output, so the tunnel policy toward the MN's CoA applies.
    try {
      const p = parseIpPacket(bytes);
      haNode.send({ src: p.src, dst: p.dst, proto: p.proto, payload: p.payload }).catch(() => undefined);
    } catch {
      haNode.counters.drops['forward-malformed'] = (haNode.counters.drops['forward-malformed'] ?? 0) + 1;
    }
  };

  const ha: HaHandle = {
    name: 'ha',
    node: haNode,
    host: haHost,
    address: HA_ADDRESS,
    agent,
    kernel: haHost.resolve(KERNEL_BACKEND),
    keyManager: haHost.resolve(KEY_MANAGER),
    strategy: haStrategy.strategy,
  };

  // ---- mobile nodes ----
  const mns: MnHandle[] = [];
  for (let i = 0; i < o.mns; i++) {
    const name = `mn${i + 1}`;
    const node = new SimNode(name, net);
    const hoa = hoas[i]!;
    const host = new Host(rootContainer, {
      name,
      role: 'mn',
      clock: sim.clock,
      plugins: [
        cryptoProvider(),
        simKernel(),
        labNetwork(node),
        ikeDaemon({
          peers: [
            {
              name: 'home-agent',
              remote: HA_ADDRESS,
              localId: identities[i]!,
              remoteId: 'ha.mip6sec.example',
              auth: { psk: PSK },
              mobike: true,
            },
          ],
        }),
        mobileNode({ hoa, ha: HA_ADDRESS, homePrefixLength: 64, kBit: true }),
        o.strategy('mn'),
      ],
    });
    node.datapath = host.resolve(SIM_KERNEL).datapath;
    const strat = strategyStartable(host, 'mn', sim.clock);
    const mn = host.resolve(MOBILE_NODE);
    host.addStartable(host.resolve(IKE_DAEMON));
    host.addStartable(strat.startable);
    host.addStartable(mn);
    mns.push({
      index: i + 1,
      name,
      node,
      host,
      hoa,
      identity: identities[i]!,
      mn,
      kernel: host.resolve(KERNEL_BACKEND),
      keyManager: host.resolve(KEY_MANAGER),
      strategy: strat.strategy,
      link: 'home',
      coa: hoa,
    });
  }

  await sim.settle(haHost.start());
  for (const m of mns) await sim.settle(m.host.start());
  return {
    sim,
    ha,
    mns,
    cn,
    cnAddress: CN_ADDRESS,
    homeLink: 'home',
    foreignLinks: foreign,
    coaFor,
    async stop() {
      for (const m of mns) await m.host.stop();
      await haHost.stop();
      await cnHost.stop();
    },
  };
}
