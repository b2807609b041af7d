/**
 * @packageDocumentation
 * The no-interface baseline as a MobilityStrategy: after each move the MN's IKE_SA and CHILD_SAs
 * are torn down and negotiated again from the new care-of address before the BU may leave.
 *
 * @example
 * ```ts
 * import { renegotiateStrategy } from '@mip6sec/renegotiate';
 * const plugins = [simKernel(), renegotiateStrategy()];
 * ```
 */
export { renegotiateStrategy } from './plugin.js';
export { RenegotiateStrategy, type RenegotiateStrategyOptions } from './strategy.js';
