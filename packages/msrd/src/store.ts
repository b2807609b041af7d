/**
 * The MSRD behind an interface, so a store shared by the daemons of one host (the MIPv6 daemon
 * writing, the IKE daemon reading, possibly in other processes) can replace the in-memory one.
 * Every method is async for that reason; changes are announced on an Observable.
 */
import type { Ip } from '@mip6sec/core';
import type { Observable } from 'rxjs';
import type { MsrdChange, MsrdPatch, MsrdRecord, MsrdRecordInput } from './record.js';

export interface MsrdStore {
  /** Allocates an MPI and stores the record; EEXIST when the (HoA, HA) binding has one. */
  create(input: MsrdRecordInput): Promise<MsrdRecord>;
  get(mpi: bigint): Promise<MsrdRecord | undefined>;
  findByBinding(hoa: Ip, ha: Ip): Promise<MsrdRecord | undefined>;
  list(): Promise<MsrdRecord[]>;
  /**
   * Changes a record; ENOENT when it does not exist, ESTALE when `expectedVersion` is given and no
   * longer current. A patch that changes nothing returns the record as it is and announces nothing.
   */
  update(mpi: bigint, patch: MsrdPatch, expectedVersion?: number): Promise<MsrdRecord>;
  /** Removes a record; false when there was none. Its MPI is not handed out again. */
  delete(mpi: bigint): Promise<boolean>;
  /** Every create, effective update and delete, after it happened. */
  readonly changes: Observable<MsrdChange>;
}
