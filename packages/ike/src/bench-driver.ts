/**
 * The IKE_SA setup benchmark driver: N fresh IKE SAs (IKE_SA_INIT + IKE_AUTH with the first
 * CHILD_SA) from one initiating daemon against a responder, C at a time. Every setup gets its own
 * peer entry without INITIAL_CONTACT, so the responder keeps the earlier SAs and nothing is
 * reused; a setup's latency runs from the call until its CHILD_SA is installed. The SAs are
 * deleted afterwards, outside the timing. `benchIkeSetups` drives any responder (ours in process,
 * or charon over UDP); `benchResponder` builds our responder and initiator on an in-memory network.
 */
import { Bus, type Clock, type CryptoProvider, type KernelBackend, SystemClock } from '@mip6sec/core';
import type { IkeDaemonConfig, PeerConfig } from './config.js';
import { IkeError } from './errors.js';
import { IkeDaemon } from './ike-daemon.js';
import { MemoryNetwork } from './memory-transport.js';

export interface SetupBenchOptions {
  /** IKE SAs to set up (timed). */
  readonly count: number;
  /** Setups in flight at once. */
  readonly concurrency: number;
  /** Setups made (and deleted) before timing starts, default 0. */
  readonly warmup?: number;
  /** Where the timing comes from, default a SystemClock. */
  readonly clock?: Clock;
  /** Delete the SAs afterwards (not timed), default true. */
  readonly teardown?: boolean;
}

export interface SetupBenchResult {
  readonly count: number;
  readonly concurrency: number;
  readonly established: number;
  readonly failed: number;
  /** Failures by notify name or error code. */
  readonly failures: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly setupsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
}

/** Nearest-rank percentile of sorted values (NaN for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const codeOf = (e: unknown) =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : 'EIO';

async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}

/** Runs the setups from `initiator` (started) with `peer` as the template of every peer entry. */
export async function benchIkeSetups(
  initiator: IkeDaemon,
  peer: PeerConfig,
  opts: SetupBenchOptions,
): Promise<SetupBenchResult> {
  if (
    !Number.isInteger(opts.count) ||
    opts.count < 1 ||
    !Number.isInteger(opts.concurrency) ||
    opts.concurrency < 1
  )
    throw new IkeError('EINVAL', 'count and concurrency must be whole numbers above 0');
  const clock = opts.clock ?? new SystemClock();
  const made: string[] = [];
  let serial = 0;
  const setup = async (failures?: Record<string, number>, latencies?: number[]) => {
    const start = clock.now();
    try {
      const r = await initiator.initiate({
        ...peer,
        name: `${peer.name}#${serial++}`,
        initialContact: false,
      });
      made.push(r.ike.ikeSpi);
      const failed = r.failures[0];
      if (failed) {
        if (failures) failures[failed.code] = (failures[failed.code] ?? 0) + 1;
      } else latencies?.push(clock.now() - start);
    } catch (e) {
      if (failures) failures[codeOf(e)] = (failures[codeOf(e)] ?? 0) + 1;
    }
  };
  const teardown = async () => {
    if (opts.teardown === false) return;
    const all = made.splice(0);
    await pool(all.length, opts.concurrency, (i) => initiator.terminate(all[i]!).catch(() => undefined));
  };
  if (opts.warmup) {
    await pool(opts.warmup, opts.concurrency, () => setup());
    await teardown();
  }
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const t0 = clock.now();
  await pool(opts.count, opts.concurrency, () => setup(failures, latencies));
  const seconds = (clock.now() - t0) / 1000;
  await teardown();
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    count: opts.count,
    concurrency: opts.concurrency,
    established: latencies.length,
    failed: opts.count - latencies.length,
    failures,
    seconds: Math.round(seconds * 10_000) / 10_000,
    setupsPerSecond: round(latencies.length / seconds),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(percentile(latencies, 100)),
      mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    },
  };
}

export interface ResponderBenchOptions extends SetupBenchOptions {
  /** A fresh kernel for each daemon (the responder's CHILD_SAs go there). */
  readonly kernel: () => KernelBackend;
  readonly crypto: CryptoProvider;
  /** IKE proposals, default `aes128gcm16-prfsha256-x25519`. */
  readonly ike?: readonly string[];
  /** ESP proposals of the first CHILD_SA, default `aes128gcm16`. */
  readonly esp?: readonly string[];
  /** Extra responder daemon options (cookieThreshold, windowSize, ...). */
  readonly responder?: Partial<IkeDaemonConfig>;
  /** Peer authentication, default a PSK. */
  readonly auth?: { readonly initiator: PeerConfig['auth']; readonly responder: PeerConfig['auth'] };
}

const RESPONDER = '2001:db8:be::1';
const INITIATOR = '2001:db8:be::2';

/**
 * Our responder and one initiating daemon on an in-memory network in this process, the setups
 * run with `benchIkeSetups`. Both ends share the one thread, so the rate is bounded by both
 * sides' work (the initiator does the same DH and AUTH work as the responder).
 */
export async function benchResponder(opts: ResponderBenchOptions): Promise<SetupBenchResult> {
  const clock = opts.clock ?? new SystemClock();
  const net = new MemoryNetwork();
  const ike = opts.ike ?? ['aes128gcm16-prfsha256-x25519'];
  const esp = opts.esp ?? ['aes128gcm16'];
  const psk = { psk: 'ike bench pre-shared key 0123456789' };
  const responder = new IkeDaemon(
    {
      listen: [RESPONDER],
      rekeyJitter: 0,
      ...opts.responder,
      peers: [
        {
          name: 'initiators',
          localId: 'gw.bench.test',
          remoteId: '%any',
          auth: opts.auth?.responder ?? psk,
          ike,
          children: [
            { name: 'net', esp, localTs: ['10.1.0.0/16'], remoteTs: ['10.2.0.0/16'], rekeySeconds: 0 },
          ],
        },
      ],
    },
    new Bus(),
    clock,
    opts.kernel(),
    opts.crypto,
    net.transport(),
  );
  const initiator = new IkeDaemon(
    { listen: [INITIATOR], rekeyJitter: 0 },
    new Bus(),
    clock,
    opts.kernel(),
    opts.crypto,
    net.transport(),
  );
  await responder.start();
  await initiator.start();
  try {
    return await benchIkeSetups(
      initiator,
      {
        name: 'gw',
        local: INITIATOR,
        remote: RESPONDER,
        localId: 'driver@bench.test',
        remoteId: 'gw.bench.test',
        auth: opts.auth?.initiator ?? psk,
        ike,
        mobike: false,
        children: [
          { name: 'net', esp, localTs: ['10.2.0.0/16'], remoteTs: ['10.1.0.0/16'], rekeySeconds: 0 },
        ],
      },
      { ...opts, clock },
    );
  } finally {
    await initiator.stop();
    await responder.stop();
  }
}
