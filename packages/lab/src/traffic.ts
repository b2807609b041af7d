/**
 * Payload between the correspondent and each MN's home address, through the HA tunnel: constant
 * rate UDP, each datagram numbered, so delivery, loss and the interruption of a handover are
 * measured from what actually arrives protected at the MN.
 */
import type { Ip } from '@mip6sec/core';
import { buildIpPacket, buildUdp } from '@mip6sec/kernel-sim';
import type { Simulation } from './simulation.js';
import type { MnHandle, World } from './world.js';

export const TRAFFIC_PORT = 9000;

export interface FlowStats {
  sent: number;
  received: number;
  /** Virtual time of the last protected datagram that arrived. */
  lastProtectedAt: number;
  /** Arrival times are recorded after this mark (the start of a handover). */
  firstAfterMark: number | undefined;
  mark: number;
}

export class TrafficGenerator {
  readonly flows = new Map<Ip, FlowStats>();
  private timer: { cancel(): void } | undefined;
  private running = false;

  constructor(
    private readonly sim: Simulation,
    private readonly world: World,
    private readonly intervalMs: number,
  ) {
    for (const mn of world.mns) {
      const flow: FlowStats = {
        sent: 0,
        received: 0,
        lastProtectedAt: -1,
        firstAfterMark: undefined,
        mark: 0,
      };
      this.flows.set(mn.hoa, flow);
      mn.node.receive(17).subscribe((p) => {
        if (
          p.dst !== mn.hoa ||
          p.payload.length < 8 ||
          ((p.payload[2]! << 8) | p.payload[3]!) !== TRAFFIC_PORT
        )
          return;
        // Only datagrams that came through IPsec count: the tunnel is what is being measured.
        if (!p.sa) return;
        flow.received++;
        const now = sim.now();
        flow.lastProtectedAt = now;
        if (flow.firstAfterMark === undefined && now >= flow.mark) flow.firstAfterMark = now;
      });
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    let n = 0;
    const tick = () => {
      if (!this.running) return;
      for (const mn of this.world.mns) this.sendOne(mn);
      if (n++ % 10 === 0) for (const mn of this.world.mns) this.sendUp(mn);
      this.timer = this.sim.clock.setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
  }

  /** Starts timing a handover of this MN: the next protected arrival ends its interruption. */
  mark(mn: MnHandle): void {
    const f = this.flows.get(mn.hoa)!;
    f.mark = this.sim.now();
    f.firstAfterMark = undefined;
  }

  /** Uplink: the MN's own payload from its home address, reverse-tunnelled through the HA. */
  private sendUp(mn: MnHandle): void {
    const data = new Uint8Array(64);
    const udp = buildUdp(mn.hoa, this.world.cnAddress, TRAFFIC_PORT, TRAFFIC_PORT, data);
    // A packet that meets no SA yet raises the ACQUIRE that brings the tunnel up; it is itself lost.
    mn.node.send({ src: mn.hoa, dst: this.world.cnAddress, proto: 17, payload: udp }).catch(() => undefined);
  }

  private sendOne(mn: MnHandle): void {
    const f = this.flows.get(mn.hoa)!;
    const data = new Uint8Array(64);
    new DataView(data.buffer).setUint32(0, f.sent);
    const udp = buildUdp(this.world.cnAddress, mn.hoa, TRAFFIC_PORT, TRAFFIC_PORT, data);
    const bytes = buildIpPacket({ src: this.world.cnAddress, dst: mn.hoa, proto: 17, payload: udp });
    f.sent++;
    this.world.cn.transmitRaw(bytes);
  }
}
