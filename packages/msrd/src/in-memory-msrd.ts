/**
 * The default MSRD: records in a Map keyed by MPI, an index by binding, and a Subject for changes.
 * Inputs are validated and canonicalised before anything changes, so bad input leaves the store as
 * it was. MPIs are allocated upwards and never reused, so a reference held by an old SA or policy
 * can never name another binding's record.
 */
import type { Ip, PolicyId } from '@mip6sec/core';
import { canonicalIp, selectorKey } from '@mip6sec/core';
import { type Observable, Subject } from 'rxjs';
import { MPI_MAX, MPI_MIN } from './constants.js';
import { MsrdError } from './errors.js';
import type { MsrdChange, MsrdPatch, MsrdRecord, MsrdRecordInput } from './record.js';
import type { MsrdStore } from './store.js';

export interface InMemoryMsrdOptions {
  /** First MPI handed out (default 1). */
  readonly firstMpi?: bigint;
}

function ip(text: unknown, field: string): Ip {
  if (typeof text !== 'string')
    throw new MsrdError('EINVAL', `${field} must be an address, got ${typeof text}`);
  try {
    return canonicalIp(text);
  } catch {
    throw new MsrdError('EINVAL', `${field} is not an address: ${JSON.stringify(text)}`);
  }
}

function checkMpi(mpi: unknown): bigint {
  if (typeof mpi !== 'bigint' || mpi < MPI_MIN || mpi > MPI_MAX) {
    throw new MsrdError('EINVAL', `MPI must be a u64 bigint from 1, got ${String(mpi)}`);
  }
  return mpi;
}

function reqidList(reqids: unknown): number[] {
  if (!Array.isArray(reqids)) throw new MsrdError('EINVAL', 'reqids must be an array');
  for (const r of reqids) {
    if (!Number.isInteger(r) || r < 0 || r > 0xffff_ffff)
      throw new MsrdError('EINVAL', `bad reqid ${String(r)}`);
  }
  return [...new Set(reqids as number[])].sort((a, b) => a - b);
}

function policyList(policies: unknown): PolicyId[] {
  if (!Array.isArray(policies)) throw new MsrdError('EINVAL', 'policies must be an array');
  const seen = new Map<string, PolicyId>();
  for (const p of policies as PolicyId[]) {
    if (!p || typeof p !== 'object' || !p.selector || !['in', 'out', 'fwd'].includes(p.dir)) {
      throw new MsrdError('EINVAL', 'a policy reference needs a selector and a direction');
    }
    let key: string;
    try {
      key = `${p.dir} ${selectorKey(p.selector)}`;
    } catch {
      throw new MsrdError('EINVAL', 'a policy reference has a malformed selector');
    }
    seen.set(key, { selector: p.selector, dir: p.dir });
  }
  return [...seen.values()];
}

const bindingKey = (hoa: Ip, ha: Ip) => `${hoa} ${ha}`;

function sameList<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): boolean {
  return a.length === b.length && a.every((x, i) => key(x) === key(b[i]!));
}
const policyIdKey = (p: PolicyId) => `${p.dir} ${selectorKey(p.selector)}`;

export class InMemoryMsrd implements MsrdStore {
  private readonly records = new Map<bigint, MsrdRecord>();
  private readonly byBinding = new Map<string, bigint>();
  private readonly subject = new Subject<MsrdChange>();
  private next: bigint;
  readonly changes: Observable<MsrdChange> = this.subject.asObservable();

  constructor(options: InMemoryMsrdOptions = {}) {
    this.next = checkMpi(options.firstMpi ?? MPI_MIN);
  }

  async create(input: MsrdRecordInput): Promise<MsrdRecord> {
    if (!input || typeof input !== 'object') throw new MsrdError('EINVAL', 'a record needs hoa, ha and coa');
    const hoa = ip(input.hoa, 'hoa');
    const ha = ip(input.ha, 'ha');
    const coa = ip(input.coa, 'coa');
    const policies = policyList(input.policies ?? []);
    const reqids = reqidList(input.reqids ?? []);
    const key = bindingKey(hoa, ha);
    const existing = this.byBinding.get(key);
    if (existing !== undefined)
      throw new MsrdError('EEXIST', `binding ${hoa} -> ${ha} already has MPI ${existing}`);
    if (this.next > MPI_MAX) throw new MsrdError('ENOSPC', 'no MPI left');
    const mpi = this.next++;
    const record: MsrdRecord = Object.freeze({ mpi, hoa, ha, coa, policies, reqids, version: 1 });
    this.records.set(mpi, record);
    this.byBinding.set(key, mpi);
    this.subject.next({ op: 'create', record });
    return record;
  }

  async get(mpi: bigint): Promise<MsrdRecord | undefined> {
    return typeof mpi === 'bigint' ? this.records.get(mpi) : undefined;
  }

  async findByBinding(hoa: Ip, ha: Ip): Promise<MsrdRecord | undefined> {
    const mpi = this.byBinding.get(bindingKey(ip(hoa, 'hoa'), ip(ha, 'ha')));
    return mpi === undefined ? undefined : this.records.get(mpi);
  }

  async list(): Promise<MsrdRecord[]> {
    return [...this.records.values()];
  }

  async update(mpi: bigint, patch: MsrdPatch, expectedVersion?: number): Promise<MsrdRecord> {
    checkMpi(mpi);
    const previous = this.records.get(mpi);
    if (!previous) throw new MsrdError('ENOENT', `no MSRD record with MPI ${mpi}`);
    if (expectedVersion !== undefined && expectedVersion !== previous.version) {
      throw new MsrdError('ESTALE', `MPI ${mpi} is at version ${previous.version}, not ${expectedVersion}`);
    }
    if (!patch || typeof patch !== 'object') throw new MsrdError('EINVAL', 'a patch must be an object');
    const coa = patch.coa === undefined ? previous.coa : ip(patch.coa, 'coa');
    const policies = patch.policies === undefined ? previous.policies : policyList(patch.policies);
    const reqids = patch.reqids === undefined ? previous.reqids : reqidList(patch.reqids);
    if (
      coa === previous.coa &&
      sameList(policies, previous.policies, policyIdKey) &&
      sameList(reqids, previous.reqids, String)
    ) {
      return previous;
    }
    const record: MsrdRecord = Object.freeze({
      ...previous,
      coa,
      policies,
      reqids,
      version: previous.version + 1,
    });
    this.records.set(mpi, record);
    this.subject.next({ op: 'update', record, previous });
    return record;
  }

  async delete(mpi: bigint): Promise<boolean> {
    const record = typeof mpi === 'bigint' ? this.records.get(mpi) : undefined;
    if (!record) return false;
    this.records.delete(mpi);
    this.byBinding.delete(bindingKey(record.hoa, record.ha));
    this.subject.next({ op: 'delete', record, previous: record });
    return true;
  }

  /** Ends the change stream (subscribers complete). */
  close(): void {
    this.subject.complete();
  }
}
