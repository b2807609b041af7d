/**
 * @packageDocumentation
 * A simulated kernel IPsec: SPD/SAD/PAD, PF_KEY v2 sockets with Linux's broadcast rules, ACQUIRE,
 * MIGRATE and an ESP datapath with real crypto, on a virtual clock. `SimKernel` is core's KernelBackend
 * over a PF_KEY socket; `simKernel()` is the plugin that gives each host one.
 *
 * @example
 * ```ts
 * import { Bus, VirtualClock, selector } from '@mip6sec/core';
 * import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
 * const kernel = new PfkeyKernel({ clock: new VirtualClock() });
 * const bus = new Bus();
 * bus.on('kernel.acquire').subscribe((a) => console.log('ACQUIRE', a.seq, a.src, '->', a.dst));
 * const backend = new SimKernel(kernel, bus); // registers for ESP and AH through PF_KEY
 * await backend.addPolicy(
 *   { selector: selector('2001:db8::100', '2001:db8::1', { proto: 135, mhType: 5 }), dir: 'out' },
 *   { action: 'protect', priority: 0, templates: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid: 1 }] },
 * );
 * kernel.datapath.output({ src: '2001:db8::100', dst: '2001:db8::1', proto: 135, payload: Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 0) });
 * // -> { kind: 'acquire' }, and an ACQUIRE event on the bus
 * ```
 */
export { type AcquireEntry, AcquireTable, DEFAULT_ACQ_EXPIRES } from './acquire.js';
export {
  encById,
  encId,
  integById,
  integId,
  supportedAuth,
  supportedEncrypt,
} from './algorithms.js';
export {
  Datapath,
  type DatapathHooks,
  type DatapathStats,
  IKE_PORT,
  type InputResult,
  NAT_T_PORT,
  type OutputResult,
} from './datapath.js';
export { ESP_HEADER_LEN, type EspSuite, espHeader, espOpen, espSeal } from './esp.js';
export * from './ip-packet.js';
export { type Json, kernelJson, policyJson } from './kernel-json.js';
export { type ExpireKind, Lifetimes } from './lifetimes.js';
export { applyMigrate, type MigrateLookup, type MigrateOutcome, migrateFlowKey } from './migrate.js';
export { Pad, type PadEntry, type PadEntryInput } from './pad.js';
export { type KernelSnapshot, PfkeyKernel, type PfkeyKernelOptions } from './pfkey-kernel.js';
export { DEFAULT_RCVBUF, PfkeySocket } from './pfkey-socket.js';
export { SIM_KERNEL, type SimKernelPluginOptions, simKernel } from './plugin.js';
export { type ReplayOptions, type ReplayOutput, runReplay } from './replay.js';
export { MAX_REPLAY_WINDOW, type ReplayVerdict, ReplayWindow } from './replay-window.js';
export { Sad, type SaRecord, toSecurityAssociation } from './sad.js';
export { policyFromMessage, SimKernel, type SimKernelOptions } from './sim-kernel.js';
export { directionOfIndex, type PolicyRecord, Spd, spdPart } from './spd.js';
export { comparePolicies, linearLookup, SpdIndex } from './spd-index.js';
