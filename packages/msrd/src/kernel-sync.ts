/**
 * The kernel side of the MSRD. In the proposal the kernel reads the CoA of a referenced policy from
 * the MSRD when it builds tunnel headers, so SA state never changes on a move. The simulated and the
 * Linux kernels have no MSRD, so this module plays that part from user space: for every SPD entry
 * whose SADB_X_EXT_REF names the MPI it reads the record (KernelMsrdApi.query) and makes the entry's
 * tunnel templates and the SAs of its reqids say the record's CoA, in one of two ways:
 *
 * - 'migrate' (default): SADB_X_MIGRATE without kmaddress. It is the only kernel operation that
 *   re-points SPs and SAs keeping sequence numbers and replay windows, which is what reading the CoA
 *   at packet time amounts to; without kmaddress it tells IKE nothing (strongSwan ignores such a
 *   MIGRATE), so IKE still learns only through the MSRD path below.
 * - 'update': SPDUPDATE for the templates and SADB_UPDATE with new addresses for the SAs. Through
 *   PF_KEY that is a delete and re-add, so counters and replay state restart (and in-flight packets
 *   may be dropped as replays); offered to show that cost.
 *
 * IKE is told through KeyManager.updateAddresses(cause 'msrd'), the only signalling the design needs
 * besides BU/BA. Everything is compared with what the kernel and IKE hold first, so
 * applying the same record twice changes nothing the second time. What the kernel holds is read
 * from the host's KernelImage (kept from the kernel's broadcasts), not dumped per record; a command
 * the image did not predict (ENOENT, ENODATA) makes it reload from a dump before the next apply.
 */
import type {
  HostRole,
  Ip,
  IpsecRequest,
  KernelBackend,
  KernelImage,
  KeyManager,
  MigrateBundle,
  MigrateRequest,
  PolicyData,
  SecurityAssociation,
  SecurityPolicy,
} from '@mip6sec/core';
import { KernelError, mnEndpoint, prefixContains, tunnelEndpoints } from '@mip6sec/core';
import type { KernelMsrdApi } from './msrd-api.js';
import type { PolicyRefImage } from './policy-ref-image.js';
import { flowLookupSelector } from './selector-variants.js';

export type KernelApplyMode = 'migrate' | 'update';

export interface KernelSyncCounters {
  policyUpdates: number;
  saUpdates: number;
  kernelMigrates: number;
  ikeUpdates: number;
  errors: number;
}

/** Addresses an MPI's SAs were bound to before (HoA, earlier CoAs), bounded; only SAs there are moved. */
const PREVIOUS_KEPT = 16;
/** Linux XFRM_MAX_DEPTH: pairs per MIGRATE. */
const MAX_PAIRS = 6;

function carriesHoa(sa: SecurityAssociation, hoa: Ip): boolean {
  const s = sa.selector;
  if (!s) return true;
  // A wildcard side (::/0) says nothing about whose traffic it is; the other side must hold the HoA.
  return (s.src.len > 0 && prefixContains(s.src, hoa)) || (s.dst.len > 0 && prefixContains(s.dst, hoa));
}

function pair(t: IpsecRequest, old: { src: Ip; dst: Ip }, next: { src: Ip; dst: Ip }): MigrateBundle {
  return {
    proto: t.proto,
    mode: t.mode,
    level: t.level,
    reqid: t.reqid,
    oldSrc: old.src,
    oldDst: old.dst,
    newSrc: next.src,
    newDst: next.dst,
  };
}

interface Target {
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa: Ip;
  readonly previous: ReadonlySet<Ip>;
}

export class MsrdKernelSync {
  private readonly previous = new Map<bigint, Set<Ip>>();
  private readonly appliedVersion = new Map<bigint, number>();
  private flowFirst = false;

  constructor(
    private readonly kernel: KernelBackend,
    /** The host's SPD/SAD image: what the kernel holds, read without dumping it. */
    private readonly image: KernelImage,
    private readonly msrd: KernelMsrdApi,
    private readonly role: HostRole,
    private readonly refType: number,
    private readonly keyManager: () => KeyManager | undefined,
    private readonly counters: KernelSyncCounters,
    private readonly refs: PolicyRefImage,
    private readonly mode: KernelApplyMode = 'migrate',
  ) {}

