/**
 * @packageDocumentation
 * The lab: a simulated network (links with delay, jitter, loss, duplication, reordering, seeded),
 * hosts wired from the real packages (kernel-sim, IKE, MIPv6, a strategy), scenarios, metrics,
 * invariant checks and a pcap writer. `runComparison` is the main job behind `mip6sec compare`.
 *
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { runComparison } from '@mip6sec/lab';
 * const r = await runComparison({ handovers: 5, rttMs: 50, loss: 0.01, seed: 1 });
 * for (const [name, m] of Object.entries(r.strategies)) console.log(name, m.interruptionMs.median, m.ikeExchanges);
 * ```
 */
export * from './compare.js';
export * from './invariants.js';
export * from './keys.js';
export * from './metrics.js';
export * from './network.js';
export * from './pcap.js';
export * from './rng.js';
export * from './scenario.js';
export * from './sim-node.js';
export * from './simulation.js';
export * from './traffic.js';
export * from './world.js';
