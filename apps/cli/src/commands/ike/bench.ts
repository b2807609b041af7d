/**
 * `mip6sec ike bench`: N IKE_SA setups (IKE_SA_INIT + IKE_AUTH with the first CHILD_SA) against a
 * responder, C at a time, from one initiating daemon on real UDP, with @mip6sec/ike's setup driver
 * (`benchIkeSetups`: a fresh IKE SA per setup, no INITIAL_CONTACT, the latency of one from the call
 * until its CHILD_SA is installed, the SAs deleted afterwards outside the timing).
 */
import { benchIkeSetups, type SetupBenchResult } from '@mip6sec/ike';
import { InputError, stringify } from '../../io.js';
import { authFromFlags, daemonConfig, type PeerFlags, peerConfig } from './config.js';
import { formatIkeEndpoint, parseEndpoint, sourceAddressFor } from './endpoint.js';
import { IkeCommandError } from './failure.js';
import { startDaemon } from './runtime.js';

export interface BenchFlags extends PeerFlags {
  local?: string;
  remote?: string;
  nattPort?: number;
  remoteNattPort?: number;
  count: number;
  concurrency: number;
  warmup: number;
  json?: boolean;
  kernel: string;
}

export interface BenchResult extends SetupBenchResult {
  readonly remote: string;
  readonly proposal: readonly string[];
  /** CPU the driver used (user + system) for the timed setups and their deletion: near `seconds`, the driver was the limit. */
  readonly driverCpuSeconds: number;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

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
  const base = peerConfig(flags, await authFromFlags(flags), local.ip, remote, 'bench');
  // Peers are given per setup (the driver names each), so every initiate makes a new IKE SA.
  const cli = await startDaemon(daemonConfig(local.ip, []), local, remote);
  let run: SetupBenchResult;
  let cpu: NodeJS.CpuUsage;
  try {
    if (flags.warmup > 0)
      await benchIkeSetups(cli.daemon, base, { count: flags.warmup, concurrency: flags.concurrency });
    const cpu0 = process.cpuUsage();
    run = await benchIkeSetups(cli.daemon, base, { count: flags.count, concurrency: flags.concurrency });
    cpu = process.cpuUsage(cpu0);
  } finally {
    await cli.shutdown(1000);
  }
  const result: BenchResult = {
    ...run,
    remote: formatIkeEndpoint(remote),
    proposal: flags.ike,
    driverCpuSeconds: round((cpu.user + cpu.system) / 1e6, 3),
  };
  process.stdout.write(`${flags.json ? stringify(result, false) : describe(result)}\n`);
  if (result.established === 0) {
    const [code] = Object.keys(result.failures);
    throw new IkeCommandError(code ?? 'EIO', `none of ${flags.count} IKE_SA setups succeeded`);
  }
  return result;
}
