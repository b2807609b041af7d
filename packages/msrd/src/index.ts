/**
 * @packageDocumentation
 * The MSRD interface design (Qi et al.): the Mobile Security Reference Database indexed by MPI
 * (in memory by default, any shared store behind {@link MsrdStore}), policies bound to their MPI
 * with SADB_X_EXT_REF, and the strategy whose resolver answers IKE from the record an extended
 * ACQUIRE or a stored SA names.
 *
 * @example
 * ```ts
 * import { InMemoryMsrd, msrdStrategy } from '@mip6sec/msrd';
 * const store = new InMemoryMsrd();
 * const plugins = [simKernel(), msrdStrategy({ store, mpiInIke: false })];
 * ```
 */
export { MPI_MAX, MPI_MIN, MSRD_REF_TYPE_BINDING } from './constants.js';
export { MsrdError } from './errors.js';
export { InMemoryMsrd, type InMemoryMsrdOptions } from './in-memory-msrd.js';
export { type KernelApplyMode, type KernelSyncCounters, MsrdKernelSync } from './kernel-sync.js';
export { IkeMsrdApi, KernelMsrdApi, Mip6MsrdApi, type MsrdAddresses } from './msrd-api.js';
export { msrdStrategy } from './plugin.js';
export { PolicyRefImage } from './policy-ref-image.js';
export type { MsrdChange, MsrdPatch, MsrdRecord, MsrdRecordInput } from './record.js';
export { MsrdResolver, type MsrdResolverDeps, type ResolverCounters } from './resolver.js';
export type { MsrdStore } from './store.js';
export { MsrdStrategy, type MsrdStrategyOptions } from './strategy.js';
