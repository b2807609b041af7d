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

export interface StrategyMetrics {
  readonly strategy: string;
  readonly scenario: string;
  /** Handovers started and the ones that completed (binding acknowledged). */
  readonly handovers: number;
  readonly handoversCompleted: number;
  readonly ikeExchanges: number;
  readonly ikeMessages: number;
  /** PF_KEY messages across the user/kernel boundary, both directions, all hosts. */
  readonly kernelMessages: number;
  /** Bytes sent or received over radio links (signalling and payload). */
  readonly bytesOnAir: number;
  /** Signalling bytes only (IKE, MH), over any link. */
  readonly signallingBytes: number;
  /** MN-HA request/response round trips of signalling per handover (BU/BA, IKE exchanges). */
  readonly roundTrips: number;
  /** From link change until protected payload flows again, in ms. */
  readonly interruptionMs: Distribution;
  readonly packetsSent: number;
  readonly packetsLost: number;
  readonly invariantViolations: number;
  readonly violations: readonly InvariantViolation[];
  readonly strategyCounters: Readonly<Record<string, number>>;
  readonly virtualTimeMs: number;
  readonly wallTimeMs: number;
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

/** A counter bag the scenario fills while it runs. */
export class MetricsRecorder {
  ikeExchanges = 0;
  ikeMessages = 0;
  signallingBytes = 0;
  bytesOnAir = 0;
  roundTrips = 0;
  packetsSent = 0;
  packetsReceived = 0;
  handovers = 0;
  handoversCompleted = 0;
  readonly interruptions: number[] = [];
  readonly violations: InvariantViolation[] = [];
}
