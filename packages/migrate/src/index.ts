/**
 * @packageDocumentation
 * The MIGRATE interface design (draft-ebalard-mext-pfkey-enhanced-migrate) as a MobilityStrategy:
 * SADB_X_MIGRATE with kmaddress before each BU (MN) and on each accepted CoA change (HA), a resolver
 * fed by the kernel's MIGRATE broadcasts, and a bounded, idempotent reconciliation for lost MIGRATEs.
 *
 * @example
 * ```ts
 * import { migrateStrategy } from '@mip6sec/migrate';
 * const plugins = [simKernel(), migrateStrategy({ reconcile: true })];
 * ```
 */
export { KmaddressImage, looseKey } from './kmaddress-image.js';
export {
  type BindingState,
  buildMigrates,
  type KmaddressLookup,
  kmaddressFor,
  MIGRATE_MAX_PAIRS,
  type MoveSpec,
  planRepairs,
  type RepairScope,
} from './migrate-builder.js';
export { migrateStrategy } from './plugin.js';
export { flowLookupSelector } from './selector-variants.js';
export { MigrateStrategy, type MigrateStrategyOptions, type WriteOutcome } from './strategy.js';
