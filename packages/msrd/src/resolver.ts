/**
 * IKE's side of the MSRD: the MPI comes with the request, and the record gives the addresses.
 *
 * - An extended ACQUIRE carries the policy's SADB_X_EXT_REF (`acquire.ref`).
 * - A rekey: with `mpiInIke` IKE stored the reference with the SA (the resolver hands it back with
 *   every answer) and passes it as `ref`; without it the resolver finds the MPI again through the
 *   policy's reference, by querying the policy (or, given only a reqid, dumping the SPD).
 */
import type {
  AddressRequest,
  AddressResolver,
  HostRole,
  KernelBackend,
  MsrdRef,
  ResolvedAddresses,
} from '@mip6sec/core';
import type { IkeMsrdApi } from './msrd-api.js';
import type { PolicyRefImage } from './policy-ref-image.js';

export interface ResolverCounters {
  resolvedViaAcquire: number;
  resolvedViaIke: number;
  resolvedViaPolicy: number;
  resolveMisses: number;
}

export interface MsrdResolverDeps {
  readonly msrd: IkeMsrdApi;
  readonly mpiInIke: boolean;
  readonly refType: number;
  readonly counters: ResolverCounters;
  /** Policy references as the kernel announced them (dumps do not carry them). */
  readonly refs: PolicyRefImage;
  /** The started strategy's role and kernel, or undefined before start. */
  readonly context: () => { role: HostRole; kernel: KernelBackend } | undefined;
}

export class MsrdResolver implements AddressResolver {
  constructor(private readonly deps: MsrdResolverDeps) {}

  async resolve(req: AddressRequest): Promise<ResolvedAddresses | undefined> {
    const ctx = this.deps.context();
    if (!ctx) return undefined;
    const { counters } = this.deps;
    let ref: MsrdRef | undefined;
    let via: keyof ResolverCounters = 'resolveMisses';
    if (req.acquire?.ref) {
      ref = req.acquire.ref;
      via = 'resolvedViaAcquire';
    } else if (this.deps.mpiInIke && req.ref) {
      ref = req.ref;
      via = 'resolvedViaIke';
    } else {
      ref = await this.refFromPolicy(ctx.kernel, req);
      via = 'resolvedViaPolicy';
    }
    const rec = ref ? await this.deps.msrd.lookup(ref) : undefined;
    if (!ref || !rec) {
      counters.resolveMisses++;
      return undefined;
    }
    counters[via]++;
    const addresses =
      ctx.role === 'ha' ? { local: rec.ha, remote: rec.coa } : { local: rec.coa, remote: rec.ha };
    // Handing the reference back is what lets IKE store it with the SA; without mpiInIke it must not.
    return this.deps.mpiInIke ? { ...addresses, ref } : addresses;
  }

  /** The reference of the policy the request is about, as the kernel holds it. */
  private async refFromPolicy(kernel: KernelBackend, req: AddressRequest): Promise<MsrdRef | undefined> {
    const policy = req.policy ?? req.acquire?.policy;
    if (policy) {
      const p = await kernel.queryPolicy({ selector: policy.selector, dir: policy.dir });
      const ref = p && this.deps.refs.refOf(p);
      if (ref?.refType === this.deps.refType) return ref;
    }
    const reqids = new Set<number>();
    if (req.reqid !== undefined) reqids.add(req.reqid);
    for (const t of req.templates ?? req.acquire?.templates ?? []) reqids.add(t.reqid);
    reqids.delete(0);
    if (reqids.size === 0) return undefined;
    // Reqids are shared by every MN an HA serves, so a reqid alone is only trusted when the peer
    // narrows it down (or only one binding uses it).
    const mpis = new Map<bigint, MsrdRef>();
    for (const p of await kernel.dumpPolicies()) {
      const ref = this.deps.refs.refOf(p);
      if (ref?.refType !== this.deps.refType || !p.templates.some((t) => reqids.has(t.reqid))) continue;
      const peer = req.peer;
      const involvesPeer =
        peer === undefined ||
        p.templates.some((t) => t.src === peer || t.dst === peer) ||
        p.selector.src.addr === peer ||
        p.selector.dst.addr === peer;
      if (!involvesPeer) continue;
      mpis.set(ref.mpi, ref);
    }
    return mpis.size === 1 ? [...mpis.values()][0] : undefined;
  }
}
