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
  type KernelBackend,
  type KeyManager,
  MOBILITY_STRATEGY,
  type MobilityStrategy,
  type Plugin,
  type SecurityAssociation,
  type SecurityPolicy,
  TRANSPORT,
} from '@mip6sec/core';
import { cryptoProvider } from '@mip6sec/crypto';
import { IKE_DAEMON, IkeDaemon, type IkeDaemonConfig, ikeDaemon } from '@mip6sec/ike';
import {
  type PfkeyKernel,
  parseIpPacket,
  SIM_KERNEL,
  simKernel,
  toSecurityAssociation,
} from '@mip6sec/kernel-sim';
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
  /** MN-HA round-trip time in ms (the foreign links' delays are set from it). */
  readonly rttMs: number;
  /** Loss probability on the foreign (radio) links, each way. */
  readonly loss: number;
  /** Number of foreign links the MNs move between (at least 2). */
  readonly foreignLinks: number;
  readonly strategy: StrategyFactory;
  /** Delay jitter on the foreign links, in ms (default 0). */
  readonly jitterMs?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
}

/**
 * What the lab reads of a host's kernel state for its checks: straight from the simulated kernel,
 * not through PF_KEY, so looking does not add to the messages the comparison counts.
 */
export interface KernelInspector {
  policies(): SecurityPolicy[];
  sas(): SecurityAssociation[];
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
  readonly inspect: KernelInspector;
  readonly ike: IkeDaemon;
  readonly strategy: MobilityStrategy;
  /** The link the lab last attached the MN to, and the address it got there (the HoA at home). */
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
  readonly inspect: KernelInspector;
  /** The IKE daemon running now (a restart replaces it). */
  readonly ike: IkeDaemon;
  readonly strategy: MobilityStrategy;
  /** Stops the HA's IKE daemon and starts a fresh one: its IKE_SAs are gone, the kernel's SAs stay. */
  restartIke(): Promise<void>;
}

export interface World {
  readonly sim: Simulation;
  readonly ha: HaHandle;
  readonly mns: MnHandle[];
  readonly cn: SimNode;
  readonly cnAddress: Ip;
  readonly homeLink: string;
  readonly foreignLinks: readonly string[];
  /** The CoA an MN (1-based index) gets on a link; its HoA on the home link. */
  coaFor(mn: number, link: string): Ip;
  /** The MN an address was handed to by the lab (a HoA or any CoA), if any. */
  mnOf(addr: Ip): MnHandle | undefined;
  /** Attaches an MN to a link (a move): new CoA, the HA proxies the HoA while the MN is away. */
  attach(mn: MnHandle, link: string): void;
  stop(): Promise<void>;
}

export const HOME_PREFIX = '2001:db8:1::';
export const HA_ADDRESS = '2001:db8:1::1';
export const CN_ADDRESS = '2001:db8:ff::10';
export const HA_IDENTITY = 'ha.mip6sec.example';
const PSK = 'mip6sec-lab-shared-secret';
/**
 * One suite on both ends: X25519 keeps bootstrapping thousands of MNs cheap (a MODP-2048
 * exchange costs milliseconds of CPU each), AES-GCM is what both ESP and Wireshark decrypt.
 */
export const LAB_IKE_PROPOSALS = ['aes128gcm16-prfsha256-x25519'];
export const LAB_ESP_PROPOSALS = ['aes128gcm16'];

export const mnIdentity = (index: number): string => `mn${index}@mip6sec.example`;

function linkPrefix(link: string, foreign: readonly string[]): string {
  if (link === 'home') return HOME_PREFIX;
  const i = foreign.indexOf(link);
  if (i < 0) throw new Error(`no link ${link}`);
  return `2001:db8:${(0x100 + i).toString(16)}::`;
}

/** Interface identifier of MN `index` on every link (its HoA has the same one). */
const iid = (index: number) => (0x1000 + index).toString(16);

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

function inspector(kernel: PfkeyKernel): KernelInspector {
  return {
    policies: () => kernel.spd.dump(),
    sas: () => kernel.sad.all().map(toSecurityAssociation),
  };
}

/**
 * The KeyManager a strategy is started with: whichever IKE daemon the host runs now, so a
 * restarted daemon is the one the strategy talks to (as a re-opened control socket would be).
 */
