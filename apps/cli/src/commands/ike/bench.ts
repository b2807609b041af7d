/**
 * `mip6sec ike bench`: N IKE_SA setups (IKE_SA_INIT + IKE_AUTH with the first CHILD_SA) against a
 * responder, C at a time, from one initiating daemon. Each setup is a fresh IKE SA (its own peer
 * entry, no INITIAL_CONTACT, so the responder keeps the earlier ones); the latency of one is from
 * the call until its CHILD_SA is installed. The SAs are deleted afterwards, outside the timing.
 */
import { InputError, stringify } from '../../io.js';
import { authFromFlags, daemonConfig, type PeerFlags, peerConfig } from './config.js';
import { formatIkeEndpoint, parseEndpoint, sourceAddressFor } from './endpoint.js';
import { failureCode, IkeCommandError } from './failure.js';
import { startDaemon } from './runtime.js';

export interface BenchFlags extends PeerFlags {
  local?: string;
  remote?: string;
  nattPort?: number;
  remoteNattPort?: number;
  count: number;
  concurrency: number;
  json?: boolean;
  kernel: string;
}

export interface BenchResult {
  readonly remote: string;
  readonly proposal: readonly string[];
  readonly count: number;
  readonly concurrency: number;
  readonly established: number;
  readonly failed: number;
  /** Failures by notify name or errno code. */
  readonly failures: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly setupsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** CPU the driver itself used (user + system), so a reader can tell when the driver was the limit. */
  readonly driverCpuSeconds: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function describe(r: BenchResult): string {
  const failures = Object.entries(r.failures)
    .map(([code, n]) => `${code} x${n}`)
    .join(', ');
  return [
    `${r.count} IKE_SA setups against ${r.remote} (${r.proposal.join(', ') || 'default proposal'}), ${r.concurrency} at a time`,
    `  ${r.established} established, ${r.failed} failed${failures ? ` (${failures})` : ''} in ${r.seconds.toFixed(3)} s: ${r.setupsPerSecond.toFixed(1)} setups/s`,
    `  latency ms: p50 ${r.latencyMs.p50.toFixed(1)}  p90 ${r.latencyMs.p90.toFixed(1)}  p99 ${r.latencyMs.p99.toFixed(1)}  max ${r.latencyMs.max.toFixed(1)}`,
    `  driver CPU ${r.driverCpuSeconds.toFixed(2)} s`,
  ].join('\n');
}

export async function bench(flags: BenchFlags): Promise<BenchResult> {
  if (flags.remote === undefined) throw new InputError('EINVAL', 'give --remote ADDR[:PORT]');
  const remote = parseEndpoint(flags.remote, '--remote', flags.remoteNattPort);
  const local = parseEndpoint(flags.local ?? (await sourceAddressFor(remote.ip)), '--local', flags.nattPort);
  const base = peerConfig(flags, authFromFlags(flags), local.ip, remote, 'bench');
  // Peers are given per setup, so every initiate makes a new IKE SA.
  const cli = await startDaemon(daemonConfig(local.ip, []), local, remote);
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const up: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < flags.count) {
      const i = next++;
      const start = performance.now();
      try {
        const r = await cli.daemon.initiate({ ...base, name: `bench-${i}`, initialContact: false });
        up.push(r.ike.ikeSpi);
        const failed = r.failures[0];
        if (failed) failures[failed.code] = (failures[failed.code] ?? 0) + 1;
        else latencies.push(performance.now() - start);
      } catch (e) {
        const code = failureCode(e);
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(flags.concurrency, flags.count) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Deleted C at a time so the responder ends as it began; not timed.
  let k = 0;
  const reaper = async () => {
    while (k < up.length) {
      const ikeSpi = up[k++]!;
      await cli.daemon.terminate(ikeSpi).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: flags.concurrency }, reaper));
  await cli.shutdown(1000);
  latencies.sort((a, b) => a - b);
  const result: BenchResult = {
    remote: formatIkeEndpoint(remote),
    proposal: flags.ike,
    count: flags.count,
    concurrency: flags.concurrency,
    established: latencies.length,
    failed: flags.count - latencies.length,
    failures,
    seconds: round(seconds, 4),
    setupsPerSecond: round(latencies.length / seconds),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(percentile(latencies, 100)),
    },
    driverCpuSeconds: round((cpu.user + cpu.system) / 1e6, 3),
  };
  process.stdout.write(`${flags.json ? stringify(result, false) : describe(result)}\n`);
  if (result.established === 0) {
    const [code] = Object.keys(failures);
    throw new IkeCommandError(code ?? 'EIO', `none of ${flags.count} IKE_SA setups succeeded`);
  }
  return result;
}
