/**
 * Payload between the correspondent and each MN's home address, through the HA tunnel: constant
 * rate UDP, each datagram numbered, so delivery, loss and the interruption of a handover are
 * measured from what actually arrives protected at the MN. The MN sends a little uplink too
 * (reverse-tunnelled), so both directions of the tunnel are in use.
 *
 * Two modes: `continuous` sends to every MN all the time; `probe` sends to an MN only from the
 * start of each of its handovers until a few protected datagrams have arrived again, so the work
 * grows with the number of handovers rather than with MNs times time (storms of thousands of MNs).
 */
import type { Ip } from '@mip6sec/core';
import { buildIpPacket, buildUdp } from '@mip6sec/kernel-sim';
import type { Simulation } from './simulation.js';
import type { MnHandle, World } from './world.js';

export const TRAFFIC_PORT = 9000;

export type TrafficMode = 'continuous' | 'probe';

export interface TrafficOptions {
  /** Interval between two datagrams to one MN, in ms (default 10). */
  readonly intervalMs?: number;
  readonly mode?: TrafficMode;
  /** Probe mode: protected datagrams to receive after a mark before the flow stops (default 3). */
  readonly probeReceived?: number;
  /** Probe mode: longest a probe runs, in ms (default 30 s). */
  readonly probeMaxMs?: number;
  /** One uplink datagram for this many downlink ones (default 10; 0 = no uplink). */
  readonly uplinkEvery?: number;
}

export interface FlowStats {
  sent: number;
  received: number;
  /** Virtual time of the last protected datagram that arrived. */
  lastProtectedAt: number;
  /** The first protected arrival at or after the mark (the end of a handover's interruption). */
  firstAfterMark: number | undefined;
  /** Protected arrivals since the mark. */
  receivedAfterMark: number;
  mark: number;
}

interface Flow {
  readonly mn: MnHandle;
  readonly stats: FlowStats;
  ticks: number;
  probeEnds: number;
}

export class TrafficGenerator {
  readonly flows = new Map<Ip, FlowStats>();
  private readonly byHoa = new Map<Ip, Flow>();
  /** Flows sending now (all of them in continuous mode). */
  private readonly active = new Set<Flow>();
  private timer: { cancel(): void } | undefined;
  private running = false;
  private readonly intervalMs: number;
  private readonly mode: TrafficMode;
  private readonly probeReceived: number;
  private readonly probeMaxMs: number;
  private readonly uplinkEvery: number;

  constructor(
    private readonly sim: Simulation,
    private readonly world: World,
    opts: TrafficOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 10;
    this.mode = opts.mode ?? 'continuous';
    this.probeReceived = opts.probeReceived ?? 3;
    this.probeMaxMs = opts.probeMaxMs ?? 30_000;
    this.uplinkEvery = opts.uplinkEvery ?? 10;
    const hoas = new Set(world.mns.map((m) => m.hoa));
    world.cn.receive(17).subscribe((p) => {
      if (hoas.has(p.src) && p.payload.length >= 8 && ((p.payload[2]! << 8) | p.payload[3]!) === TRAFFIC_PORT)
        this.upReceived++;
    });
    for (const mn of world.mns) {
      const stats: FlowStats = {
        sent: 0,
        received: 0,
        lastProtectedAt: -1,
        firstAfterMark: undefined,
        receivedAfterMark: 0,
        mark: 0,
      };
      const flow: Flow = { mn, stats, ticks: 0, probeEnds: 0 };
      this.flows.set(mn.hoa, stats);
      this.byHoa.set(mn.hoa, flow);
      if (this.mode === 'continuous') this.active.add(flow);
      mn.node.receive(17).subscribe((p) => {
        if (
          p.dst !== mn.hoa ||
          p.payload.length < 8 ||
          ((p.payload[2]! << 8) | p.payload[3]!) !== TRAFFIC_PORT
        )
          return;
        // Away, only datagrams that came through IPsec count: the tunnel is what is being measured.
        // At home nothing is tunnelled (the tunnel entries exist only away, RFC 4877 5): the
        // datagram arrives natively and is delivered, though it ends no interruption.
        if (!p.sa) {
          if (mn.coa === mn.hoa) stats.received++;
          return;
        }
        stats.received++;
        const now = sim.now();
        stats.lastProtectedAt = now;
        if (now >= stats.mark) {
          stats.receivedAfterMark++;
          stats.firstAfterMark ??= now;
          if (this.mode === 'probe' && stats.receivedAfterMark >= this.probeReceived)
            this.active.delete(flow);
        }
      });
    }
  }

  /** Uplink datagrams the MNs sent, and the ones the correspondent received. */
  upSent = 0;
  upReceived = 0;

  /** Datagrams sent, both directions. */
  get sent(): number {
    let n = this.upSent;
    for (const f of this.flows.values()) n += f.sent;
    return n;
  }

  /** Datagrams received, both directions (downlink away from home only when it came through the tunnel). */
  get received(): number {
    let n = this.upReceived;
    for (const f of this.flows.values()) n += f.received;
    return n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = () => {
      if (!this.running) return;
      const now = this.sim.now();
      for (const flow of [...this.active]) {
        if (this.mode === 'probe' && now >= flow.probeEnds) {
          this.active.delete(flow);
          continue;
        }
        this.sendDown(flow);
        if (this.uplinkEvery > 0 && flow.ticks++ % this.uplinkEvery === 0) this.sendUp(flow.mn);
      }
      this.timer = this.sim.clock.setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
  }

  /**
   * Starts timing a handover of this MN: the next protected arrival ends its interruption. In probe
   * mode the flow runs until it has come back, for at most `maxMs` (default: the generator's
   * `probeMaxMs`); a step that waits longer than that must say so, or its payload stops first.
   */
  mark(mn: MnHandle, maxMs = this.probeMaxMs): void {
    const flow = this.byHoa.get(mn.hoa)!;
    const f = flow.stats;
    f.mark = this.sim.now();
    f.firstAfterMark = undefined;
    f.receivedAfterMark = 0;
    if (this.mode === 'probe') {
      flow.probeEnds = f.mark + maxMs;
      flow.ticks = 0;
      this.active.add(flow);
    }
  }

  /** Flows still sending (probe mode: handovers whose payload has not come back yet). */
  get activeFlows(): number {
    return this.active.size;
  }

  /** Uplink: the MN's own payload from its home address, reverse-tunnelled through the HA. */
  private sendUp(mn: MnHandle): void {
    const data = new Uint8Array(64);
    const udp = buildUdp(mn.hoa, this.world.cnAddress, TRAFFIC_PORT, TRAFFIC_PORT, data);
    this.upSent++;
    // A packet that meets no SA yet raises the ACQUIRE that brings the tunnel up; it is itself lost.
    mn.node.output({ src: mn.hoa, dst: this.world.cnAddress, proto: 17, payload: udp });
  }

  private sendDown(flow: Flow): void {
    const f = flow.stats;
    const hoa = flow.mn.hoa;
    const data = new Uint8Array(64);
    new DataView(data.buffer).setUint32(0, f.sent);
    const udp = buildUdp(this.world.cnAddress, hoa, TRAFFIC_PORT, TRAFFIC_PORT, data);
    const bytes = buildIpPacket({ src: this.world.cnAddress, dst: hoa, proto: 17, payload: udp });
    f.sent++;
    this.world.cn.transmitRaw(bytes);
  }
}
