/**
 * The three faces of the MSRD the proposal describes: MIPv6 writes it (a record on bootstrap, the
 * CoA on each movement), IKE reads it by MPI (from an extended ACQUIRE or a stored SA), and the
 * kernel queries it for the addresses of a referenced policy. Each is a thin view over one store.
 */
import type { Ip, MsrdRef, PolicyId } from '@mip6sec/core';
import { MsrdError } from './errors.js';
import type { MsrdRecord } from './record.js';
import type { MsrdStore } from './store.js';

export interface MsrdAddresses {
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa: Ip;
}

export class Mip6MsrdApi {
  constructor(private readonly store: MsrdStore) {}

  /**
   * The record of a binding with `coa` as its CoA: created on bootstrap, updated on movement,
   * returned as it is when nothing changed.
   */
  async register(
    hoa: Ip,
    ha: Ip,
    coa: Ip,
  ): Promise<{ record: MsrdRecord; created: boolean; moved: boolean }> {
    const found = await this.store.findByBinding(hoa, ha);
    if (!found) {
      try {
        return { record: await this.store.create({ hoa, ha, coa }), created: true, moved: false };
      } catch (err) {
        // Another writer sharing the store created it meanwhile: take theirs.
        if (!(err instanceof MsrdError && err.code === 'EEXIST')) throw err;
        return this.register(hoa, ha, coa);
      }
    }
    const record = await this.store.update(found.mpi, { coa });
    return { record, created: false, moved: record.version !== found.version };
  }

  /** Records which SPD entries (and their reqids) carry this MPI. */
  bindPolicies(mpi: bigint, policies: readonly PolicyId[], reqids: readonly number[]): Promise<MsrdRecord> {
    return this.store.update(mpi, { policies, reqids });
  }
}

export class IkeMsrdApi {
  constructor(
    private readonly store: MsrdStore,
    private readonly refType: number,
  ) {}

  /** The binding a reference names, or undefined for another kind of reference or an unknown MPI. */
  async lookup(ref: MsrdRef): Promise<MsrdRecord | undefined> {
    if (ref.refType !== this.refType) return undefined;
    return this.store.get(ref.mpi);
  }
}

export class KernelMsrdApi {
  constructor(private readonly store: MsrdStore) {}

  /** The addresses the kernel's tunnel endpoints for an MPI must have. */
  async query(mpi: bigint): Promise<MsrdAddresses | undefined> {
    const r = await this.store.get(mpi);
    return r ? { hoa: r.hoa, ha: r.ha, coa: r.coa } : undefined;
  }
}
