/**
 * The scenarios, by name, and the loop that runs one under one strategy: bootstrap the MNs, start
 * payload, then move them and measure each handover, checking the invariants at quiescence after
 * every step.
 */
import { type Ip, ipFromBytes } from '@mip6sec/core';
import { migrateStrategy } from '@mip6sec/migrate';
import { msrdStrategy } from '@mip6sec/msrd';
import { renegotiateStrategy } from '@mip6sec/renegotiate';
import { checkHa, checkInPlace, checkMn, tunnelSpis } from './invariants.js';
import { distribution, type InvariantViolation, MetricsRecorder, type StrategyMetrics } from './metrics.js';
import type { PacketRecord } from './network.js';
import type { CapturedPacket } from './pcap.js';
import { Simulation } from './simulation.js';
import { TrafficGenerator } from './traffic.js';
import { buildWorld, type MnHandle, type StrategyFactory, type World } from './world.js';

export const STRATEGIES = ['migrate', 'msrd', 'renegotiate'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const SCENARIOS = [
  'handover',
  'bootstrap',
  'storm',
  'return-home',
  'rekey-during-handover',
  'lost-migrate',
  'lost-bu',
  'lost-ba',
  'ike-restart',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  readonly scenario: string;
  readonly mns: number;
  readonly handovers: number;
  readonly rttMs: number;
  readonly loss: number;
  readonly seed: number;
  readonly reconcile: boolean;
  /** Payload interval per MN in ms. */
  readonly trafficIntervalMs?: number;
  /** Give up on a handover after this much virtual time. */
  readonly handoverTimeoutMs?: number;
  /** Time an MN stays on a link before its next move, in ms (default 1000). */
  readonly dwellMs?: number;
  readonly capture?: boolean;
  readonly onHandover?: () => void;
  /** Receives one line per bus event of every host, with the virtual time (for sequence diagrams). */
  readonly trace?: (line: string) => void;
}

export interface ScenarioResult {
  readonly metrics: StrategyMetrics;
  readonly capture: CapturedPacket[];
  readonly world: World;
}

function strategyFactory(name: string, o: ScenarioOptions, lost: { armed: boolean }): StrategyFactory {
  switch (name) {
    case 'migrate':
      return (role) =>
        migrateStrategy({
          reconcile: o.reconcile,
          // Test seam of the strategy: lose the MN's next MIGRATE on its way to the kernel when armed.
          ...(role === 'mn'
            ? {
                dropMigrate: () => {
                  if (!lost.armed) return false;
                  lost.armed = false;
                  return true;
                },
              }
            : {}),
        });
    case 'msrd':
      return () => msrdStrategy();
    case 'renegotiate':
      return () => renegotiateStrategy();
    default:
      throw new Error(`unknown strategy ${JSON.stringify(name)} (known: ${STRATEGIES.join(', ')})`);
  }
}

const isIke = (r: PacketRecord): boolean => {
  const b = r.bytes;
  if (b[0]! >> 4 !== 6 || b.length < 48 || b[6] !== 17) return false;
  const dport = (b[42]! << 8) | b[43]!;
  const sport = (b[40]! << 8) | b[41]!;
  if (dport === 500 || sport === 500) return true;
  // Port 4500 carries IKE behind a zero non-ESP marker (RFC 3948 2.2), ESP otherwise.
  return (dport === 4500 || sport === 4500) && b.length >= 52 && (b[48]! | b[49]! | b[50]! | b[51]!) === 0;
};

export async function runScenario(strategy: string, o: ScenarioOptions): Promise<ScenarioResult> {
  if (!(SCENARIOS as readonly string[]).includes(o.scenario)) {
    throw new Error(`unknown scenario ${JSON.stringify(o.scenario)} (known: ${SCENARIOS.join(', ')})`);
  }
  const wallStart = performance.now();
  const sim = new Simulation(o.seed);
  const lostMigrate = { armed: false };
  const world = await buildWorld(sim, {
    mns: o.mns,
    rttMs: o.rttMs,
    loss: o.loss,
    foreignLinks: 3,
    strategy: strategyFactory(strategy, o, lostMigrate),
    startAway: true,
  });
  const rec = new MetricsRecorder();
  const capture: CapturedPacket[] = [];
  let measuring = false;
  const firstMn = world.mns[0]!;
  let ikeMessages = 0;
  let ikeBytes = 0;
  world.sim.network.tap((r) => {
    if (
      o.capture &&
      (r.from === firstMn.name || r.from === 'ha') &&
      (r.dstLink !== 'cn' || r.from === firstMn.name)
    ) {
      capture.push({ timeMs: r.timeMs, bytes: r.bytes });
    }
    if (!measuring) return;
    if (isIke(r)) {
      ikeMessages++;
      ikeBytes += r.bytes.length;
    }
  });
  let ikeExchanges = 0;
  for (const h of [world.ha.host, ...world.mns.map((m) => m.host)]) {
    h.bus.on('ike.exchange').subscribe((e) => {
      if (measuring && e.initiator && e.ok) ikeExchanges++;
    });
  }
  if (o.trace) {
    const trace = o.trace;
    for (const h of [world.ha.host, ...world.mns.map((m) => m.host)]) {
      h.bus.events.subscribe((e) => {
        if (e.type === 'kernel.sa' || e.type === 'kernel.policy') return;
        const { type, ...rest } = e as unknown as Record<string, unknown> & { type: string };
        const detail = Object.entries(rest)
          .filter(([, v]) => typeof v !== 'function' && typeof v !== 'object')
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ');
        trace(`${sim.now().toFixed(1).padStart(9)} ${h.name.padEnd(4)} ${type} ${detail}`);
      });
    }
  }
  const rekeyed = new Set<number>();
  for (const h of [world.ha.host, ...world.mns.map((m) => m.host)]) {
    h.bus.on('ike.child-installed').subscribe((e) => {
      if (e.rekey) {
        rekeyed.add(e.inbound.spi);
        rekeyed.add(e.outbound.spi);
      }
    });
  }

  const traffic = new TrafficGenerator(sim, world, o.trafficIntervalMs ?? 10);
  const timeout = o.handoverTimeoutMs ?? 15_000;
  const violations: InvariantViolation[] = [];

  const move = async (mn: MnHandle, link: string): Promise<void> => {
    const home = link === world.homeLink;
    const coa = home ? mn.hoa : world.coaFor(mn.index, link);
    mn.node.moveTo(link, coa);
    if (!home) {
      // Away, the HA answers for the home address (proxy ND) and the MN still owns it behind the tunnel.
      world.sim.network.attach(world.ha.node, world.homeLink, mn.hoa);
      mn.node.datapath.addLocalAddress?.(mn.hoa);
    }
    mn.link = link;
    mn.coa = coa;
  };

  const bindingDone = (mn: MnHandle): boolean => {
    const s = mn.mn.state();
    if (mn.coa === mn.hoa) return s.binding === undefined || s.atHome;
    return s.binding?.coa === mn.coa && s.pendingSeq === undefined;
  };

  const check = async (step: string): Promise<void> => {
    const found: InvariantViolation[] = [];
    for (const mn of world.mns) {
      found.push(
        ...(await checkMn(
          step,
          {
            name: mn.name,
            hoa: mn.hoa,
            ha: world.ha.address,
            coa: mn.coa,
            kernel: mn.kernel,
            keyManager: mn.keyManager,
          },
          world.ha.address,
        )),
      );
    }
    found.push(
      ...(await checkHa(
        step,
        {
          name: 'ha',
          address: world.ha.address,
          kernel: world.ha.kernel,
          keyManager: world.ha.keyManager,
          cacheCoa: (hoa: Ip) => world.ha.agent.lookup(hoa)?.coa,
        },
        world.mns.map((m) => ({ name: m.name, hoa: m.hoa, coa: m.coa })),
      )),
    );
    violations.push(...found);
  };

  // ---- bootstrap: every MN attaches in a foreign network and registers ----
  for (const mn of world.mns) await move(mn, world.foreignLinks[0]!);
  traffic.start();
  const bootOk = await sim.runUntil(
    () => world.mns.every((mn) => bindingDone(mn) && traffic.flows.get(mn.hoa)!.received > 0),
    timeout,
  );
  if (!bootOk) {
    for (const mn of world.mns) {
      if (!bindingDone(mn)) {
        violations.push({
          step: 'bootstrap',
          host: mn.name,
          object: `binding ${mn.hoa}`,
          rule: 'bootstrap completes',
          detail: `no accepted binding within ${timeout} ms (${String(mn.mn.error ?? 'no error')})`,
        });
      } else if (traffic.flows.get(mn.hoa)!.received === 0) {
        violations.push({
          step: 'bootstrap',
          host: mn.name,
          object: `tunnel ${mn.hoa}`,
          rule: 'protected payload flows',
          detail: 'no payload arrived through the tunnel',
        });
      }
    }
  }
  await sim.runFor(Math.max(200, o.rttMs * 4));
  await check('bootstrap');

  // ---- handovers ----
  measuring = true;
  const kernelBefore = kernelCount(world);
  const airBefore = airBytes(world);
  const buBefore = world.mns.reduce((n, m) => n + m.mn.stats().bindingUpdatesSent, 0);
  const mhBytesBefore = mhBytes(world);
  const sentBefore = [...traffic.flows.values()].reduce((n, f) => n + f.sent, 0);
  const recvBefore = [...traffic.flows.values()].reduce((n, f) => n + f.received, 0);
  const steps = o.scenario === 'bootstrap' ? 0 : o.handovers;
  let lastMove = sim.now();
  for (let k = 0; k < steps; k++) {
    // An MN stays a while on each link: MIPv6 limits BUs to MAX_UPDATE_RATE (3/s, RFC 6275 13), so
    // moves faster than that would measure the rate limit rather than the interface design.
    const dwell = o.dwellMs ?? 1000;
    if (sim.now() < lastMove + dwell) await sim.runFor(lastMove + dwell - sim.now());
    lastMove = sim.now();
    const movers =
      o.scenario === 'storm'
        ? world.mns.filter((_, i) => (i + k) % 2 === 0 || world.mns.length === 1)
        : world.mns;
    const spisBefore = new Map<string, Set<number>>();
    spisBefore.set('ha', await tunnelSpis(world.ha.kernel));
    for (const mn of movers) spisBefore.set(mn.name, await tunnelSpis(mn.kernel));
    for (const mn of movers) {
      const next =
        o.scenario === 'return-home' && mn.link !== world.homeLink
          ? world.homeLink
          : world.foreignLinks[(world.foreignLinks.indexOf(mn.link) + 1) % world.foreignLinks.length]!;
      if (o.scenario === 'lost-migrate' && k === 0 && mn === firstMn) lostMigrate.armed = true;
      if ((o.scenario === 'lost-bu' || o.scenario === 'lost-ba') && mn === firstMn) {
        const toHa = o.scenario === 'lost-bu';
        const coa = next === world.homeLink ? mn.hoa : world.coaFor(mn.index, next);
        // The first ESP packet between the new CoA and the HA in that direction carries the BU (or BA).
        sim.network.dropNext(
          (b) => isEspBetween(b, toHa ? coa : world.ha.address, toHa ? world.ha.address : coa),
          1,
        );
      }
      traffic.mark(mn);
      rec.handovers++;
      await move(mn, next);
      o.onHandover?.();
    }
    const start = sim.now();
    await sim.runUntil(
      () =>
        movers.every(
          (mn) =>
            bindingDone(mn) && (mn.coa === mn.hoa || traffic.flows.get(mn.hoa)!.firstAfterMark !== undefined),
        ),
      timeout,
    );
    for (const mn of movers) {
      if (bindingDone(mn)) rec.handoversCompleted++;
      const f = traffic.flows.get(mn.hoa)!;
      if (mn.coa !== mn.hoa)
        rec.interruptions.push(
          f.firstAfterMark === undefined ? sim.now() - f.mark : f.firstAfterMark - f.mark,
        );
    }
    void start;
    // Quiescence: the last BA and any strategy follow-up have landed.
    await sim.runFor(Math.max(100, o.rttMs * 3));
    const step = `handover ${k + 1}`;
    await check(step);
    if (strategyPromisesInPlace(world)) {
      violations.push(
        ...checkInPlace(step, 'ha', spisBefore.get('ha')!, await tunnelSpis(world.ha.kernel), rekeyed),
      );
      for (const mn of movers)
        violations.push(
          ...checkInPlace(step, mn.name, spisBefore.get(mn.name)!, await tunnelSpis(mn.kernel), rekeyed),
        );
    }
  }
  traffic.stop();
  await sim.runFor(Math.max(200, o.rttMs * 4));
  measuring = false;

  const sent = [...traffic.flows.values()].reduce((n, f) => n + f.sent, 0) - sentBefore;
  const received = [...traffic.flows.values()].reduce((n, f) => n + f.received, 0) - recvBefore;
  const bus = world.mns.reduce((n, m) => n + m.mn.stats().bindingUpdatesSent, 0) - buBefore;
  const counters: Record<string, number> = {};
  for (const s of [world.ha.strategy, ...world.mns.map((m) => m.strategy)]) {
    for (const [k, v] of Object.entries(s.metrics())) counters[k] = (counters[k] ?? 0) + v;
  }
  const metrics: StrategyMetrics = {
    strategy,
    scenario: o.scenario,
    handovers: rec.handovers,
    handoversCompleted: rec.handoversCompleted,
    ikeExchanges,
    ikeMessages,
    kernelMessages: kernelCount(world) - kernelBefore,
    bytesOnAir: airBytes(world) - airBefore,
    signallingBytes: ikeBytes + (mhBytes(world) - mhBytesBefore),
    roundTrips: rec.handovers === 0 ? 0 : (bus + ikeExchanges) / rec.handovers,
    interruptionMs: distribution(rec.interruptions),
    packetsSent: sent,
    packetsLost: Math.max(0, sent - received),
    invariantViolations: violations.length,
    violations,
    strategyCounters: counters,
    virtualTimeMs: sim.now(),
    wallTimeMs: performance.now() - wallStart,
  };
  return { metrics, capture, world };
}

function strategyPromisesInPlace(world: World): boolean {
  return world.ha.strategy.updatesInPlace;
}

function kernelCount(world: World): number {
  let n = 0;
  for (const k of [world.ha.kernel, ...world.mns.map((m) => m.kernel)]) {
    const s = k.stats();
    n += s.messagesToKernel + s.messagesFromKernel;
  }
  return n;
}

function airBytes(world: World): number {
  let n = 0;
  for (const l of [world.homeLink, ...world.foreignLinks]) n += world.sim.network.counter(l).bytes;
  return n;
}

function mhBytes(world: World): number {
  let n = 0;
  for (const m of world.mns) n += m.mn.stats().bytesSent + m.mn.stats().bytesReceived;
  return n;
}

function isEspBetween(b: Uint8Array, src: Ip, dst: Ip): boolean {
  if (b[0]! >> 4 !== 6 || b.length < 48 || b[6] !== 50) return false;
  return ipFromBytes(b, 8, 6) === src && ipFromBytes(b, 24, 6) === dst;
}