  /** Notes addresses a record's SAs were bound to, so SAs still there count as this binding's. */
  remember(mpi: bigint, ...ips: Ip[]): void {
    const set = this.previous.get(mpi) ?? new Set<Ip>();
    for (const ip of ips) {
      set.delete(ip);
      set.add(ip);
    }
    for (const old of set) {
      if (set.size <= PREVIOUS_KEPT) break;
      set.delete(old);
    }
    this.previous.set(mpi, set);
  }

  forget(mpi: bigint): void {
    this.previous.delete(mpi);
    this.appliedVersion.delete(mpi);
  }

  /** True when `version` of the MPI was applied already (a notification of our own write). */
  isApplied(mpi: bigint, version: number): boolean {
    return (this.appliedVersion.get(mpi) ?? 0) >= version;
  }

  /** Makes the kernel's referenced entries, their SAs and IKE follow the MSRD record of `mpi`. */
  async apply(mpi: bigint, version: number): Promise<void> {
    const rec = await this.msrd.query(mpi);
    if (!rec) return;
    this.remember(mpi, rec.hoa);
    const target: Target = { ...rec, previous: this.previous.get(mpi) ?? new Set() };
    await this.image.fresh();
    // Entries carrying the MPI select on the record's HoA (they are the binding's), so the image's
    // entries at the HoA hold them all.
    const policies = this.image.policiesAt(rec.hoa).filter((p) => {
      const ref = this.refs.refOf(p);
      return ref?.mpi === mpi && ref.refType === this.refType;
    });
    // IKE first: its record of the IKE_SA and CHILD_SAs then already says the CoA when the kernel's
    // MIGRATE broadcast (which has no kmaddress) arrives, so the move is the MSRD's, not MIGRATE's.
    await this.updateIke(mpi, target);
    // Only SAs on one of the binding's earlier addresses are ever moved (see staleSas).
    const sas = this.image.sasAtAny(target.previous);
    if (this.mode === 'migrate') await this.applyByMigrate(policies, sas, target);
    else await this.applyByUpdate(policies, sas, target);
    this.appliedVersion.set(mpi, Math.max(version, this.appliedVersion.get(mpi) ?? 0));
  }

  /** Tunnel SAs of `t`'s reqid and orientation still on an earlier address of the binding. */
  private staleSas(t: IpsecRequest, sas: readonly SecurityAssociation[], x: Target): SecurityAssociation[] {
    const haIsSrc = t.src === x.ha;
    return sas.filter((sa) => {
      if (sa.mode !== 'tunnel' || sa.proto !== t.proto || sa.reqid !== t.reqid) return false;
      if (sa.state === 'dead' || sa.state === 'larval') return false;
      const mn = haIsSrc ? (sa.src === x.ha ? sa.dst : undefined) : sa.dst === x.ha ? sa.src : undefined;
      return mn !== undefined && mn !== x.coa && x.previous.has(mn) && carriesHoa(sa, x.hoa);
    });
  }

