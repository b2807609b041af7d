/**
 * What the comparison reports per strategy. Every figure is counted from what crossed a boundary
 * (the network, the user/kernel boundary, the bus), never estimated.
 */

export interface Distribution {
  readonly median: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  readonly count: number;
}

export interface InvariantViolation {
  readonly step: string;
  readonly host: string;
  readonly object: string;
  readonly rule: string;
  readonly detail: string;
}

/** One step of a scenario (a handover of every MN, a storm round, the bootstrap). */
export interface StepMetrics {
  readonly step: string;
  readonly handovers: number;
  readonly completed: number;
  /** IKE exchanges completed during the step (by their initiators). */
  readonly ikeExchanges: number;
  readonly interruptionMedianMs: number;
  readonly violations: number;
}

export interface StrategyMetrics {
  readonly strategy: string;
  readonly scenario: string;
  readonly mns: number;
  /** MN handovers started (registrations, in the bootstrap scenario) and the ones that completed. */
  readonly handovers: number;
  readonly handoversCompleted: number;
  /** IKE exchanges completed, each counted once (by its initiator). */
  readonly ikeExchanges: number;
  /** IKE datagrams on the network (UDP 500, and 4500 behind the non-ESP marker), retransmissions included. */
  readonly ikeMessages: number;
  /** PF_KEY messages across the user/kernel boundary, both directions, all hosts (dumps: one per entry). */
  readonly kernelMessages: number;
  /** Bytes MNs sent or were sent on their access links (signalling and payload). */
  readonly bytesOnAir: number;
  /** Signalling bytes: IKE datagrams and Mobility Header messages. */
  readonly signallingBytes: number;
  /** MN-HA request/response round trips per handover: BUs sent (retransmissions too) and IKE exchanges. */
  readonly roundTrips: number;
  /** From link change until protected payload reaches the MN again, in ms. */
  readonly interruptionMs: Distribution;
  /** Payload datagrams sent: correspondent to MNs (through the tunnel) and MNs to the correspondent. */
  readonly packetsSent: number;
  /** Of those, the ones that did not arrive (downlink: not through the tunnel). */
  readonly packetsLost: number;
  readonly invariantViolations: number;
  readonly violations: readonly InvariantViolation[];
  readonly steps: readonly StepMetrics[];
  /** The strategies' own counters (MIGRATEs written, MSRD writes, re-establishments...), summed. */
  readonly strategyCounters: Readonly<Record<string, number>>;
  readonly virtualTimeMs: number;
  readonly wallTimeMs: number;
  /** Where the wall time went: building the hosts, bootstrapping, the steps, and (within those) the checks. */
  readonly wall: {
    readonly buildMs: number;
    readonly bootstrapMs: number;
    readonly stepsMs: number;
    readonly checksMs: number;
  };
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { median: 0, p99: 0, mean: 0, max: 0, count: 0 };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    // Nearest-rank percentile: always a value that was observed.
    const rank = Math.min(s.length, Math.max(1, Math.ceil(p * s.length)));
    return s[rank - 1]!;
  };
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { median: q(0.5), p99: q(0.99), mean, max: s[s.length - 1]!, count: s.length };
}
