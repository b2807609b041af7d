/**
 * IKE's side of the MSRD: the MPI comes with the request, and the record gives the addresses.
 *
 * - An extended ACQUIRE carries the policy's SADB_X_EXT_REF (`acquire.ref`).
 * - A rekey: with `mpiInIke` IKE stored the reference with the SA (the resolver hands it back with
 *   every answer) and passes it as `ref`; without it the resolver finds the MPI again through the
 *   policy's reference, looking the policy up (or, given only a reqid, the policies with that reqid
 *   and the peer) in the host's kernel image rather than dumping the SPD.
 */
import type {
  AddressRequest,
  AddressResolver,
  HostRole,
  KernelImage,
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
  readonly context: () => { role: HostRole; image: KernelImage } | undefined;
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
      ref = await this.refFromPolicy(ctx.image, req);
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
  private async refFromPolicy(image: KernelImage, req: AddressRequest): Promise<MsrdRef | undefined> {
    await image.fresh();
    const policy = req.policy ?? req.acquire?.policy;
    if (policy) {
      const p = image.policy({ selector: policy.selector, dir: policy.dir });
      const ref = p && this.deps.refs.refOf(p);
      if (ref?.refType === this.deps.refType) return ref;
    }
    const reqids = new Set<number>();
    if (req.reqid !== undefined) reqids.add(req.reqid);
    for (const t of req.templates ?? req.acquire?.templates ?? []) reqids.add(t.reqid);
    reqids.delete(0);
    if (reqids.size === 0) return undefined;
    // Reqids are shared by every MN an HA serves, so a reqid alone is only trusted when the peer
    // narrows it down (or only one binding uses it). The peer's entries name it in their selector
    // or a template, which is what the image files them under.
    const peer = req.peer;
    const candidates =
      peer === undefined
        ? [...reqids].flatMap((r) => image.policiesWithReqid(r))
        : image.policiesAt(peer).filter((p) => p.templates.some((t) => reqids.has(t.reqid)));
    const mpis = new Map<bigint, MsrdRef>();
    for (const p of candidates) {
      const ref = this.deps.refs.refOf(p);
      if (ref?.refType === this.deps.refType) mpis.set(ref.mpi, ref);
    }
    return mpis.size === 1 ? [...mpis.values()][0] : undefined;
  }
}
