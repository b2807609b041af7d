/**
 * One MSRD record: everything IPsec needs to know about an MN-HA binding, indexed by its Mobility
 * Policy Index (MPI). The policies carry the MPI as their SADB_X_EXT_REF, so the kernel's ACQUIREs
 * and IKE's rekeys can find the record again.
 */
import type { Ip, PolicyId } from '@mip6sec/core';

export interface MsrdRecord {
  /** Mobility Policy Index, a u64 never 0 and never reused within a store. */
  readonly mpi: bigint;
  readonly hoa: Ip;
  readonly ha: Ip;
  /** Current care-of address; equals the HoA when the MN is at home. */
  readonly coa: Ip;
  /** The SPD entries bound to this MPI on the host that owns the store. */
  readonly policies: readonly PolicyId[];
  /** Reqids of those entries' templates, i.e. of the SAs IKE negotiates for them. */
  readonly reqids: readonly number[];
  /** Incremented by every change; lets a writer detect a concurrent one and a reader skip old news. */
  readonly version: number;
}

export interface MsrdRecordInput {
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa: Ip;
  readonly policies?: readonly PolicyId[];
  readonly reqids?: readonly number[];
}

export type MsrdPatch = Partial<Pick<MsrdRecord, 'coa' | 'policies' | 'reqids'>>;

export interface MsrdChange {
  readonly op: 'create' | 'update' | 'delete';
  readonly record: MsrdRecord;
  /** The record before an update or delete. */
  readonly previous?: MsrdRecord;
}