  private async applyByMigrate(
    policies: readonly SecurityPolicy[],
    sas: readonly SecurityAssociation[],
    x: Target,
  ): Promise<void> {
    const claimed = new Set<SecurityAssociation>();
    for (const p of policies) {
      const moving: MigrateBundle[] = [];
      let anchor: MigrateBundle | undefined;
      for (const t of p.templates) {
        const mn = mnEndpoint(t, x.ha);
        if (mn === undefined) continue;
        const to = tunnelEndpoints(t, x.ha, x.coa);
        if (mn !== x.coa) moving.push(pair(t, tunnelEndpoints(t, x.ha, mn), to));
        else anchor ??= pair(t, to, to);
        for (const sa of this.staleSas(t, sas, x)) {
          if (claimed.has(sa)) continue;
          claimed.add(sa);
          // SAs on the template's own old pair move with it; others need their own pair.
          if (mn !== x.coa && sa.src === t.src && sa.dst === t.dst) continue;
          moving.push(pair(t, { src: sa.src, dst: sa.dst }, to));
        }
      }
      const seen = new Set<string>();
      const unique = moving.filter((b) => {
        const k = `${b.proto} ${b.reqid} ${b.oldSrc} ${b.oldDst}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      if (unique.length === 0) continue;
      // The kernel needs one entry matching a template; a template already on the CoA is the anchor.
      const movesTemplate = unique.some((b) =>
        p.templates.some((t) => t.src === b.oldSrc && t.dst === b.oldDst),
      );
      const lead = movesTemplate || !anchor ? [] : [anchor];
      for (let i = 0; i < unique.length; i += MAX_PAIRS - lead.length) {
        const bundles = [...lead, ...unique.slice(i, i + MAX_PAIRS - lead.length)];
        await this.migrate({ selector: p.selector, dir: p.dir, bundles });
      }
    }
  }

  /** One MIGRATE, in the selector form the kernel finds type-specific policies with. */
  private async migrate(req: MigrateRequest): Promise<void> {
    const flow = flowLookupSelector(req.selector);
    const forms = flow ? (this.flowFirst ? [flow, req.selector] : [req.selector, flow]) : [req.selector];
    for (const selector of forms) {
      try {
        await this.kernel.migrate({ ...req, selector });
        this.counters.kernelMigrates++;
        if (flow) this.flowFirst = selector === flow;
        return;
      } catch (err) {
        if (err instanceof KernelError && err.code === 'ENOENT') continue;
        // ENODATA: the kernel holds the CoA already (a concurrent apply won); anything else is counted.
        if (!(err instanceof KernelError && err.code === 'ENODATA')) this.counters.errors++;
        // Either way the image planned a move the kernel did not see: read it again next time.
        this.image.markSuspect();
        return;
      }
    }
    // No form found the policy the image holds.
    this.image.markSuspect();
  }

  private async applyByUpdate(
    policies: readonly SecurityPolicy[],
    sas: readonly SecurityAssociation[],
    x: Target,
  ): Promise<void> {
    const stale = new Set<SecurityAssociation>();
    for (const p of policies) {
      let changed = false;
      const templates = p.templates.map((t) => {
        const mn = mnEndpoint(t, x.ha);
        if (mn === undefined) return t;
        for (const sa of this.staleSas(t, sas, x)) stale.add(sa);
        if (mn === x.coa) return t;
        changed = true;
        return { ...t, ...tunnelEndpoints(t, x.ha, x.coa) };
      });
      if (!changed) continue;
      const ref = this.refs.refOf(p);
      const data: PolicyData = { action: p.action, priority: p.priority, templates, ...(ref ? { ref } : {}) };
      try {
        const now = await this.kernel.updatePolicy({ selector: p.selector, dir: p.dir }, data);
        this.refs.set(p, now.ref ?? ref);
        this.counters.policyUpdates++;
      } catch {
        this.counters.errors++;
        this.image.markSuspect();
      }
    }
    for (const sa of stale) {
      const haIsSrc = sa.src === x.ha;
      try {
        await this.kernel.updateSa(
          { src: sa.src, dst: sa.dst, spi: sa.spi, proto: sa.proto },
          haIsSrc ? { newDst: x.coa } : { newSrc: x.coa },
        );
        this.counters.saUpdates++;
      } catch {
        this.counters.errors++;
        this.image.markSuspect();
      }
    }
  }

  /**
   * Moves the IKE_SAs of this binding to the record's addresses. On the MN they are the ones with
   * the HA; on the HA, whose reqids are shared by every MN it serves, the ones carrying the MPI or
   * talking to one of this binding's earlier addresses.
   */
  private async updateIke(mpi: bigint, x: Target): Promise<void> {
    const km = this.keyManager();
    if (!km) return;
    const to = this.role === 'ha' ? { local: x.ha, remote: x.coa } : { local: x.coa, remote: x.ha };
    const pairs = new Map<string, { local: Ip; remote: Ip }>();
    // Only the few IKE_SAs that can be this binding's are listed: on the HA, those with the MPI or
    // on one of the binding's earlier addresses (the HA serves every MN); on the MN, those with the HA.
    const match = this.role === 'ha' ? { remotes: [...x.previous], mpi } : { remotes: [x.ha] };
    for (const sa of km.ikeSas(match)) {
      const local = sa.local.ip;
      const remote = sa.remote.ip;
      if (local === to.local && remote === to.remote) continue;
      const ours =
        this.role === 'ha'
          ? local === x.ha && (sa.ref?.mpi === mpi || (x.previous.has(remote) && remote !== x.coa))
          : remote === x.ha;
      if (ours) pairs.set(`${local} ${remote}`, { local, remote });
    }
    for (const match of pairs.values()) {
      try {
        if ((await km.updateAddresses(match, to, 'msrd')) > 0) this.counters.ikeUpdates++;
      } catch {
        this.counters.errors++;
      }
    }
  }
}
