/**
 * The scenarios, by name, and the loop that runs one under one strategy: bootstrap the MNs in a
 * foreign network, start payload, then move them step by step, measuring each handover and
 * checking the invariants at quiescence after every step.
 */
import type { BusEvent, Ip, MigrateRequest, PolicyId } from '@mip6sec/core';
import { ipFromBytes, PROTO_ANY } from '@mip6sec/core';
import { migrateStrategy } from '@mip6sec/migrate';
import { msrdStrategy } from '@mip6sec/msrd';
import { renegotiateStrategy } from '@mip6sec/renegotiate';
import {
  checkHa,
  checkIkeInPlace,
  checkInPlace,
  checkMn,
  type MnPlacement,
  spiSnapshot,
} from './invariants.js';
import { KeyLog } from './keys.js';
import { distribution, type InvariantViolation, type StepMetrics, type StrategyMetrics } from './metrics.js';
import type { PacketRecord } from './network.js';
import type { CapturedPacket } from './pcap.js';
import { Simulation, WallBudgetExceeded } from './simulation.js';
import { TrafficGenerator, type TrafficMode } from './traffic.js';
import { buildWorld, type MnHandle, type StrategyFactory, type World } from './world.js';

export const STRATEGIES = ['migrate', 'msrd', 'renegotiate'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Every scenario, with what it does (the CLI's help and the README list these). */
export const SCENARIO_DESCRIPTIONS = {
  handover: 'every MN moves to the next foreign link, K times',
  bootstrap: 'the MNs attach in a foreign network and register (IKE from scratch); no moves',
  storm: 'K rounds; in each every MN moves once at a random (seeded) time within the dwell window',
  'return-home': 'the MNs alternate between home (deregistration) and a foreign link',
  'rekey-during-handover': "the MN's payload CHILD_SA rekey starts just before each move",
  'lost-migrate': "the first MN's MIGRATE moving its payload tunnel is lost in the first handover (migrate)",
  'lost-bu': "the first MN's first Binding Update after each move is lost",
  'lost-ba': "the first MN's first Binding Acknowledgement after each move is lost",
  'ike-restart': "the HA's IKE daemon restarts (IKE_SAs gone, kernel SAs kept) before the first handover",
} as const;
export type ScenarioName = keyof typeof SCENARIO_DESCRIPTIONS;
export const SCENARIOS = Object.keys(SCENARIO_DESCRIPTIONS) as ScenarioName[];

export interface ScenarioOptions {
  readonly scenario: string;
  readonly mns: number;
  /** Handovers per MN (rounds, in a storm). */
  readonly handovers: number;
  readonly rttMs: number;
  readonly loss: number;
  readonly seed: number;
  /** MIGRATE reconciliation (migrate strategy); default true. */
  readonly reconcile?: boolean;
  /** Payload interval per MN in ms (default 10). */
  readonly trafficIntervalMs?: number;
  /** Default: continuous up to 64 MNs, probe beyond (see TrafficGenerator). */
  readonly traffic?: TrafficMode;
  /**
   * Give up waiting for a step after this much virtual time (default 30 s: more than a
   * re-negotiation takes whose IKE_SA_INIT is retransmitted twice and another exchange once,
   * 4 + 7.2 + 4 s on strongSwan's timers, so a step cut short is a stuck one, not a slow one).
   */
  readonly handoverTimeoutMs?: number;
  /**
   * Give up waiting for the bootstrap after this much virtual time (default 120 s). Registration
   * from scratch is IKE_SA_INIT (a cookie round when many MNs start at once), IKE_AUTH and a BU
   * whose retransmission back-off doubles up to 32 s (RFC 6275 MAX_BINDACK_TIMEOUT): among
   * thousands of MNs at 1 % loss, one meeting three losses in a row is expected, and it is late,
   * not stuck.
   */
  readonly bootstrapTimeoutMs?: number;
  /** Time an MN stays on a link before its next move, in ms (default 1000). */
  readonly dwellMs?: number;
  /** Record the first MN's packets (and its keys) for a pcap. */
  readonly capture?: boolean;
  /** Called as each MN handover starts, just after the move, with the virtual time (progress bars, tests). */
  readonly onHandover?: (mn: MnHandle, atMs: number) => void;
  /** Receives one line per bus event of every host, with the virtual time (sequence diagrams). */
  readonly trace?: (line: string) => void;
}

export interface ScenarioResult {
  readonly metrics: StrategyMetrics;
  readonly capture: CapturedPacket[];
  /** ESP SAs and IKE_SAs of the first MN, for Wireshark (filled when `capture` is set). */
  readonly keys: KeyLog | undefined;
  readonly world: World;
}

function strategyFactory(name: string, o: ScenarioOptions, lost: { armed: boolean }): StrategyFactory {
  switch (name) {
    case 'migrate':
      return (role) =>
        migrateStrategy({
          reconcile: o.reconcile ?? true,
          // The strategy's test seam: lose the MN's next MIGRATE that moves a tunnel, when armed.
          ...(role === 'mn'
            ? {
                dropMigrate: (req: MigrateRequest) => {
                  if (!lost.armed || !movesTunnel(req)) return false;
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

/** The MIGRATE that moves the MN's outbound payload tunnel (its SP and SA to the new CoA). */
const movesTunnel = (req: MigrateRequest) =>
  req.dir === 'out' &&
  req.selector.proto === PROTO_ANY &&
  req.bundles.some((b) => b.mode === 'tunnel' && (b.oldSrc !== b.newSrc || b.oldDst !== b.newDst));

/** IKE on UDP 500, or on 4500 behind the zero non-ESP marker (RFC 3948 2.2); IPv6 only here. */
export function isIke(b: Uint8Array): boolean {
  if (b.length < 48 || b[0]! >> 4 !== 6 || b[6] !== 17) return false;
  const sport = (b[40]! << 8) | b[41]!;
  const dport = (b[42]! << 8) | b[43]!;
  if (dport === 500 || sport === 500) return true;
  return (dport === 4500 || sport === 4500) && b.length >= 52 && (b[48]! | b[49]! | b[50]! | b[51]!) === 0;
}

/** A Binding Update as it leaves the CoA: IPv6, Destination Options (HAO), then ESP. */
export function isBindingUpdate(b: Uint8Array, coa: Ip, ha: Ip): boolean {
  return (
    b.length > 48 &&
    b[0]! >> 4 === 6 &&
    b[6] === 60 &&
    b[40] === 50 &&
    ipFromBytes(b, 8, 6) === coa &&
    ipFromBytes(b, 24, 6) === ha
  );
}

/** A Binding Acknowledgement to the CoA: IPv6, a type 2 Routing Header, then ESP. */
export function isBindingAck(b: Uint8Array, ha: Ip, coa: Ip): boolean {
  return (
    b.length > 48 &&
    b[0]! >> 4 === 6 &&
    b[6] === 43 &&
    b[40] === 50 &&
    b[42] === 2 &&
    ipFromBytes(b, 8, 6) === ha &&
    ipFromBytes(b, 24, 6) === coa
  );
}

/** The least time between the end of a handover and the next move (above 1 / MAX_UPDATE_RATE). */
const MIN_BU_GAP_MS = 400;

class StepRekeys {
  /** host name -> reqids rekeyed during the step (on the HA: `ha|mn` -> reqids). */
  readonly childReqids = new Map<string, Set<number>>();
  /** IKE_SAs that ended by being rekeyed. */
  readonly ikeRekeyed = new Set<string>();
  clear(): void {
    this.childReqids.clear();
    this.ikeRekeyed.clear();
  }
  add(key: string, reqid: number): void {
    const s = this.childReqids.get(key);
    if (s) s.add(reqid);
    else this.childReqids.set(key, new Set([reqid]));
  }
  reqids(key: string): ReadonlySet<number> {
    return this.childReqids.get(key) ?? new Set();
  }
}

/** How far a run got (kept up to date while it runs, for {@link ScenarioInterrupted}). */
export interface ScenarioProgress {
  phase: 'build' | 'bootstrap' | 'steps' | 'done';
  handovers: number;
  completed: number;
  /** MNs with an accepted binding (bootstrap progress), read when asked. */
  registered: () => number;
  wall: { buildMs: number; bootstrapMs: number; stepsMs: number; checksMs: number };
}

/** A run stopped because it exceeded its wall-clock budget; `progress` says how far it got. */
export class ScenarioInterrupted extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly budgetMs: number,
    readonly progress: ScenarioProgress,
  ) {
    super(`scenario stopped in ${progress.phase} after ${Math.round(budgetMs)} ms of wall time`);
  }
}

/**
 * Runs one scenario under one strategy. With `wallBudgetMs`, throws {@link ScenarioInterrupted}
 * when the run takes longer than that in wall-clock time (benchmarks at scale).
 */
export async function runScenario(
  strategy: string,
  o: ScenarioOptions & { readonly wallBudgetMs?: number },
): Promise<ScenarioResult> {
  const progress: ScenarioProgress = {
    phase: 'build',
    handovers: 0,
    completed: 0,
    registered: () => 0,
    wall: { buildMs: 0, bootstrapMs: 0, stepsMs: 0, checksMs: 0 },
  };
  try {
    return await runInner(strategy, o, progress);
  } catch (e) {
    if (e instanceof WallBudgetExceeded) throw new ScenarioInterrupted(e.budgetMs, progress);
    throw e;
  }
}

async function runInner(
  strategy: string,
  o: ScenarioOptions & { readonly wallBudgetMs?: number },
  progress: ScenarioProgress,
): Promise<ScenarioResult> {
  const scenario = o.scenario as ScenarioName;
  if (!SCENARIOS.includes(scenario)) {
    throw new Error(`unknown scenario ${JSON.stringify(o.scenario)} (known: ${SCENARIOS.join(', ')})`);
  }
  if (!Number.isInteger(o.mns) || o.mns < 1) throw new Error(`mns must be a positive integer, got ${o.mns}`);
  if (!Number.isInteger(o.handovers) || o.handovers < 0)
    throw new Error(`handovers must be a non-negative integer, got ${o.handovers}`);
  const wallStart = performance.now();
  const sim = new Simulation(o.seed);
  sim.setWallBudget(o.wallBudgetMs);
  const lostMigrate = { armed: false };
  const world = await buildWorld(sim, {
    mns: o.mns,
    rttMs: o.rttMs,
    loss: o.loss,
    foreignLinks: 3,
    strategy: strategyFactory(strategy, o, lostMigrate),
  });
  const wall = progress.wall;
  wall.buildMs = performance.now() - wallStart;
  progress.phase = 'bootstrap';
  const ha = world.ha;
  const firstMn = world.mns[0]!;
  const hosts = [ha.host, ...world.mns.map((m) => m.host)];
  const timeout = o.handoverTimeoutMs ?? 30_000;
  const bootTimeout = o.bootstrapTimeoutMs ?? 120_000;
  const dwell = o.dwellMs ?? 1000;
  const settleMs = Math.max(100, o.rttMs * 3);
  const rng = sim.rng.fork('scenario');

  // ---- what is counted, and when ----
  let measuring = scenario === 'bootstrap';
  const counts = { ikeExchanges: 0, ikeMessages: 0, ikeBytes: 0, bytesOnAir: 0, stepIke: 0 };
  const capture: CapturedPacket[] = [];
  sim.network.tap((r: PacketRecord) => {
    // The first MN's link: what it sends, and what is routed to it (not the CN's packets to its HoA
    // that the HA intercepts while it is away).
    if (
      o.capture &&
      (r.from === firstMn.name || sim.network.ownerOf(ipFromBytes(r.bytes, 24, 6))?.node === firstMn.name)
    ) {
      capture.push({ timeMs: r.timeMs, bytes: r.bytes });
    }
    if (!measuring) return;
    if (isIke(r.bytes)) {
      counts.ikeMessages++;
      counts.ikeBytes += r.bytes.length;
    }
    // Bytes on the air: what an MN sends or is sent, once, on its access link.
    if (r.from.startsWith('mn') || world.mnOf(ipFromBytes(r.bytes, 24, 6)) !== undefined)
      counts.bytesOnAir += r.bytes.length;
  });
  const rekeys = new StepRekeys();
  for (const h of hosts) {
    h.bus.on('ike.exchange').subscribe((e) => {
      if (measuring && e.initiator && e.ok) {
        counts.ikeExchanges++;
        counts.stepIke++;
      }
    });
    h.bus.on('ike.child-installed').subscribe((e) => {
      if (!e.rekey) return;
      if (h === ha.host) {
        const mn = world.mnOf(e.outbound.dst === ha.address ? e.outbound.src : e.outbound.dst);
        if (mn) rekeys.add(`ha|${mn.name}`, e.reqid);
      } else rekeys.add(h.name, e.reqid);
    });
    h.bus.on('ike.sa-deleted').subscribe((e) => {
      if (e.reason === 'rekeyed') rekeys.ikeRekeyed.add(e.ikeSpi);
    });
  }
  if (o.trace) {
    const trace = o.trace;
    for (const h of hosts) {
      h.bus.events.subscribe((e: BusEvent) => {
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
  const keys = o.capture ? new KeyLog(firstMn, ha.address) : undefined;

  const traffic = new TrafficGenerator(sim, world, {
    intervalMs: o.trafficIntervalMs ?? 10,
    mode: o.traffic ?? (o.mns <= 64 ? 'continuous' : 'probe'),
  });
  const violations: InvariantViolation[] = [];
  const steps: StepMetrics[] = [];
  const interruptions: number[] = [];
  let handovers = 0;
  let completed = 0;

  const bindingDone = (mn: MnHandle): boolean => {
    const s = mn.mn.state();
    if (s.pendingSeq !== undefined || s.stopped) return false;
    if (mn.coa === mn.hoa) return s.binding === undefined;
    return s.binding?.coa === mn.coa;
  };
  progress.registered = () => world.mns.filter(bindingDone).length;
  const payloadBack = (mn: MnHandle) =>
    mn.coa === mn.hoa || traffic.flows.get(mn.hoa)!.firstAfterMark !== undefined;

  const placement = (mn: MnHandle): MnPlacement => ({
    name: mn.name,
    hoa: mn.hoa,
    identity: mn.identity,
    coa: mn.coa,
  });
  const hints = ha.strategy.updatesInPlace;
  const check = (step: string): number => {
    const t0 = performance.now();
    const found: InvariantViolation[] = [];
    for (const mn of world.mns) {
      found.push(
        ...checkMn(
          step,
          placement(mn),
          {
            name: mn.name,
            policies: mn.inspect.policies(),
            sas: mn.inspect.sas(),
            ikeSas: mn.ike.ikeSas(),
            spdImage: mn.ike.spdImage(),
            ...(hints ? { hintFor: (p: PolicyId) => mn.ike.hintFor(p) } : {}),
          },
          ha.address,
        ),
      );
    }
    const haIke = ha.ike;
    found.push(
      ...checkHa(
        step,
        {
          name: ha.name,
          address: ha.address,
          policies: ha.inspect.policies(),
          sas: ha.inspect.sas(),
          ikeSas: haIke.ikeSas(),
          spdImage: haIke.spdImage(),
          ...(hints ? { hintFor: (p: PolicyId) => haIke.hintFor(p) } : {}),
          cacheCoa: (hoa: Ip) => ha.agent.lookup(hoa)?.coa,
        },
        world.mns.map(placement),
        (addr) => {
          const mn = world.mnOf(addr);
          return mn ? placement(mn) : undefined;
        },
      ),
    );
    violations.push(...found);
    wall.checksMs += performance.now() - t0;
    return found.length;
  };

  /** Moves one MN (a handover starts): the interruption is timed from here. */
  const move = (mn: MnHandle, link: string, bootstrap = false): void => {
    if (scenario === 'lost-bu' && !bootstrap && mn === firstMn && link !== world.homeLink) {
      const coa = world.coaFor(mn.index, link);
      sim.network.dropNext((b) => isBindingUpdate(b, coa, ha.address));
    }
    if (scenario === 'lost-ba' && !bootstrap && mn === firstMn && link !== world.homeLink) {
      const coa = world.coaFor(mn.index, link);
      sim.network.dropNext((b) => isBindingAck(b, ha.address, coa));
    }
    // The probe lasts as long as the step may wait for this MN (the bootstrap waits longer).
    traffic.mark(mn, bootstrap ? bootTimeout : timeout);
    handovers++;
    progress.handovers = handovers;
    world.attach(mn, link);
    o.onHandover?.(mn, sim.now());
  };
  const nextLink = (mn: MnHandle): string => {
    if (scenario === 'return-home' && mn.link !== world.homeLink) return world.homeLink;
    const i = world.foreignLinks.indexOf(mn.link);
    return world.foreignLinks[(i + 1) % world.foreignLinks.length]!;
  };
  /** Waits until every mover is registered and its payload flows again; records each outcome. */
  const finish = async (movers: readonly MnHandle[], stepStart: number, limit = timeout) => {
    // Checked after every timer: MNs found done leave the set, so a check does not walk them again.
    const pending = new Set(movers);
    const allDone = () => {
      for (const mn of pending) {
        if (!(bindingDone(mn) && payloadBack(mn))) return false;
        pending.delete(mn);
      }
      return true;
    };
    await sim.runUntil(allDone, Math.max(0, stepStart + limit - sim.now()));
    const mine: number[] = [];
    let done = 0;
    for (const mn of movers) {
      if (bindingDone(mn)) done++;
      if (mn.coa === mn.hoa) continue;
      const f = traffic.flows.get(mn.hoa)!;
      mine.push((f.firstAfterMark ?? sim.now()) - f.mark);
    }
    interruptions.push(...mine);
    completed += done;
    progress.completed = completed;
    return { done, mine };
  };

  // ---- bootstrap: every MN attaches in a foreign network and registers ----
  // The bootstrap scenario measures this part; the others start counting after it.
  let base = baseline(world, traffic);
  const bootWall = performance.now();
  traffic.start();
  const bootStart = sim.now();
  for (const mn of world.mns) move(mn, world.foreignLinks[0]!, true);
  const boot = await finish(world.mns, bootStart, bootTimeout);
  for (const mn of world.mns) {
    if (!bindingDone(mn)) {
      const st = mn.mn.state();
      const ike = mn.ike
        .ikeSas()
        .map((i) => `${i.state} with ${i.remote.ip}`)
        .join(', ');
      violations.push({
        step: 'bootstrap',
        host: mn.name,
        object: `binding ${mn.hoa}`,
        rule: 'registration completes',
        detail:
          `no accepted binding within ${bootTimeout} ms (${String(mn.mn.error ?? 'no error')}; ` +
          `BU seq ${st.pendingSeq ?? 'none'} outstanding; IKE SAs: ${ike || 'none'})`,
      });
    } else if (!payloadBack(mn))
      violations.push({
        step: 'bootstrap',
        host: mn.name,
        object: `tunnel ${mn.hoa}`,
        rule: 'protected payload flows',
        detail: `no payload arrived through the tunnel within ${bootTimeout} ms`,
      });
  }
  await sim.runFor(settleMs);
  check('bootstrap');
  wall.bootstrapMs = performance.now() - bootWall;
  const stepsWall = performance.now();
  progress.phase = 'steps';
  if (scenario === 'bootstrap') {
    steps.push({
      step: 'bootstrap',
      handovers: world.mns.length,
      completed: boot.done,
      ikeExchanges: counts.stepIke,
      interruptionMedianMs: distribution(boot.mine).median,
      violations: violations.length,
    });
  } else {
    interruptions.length = 0;
    handovers = 0;
    completed = 0;
    progress.handovers = 0;
    progress.completed = 0;
    base = baseline(world, traffic);
    measuring = true;
  }

  // ---- the steps ----
  const inPlace = ha.strategy.updatesInPlace;
  let lastMove = sim.now();
  let lastDone = sim.now();
  const movedAt = new Map<MnHandle, number>();
  const rounds = scenario === 'bootstrap' ? 0 : o.handovers;
  for (let k = 0; k < rounds; k++) {
    const step = `handover ${k + 1}`;
    // An MN stays `dwell` on a link, and its next BU must respect MAX_UPDATE_RATE (3/s, RFC 6275
    // 13) after the last one, or the rate limit rather than the interface design would be measured.
    const nextAt = Math.max(lastMove + dwell, lastDone + MIN_BU_GAP_MS);
    if (sim.now() < nextAt) await sim.runFor(nextAt - sim.now());
    if (scenario === 'ike-restart' && k === 0) await ha.restartIke();
    if (scenario === 'lost-migrate' && k === 0) lostMigrate.armed = true;
    const movers = world.mns;
    // What an in-place strategy must keep: each mover's SAs on both ends and its IKE_SA.
    const before = inPlace ? snapshotInPlace(world, movers) : undefined;
    rekeys.clear();
    counts.stepIke = 0;
    const violationsBefore = violations.length;
    const stepStart = sim.now();
    if (scenario === 'rekey-during-handover') {
      // The rekey request is on its way when the MN leaves: it went from the old CoA, its answer
      // comes back to an address the MN no longer has, and IKE has to finish it from the new one.
      for (const mn of movers) startPayloadRekey(mn);
      await sim.runFor(Math.max(1, o.rttMs / 4));
    }
    if (scenario === 'storm') {
      // Every MN moves once, at a seeded random time within the dwell window.
      const t0 = sim.now();
      const at = movers.map((mn) => ({
        mn,
        t: Math.max(t0 + rng.next() * dwell, (movedAt.get(mn) ?? 0) + dwell),
      }));
      at.sort((a, b) => a.t - b.t);
      for (const { mn, t } of at) {
        if (sim.now() < t) await sim.runFor(t - sim.now());
        movedAt.set(mn, sim.now());
        move(mn, nextLink(mn));
      }
    } else {
      for (const mn of movers) move(mn, nextLink(mn));
    }
    lastMove = sim.now();
    const r = await finish(movers, stepStart);
    lastDone = sim.now();
    // Quiescence: the last BA, any strategy follow-up and IKE's clean-up have landed.
    await sim.runFor(settleMs);
    check(step);
    if (before) {
      const after = snapshotInPlace(world, movers);
      for (const mn of movers) {
        const b = before.get(mn.name)!;
        const a = after.get(mn.name)!;
        violations.push(
          ...checkInPlace(step, mn.name, mn.name, b.mn, a.mn, rekeys.reqids(mn.name)),
          ...checkInPlace(step, ha.name, mn.name, b.ha, a.ha, rekeys.reqids(`ha|${mn.name}`)),
          ...checkIkeInPlace(step, mn.name, b.ike, a.ike, rekeys.ikeRekeyed),
        );
      }
    }
    steps.push({
      step,
      handovers: movers.length,
      completed: r.done,
      ikeExchanges: counts.stepIke,
      interruptionMedianMs: distribution(r.mine).median,
      violations: violations.length - violationsBefore,
    });
    wall.stepsMs = performance.now() - stepsWall;
  }
  traffic.stop();
  await sim.runFor(Math.max(200, o.rttMs * 4));
  wall.stepsMs = performance.now() - stepsWall;
  progress.phase = 'done';
  sim.setWallBudget(undefined);
  measuring = false;

  const sent = traffic.sent - base.sent;
  const received = traffic.received - base.received;
  const counters: Record<string, number> = {};
  for (const s of [ha.strategy, ...world.mns.map((m) => m.strategy)]) {
    for (const [k, v] of Object.entries(s.metrics())) counters[k] = (counters[k] ?? 0) + v;
  }
  const bus = bindingUpdates(world) - base.bindingUpdates;
  const metrics: StrategyMetrics = {
    strategy,
    scenario,
    mns: o.mns,
    handovers,
    handoversCompleted: completed,
    ikeExchanges: counts.ikeExchanges,
    ikeMessages: counts.ikeMessages,
    kernelMessages: kernelCount(world) - base.kernel,
    bytesOnAir: counts.bytesOnAir,
    signallingBytes: counts.ikeBytes + (mhBytes(world) - base.mh),
    roundTrips: handovers === 0 ? 0 : (bus + counts.ikeExchanges) / handovers,
    interruptionMs: distribution(interruptions),
    packetsSent: sent,
    packetsLost: Math.max(0, sent - received),
    invariantViolations: violations.length,
    violations,
    steps,
    strategyCounters: counters,
    virtualTimeMs: sim.now(),
    wallTimeMs: performance.now() - wallStart,
    wall,
  };
  return { metrics, capture, keys, world };
}

/** Starts a rekey of the MN's payload tunnel CHILD_SA (not awaited: it runs across the move). */
function startPayloadRekey(mn: MnHandle): void {
  for (const ike of mn.ike.listSas()) {
    const child = ike.children.find((c) => c.mode === 'tunnel' && c.state === 'installed');
    if (!child) continue;
    mn.ike.rekeyChild(ike.ikeSpi, Number.parseInt(child.spiOut, 16)).catch(() => undefined);
    return;
  }
}

function snapshotInPlace(world: World, movers: readonly MnHandle[]) {
  const haSas = world.ha.inspect.sas();
  const haAddr = world.ha.address;
  const out = new Map<
    string,
    { mn: ReturnType<typeof spiSnapshot>; ha: ReturnType<typeof spiSnapshot>; ike: Set<string> }
  >();
  const movingNames = new Set(movers.map((m) => m.name));
  const haByMn = new Map<string, typeof haSas>();
  for (const s of haSas) {
    const mn = world.mnOf(s.src === haAddr ? s.dst : s.src);
    if (!mn || !movingNames.has(mn.name)) continue;
    const list = haByMn.get(mn.name);
    if (list) list.push(s);
    else haByMn.set(mn.name, [s]);
  }
  for (const mn of movers) {
    out.set(mn.name, {
      mn: spiSnapshot(mn.inspect.sas(), () => true),
      ha: spiSnapshot(haByMn.get(mn.name) ?? [], () => true),
      ike: new Set(
        mn.ike
          .ikeSas()
          .filter((s) => s.remote.ip === haAddr)
          .map((s) => s.ikeSpi),
      ),
    });
  }
  return out;
}

/** Counters read at the start of the measured part. */
function baseline(world: World, traffic: TrafficGenerator) {
  return {
    kernel: kernelCount(world),
    mh: mhBytes(world),
    bindingUpdates: bindingUpdates(world),
    sent: traffic.sent,
    received: traffic.received,
  };
}

function kernelCount(world: World): number {
  let n = 0;
  for (const k of [world.ha.kernel, ...world.mns.map((m) => m.kernel)]) {
    const s = k.stats();
    n += s.messagesToKernel + s.messagesFromKernel;
  }
  return n;
}

function mhBytes(world: World): number {
  let n = 0;
  for (const m of world.mns) n += m.mn.stats().bytesSent + m.mn.stats().bytesReceived;
  return n;
}

function bindingUpdates(world: World): number {
  let n = 0;
  for (const m of world.mns) n += m.mn.stats().bindingUpdatesSent;
  return n;
}