function currentKeyManager(current: () => IkeDaemon): KeyManager {
  return {
    ikeSas: (match) => current().ikeSas(match),
    updateAddresses: (match, to, cause) => current().updateAddresses(match, to, cause),
    reestablish: (peer, local) => current().reestablish(peer, local),
    discard: (match, reason) => current().discard(match, reason),
    hintFor: (policy) => current().hintFor(policy),
  };
}

/** Starts the strategy with its context once the daemons it talks to exist. */
function strategyStartable(host: Host, role: 'mn' | 'ha', clock: Clock, keyManager: KeyManager) {
  const strategy = host.resolve(MOBILITY_STRATEGY);
  return {
    strategy,
    startable: {
      start: () =>
        strategy.start({ role, bus: host.bus, kernel: host.resolve(KERNEL_BACKEND), clock, keyManager }),
      stop: () => strategy.stop(),
    },
  };
}

export async function buildWorld(sim: Simulation, o: WorldOptions): Promise<World> {
  const net = sim.network;
  const oneWay = Math.max(1, o.rttMs / 2);
  const foreign = Array.from({ length: Math.max(2, o.foreignLinks) }, (_, i) => `visit-${i + 1}`);
  // Home and correspondent links are 0.5 ms from the core; a foreign link makes up the rest of the
  // MN-HA one-way delay, so a packet between an MN abroad and the HA takes rttMs / 2.
  net.addLink({ name: 'home', delayMs: 0.5, air: true });
  net.addLink({ name: 'cn', delayMs: 0.5 });
  for (const l of foreign) {
    net.addLink({
      name: l,
      delayMs: Math.max(0, oneWay - 0.5),
      loss: o.loss,
      air: true,
      ...(o.jitterMs ? { jitterMs: o.jitterMs } : {}),
      ...(o.duplicate ? { duplicate: o.duplicate } : {}),
      ...(o.reorder ? { reorder: o.reorder } : {}),
    });
  }
  const coaFor = (mn: number, link: string) => canonicalIp(`${linkPrefix(link, foreign)}${iid(mn)}`);
  // Each kernel picks its SPIs from its own seeded sequence, as two real kernels would not agree.
  const spiRng = sim.rng.fork('spi');
  const spiSeed = () => Math.floor(spiRng.next() * 0xffffffff) + 1;

  // ---- correspondent: a plain host with an empty SPD ----
  const cn = new SimNode('cn', net);
  const cnHost = new Host(rootContainer, {
    name: 'cn',
    role: 'cn',
    clock: sim.clock,
    plugins: [cryptoProvider(), simKernel({ spiSeed: spiSeed() }), labNetwork(cn)],
  });
  cn.addAddress(CN_ADDRESS, 'cn');
  cn.datapath = cnHost.resolve(SIM_KERNEL).datapath;

  // ---- home agent ----
  const haNode = new SimNode('ha', net);
  const identities = Array.from({ length: o.mns }, (_, i) => mnIdentity(i + 1));
  const hoas = Array.from({ length: o.mns }, (_, i) => coaFor(i + 1, 'home'));
  const haIkeConfig: IkeDaemonConfig = {
    listen: [HA_ADDRESS],
    peers: [
      {
        name: 'mobile-nodes',
        local: HA_ADDRESS,
        localId: HA_IDENTITY,
        auth: { psk: PSK },
        ike: LAB_IKE_PROPOSALS,
        esp: LAB_ESP_PROPOSALS,
        mobike: true,
      },
    ],
  };
  const haHost = new Host(rootContainer, {
    name: 'ha',
    role: 'ha',
    clock: sim.clock,
    plugins: [
      cryptoProvider(),
      // The default socket buffer, whatever the number of MNs: dumps are resumable, and the
      // daemons read the kernel through its image (broadcasts), dumping it only at start and
      // for the occasional consistency check.
      simKernel({ spiSeed: spiSeed() }),
      labNetwork(haNode),
      haLookups(),
      ikeDaemon(haIkeConfig),
      homeAgent({
        address: HA_ADDRESS,
        mobileNodes: identities.map((identity, i) => ({ identity, hoa: hoas[i]! })),
      }),
      o.strategy('ha'),
    ],
  });
  haNode.addAddress(HA_ADDRESS, 'home');
  const haPfkey = haHost.resolve(SIM_KERNEL);
  haNode.datapath = haPfkey.datapath;
  const agent = haHost.resolve(HOME_AGENT);
  let haIke = haHost.resolve(IKE_DAEMON);
  const haStrategy = strategyStartable(
    haHost,
    'ha',
    sim.clock,
    currentKeyManager(() => haIke),
  );
  // The IKE daemon is started through an indirection so a restart can put a new one in its place.
  haHost.addStartable({ start: () => haIke.start(), stop: () => haIke.stop() });
  haHost.addStartable(haStrategy.startable);
  haHost.addStartable(agent);
  // The HA defends the home addresses of MNs away from home (proxy ND) and relays their traffic.
  haNode.forwarder = (bytes) => {
    // Relayed as the HA's own output, so the tunnel policy toward the MN's CoA applies.
    try {
      const p = parseIpPacket(bytes);
      haNode.output({ src: p.src, dst: p.dst, proto: p.proto, payload: p.payload });
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
    inspect: inspector(haPfkey),
    get ike() {
      return haIke;
    },
    strategy: haStrategy.strategy,
    async restartIke() {
      await haIke.stop();
      // A new daemon from the same container: same configuration, bus, kernel and resolver, no state.
      haIke = haHost.container.resolve(IkeDaemon);
      await sim.settle(haIke.start());
    },
  };

  // ---- mobile nodes ----
  const mns: MnHandle[] = [];
  const byAddress = new Map<Ip, MnHandle>();
  for (let i = 0; i < o.mns; i++) {
    const index = i + 1;
    const name = `mn${index}`;
    const node = new SimNode(name, net);
    const hoa = hoas[i]!;
    const host = new Host(rootContainer, {
      name,
      role: 'mn',
      clock: sim.clock,
      plugins: [
        cryptoProvider(),
        simKernel({ spiSeed: spiSeed() }),
        labNetwork(node),
        ikeDaemon({
          peers: [
            {
              name: 'home-agent',
              remote: HA_ADDRESS,
              localId: identities[i]!,
              remoteId: HA_IDENTITY,
              auth: { psk: PSK },
              ike: LAB_IKE_PROPOSALS,
              esp: LAB_ESP_PROPOSALS,
              mobike: true,
            },
          ],
        }),
        mobileNode({ hoa, ha: HA_ADDRESS, homePrefixLength: 64, kBit: true }),
        o.strategy('mn'),
      ],
    });
    const pfkey = host.resolve(SIM_KERNEL);
    node.datapath = pfkey.datapath;
    const ike = host.resolve(IKE_DAEMON);
    const strat = strategyStartable(host, 'mn', sim.clock, ike);
    const mn = host.resolve(MOBILE_NODE);
    host.addStartable(ike);
    host.addStartable(strat.startable);
    host.addStartable(mn);
    const handle: MnHandle = {
      index,
      name,
      node,
      host,
      hoa,
      identity: identities[i]!,
      mn,
      kernel: host.resolve(KERNEL_BACKEND),
      inspect: inspector(pfkey),
      ike,
      strategy: strat.strategy,
      link: 'home',
      coa: hoa,
    };
    mns.push(handle);
    byAddress.set(hoa, handle);
    for (const l of foreign) byAddress.set(coaFor(index, l), handle);
  }

  await sim.settle(haHost.start());
  for (const m of mns) await sim.settle(m.host.start());

  const attach = (mn: MnHandle, link: string): void => {
    const home = link === 'home';
    const coa = coaFor(mn.index, link);
    mn.node.moveTo(link, coa);
    if (!home) {
      // Away, the HA answers for the home address (proxy ND) and the MN still owns it behind the tunnel.
      net.attach(haNode, 'home', mn.hoa);
      mn.node.datapath.addLocalAddress?.(mn.hoa);
    }
    mn.link = link;
    mn.coa = coa;
  };

  return {
    sim,
    ha,
    mns,
    cn,
    cnAddress: CN_ADDRESS,
    homeLink: 'home',
    foreignLinks: foreign,
    coaFor,
    mnOf: (addr) => byAddress.get(addr),
    attach,
    async stop() {
      for (const m of mns) await m.host.stop();
      await haHost.stop();
      await cnHost.stop();
    },
  };
}
