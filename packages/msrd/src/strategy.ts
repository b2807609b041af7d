/**
 * The MSRD interface design (Qi et al., "Interfacing between IKEv2/IPsec & MIPv6 by simple PF_KEY
 * extensions"): MIPv6 writes the binding into the Mobile Security Reference Database, the policies
 * carry the record's MPI as SADB_X_EXT_REF, and everything else follows the record.
 *
 * - MN: on movement (holding `mip6.movement`) and before each BU (holding `mip6.binding-sending`)
 *   the record of (HoA, HA) gets the CoA; on bootstrap it is created, with a new MPI.
 * - HA: on accepting a BU (holding `mip6.binding-accepted`) and on deleting a binding (holding
 *   `mip6.binding-deleted`, so the tunnel SAs reach the HoA before the entries go).
 * - Each write binds the binding's SPD entries to the MPI (SPDUPDATE with the ref) and lets the
 *   kernel side ({@link MsrdKernelSync}) move tunnel SPs/SAs and IKE_SAs to the record's CoA.
 * - The resolver answers IKE from the record an ACQUIRE's or SA's reference names.
 */
import type {
  AddressResolver,
  Bus,
  BusEvent,
  HostRole,
  Ip,
  KernelBackend,
  KernelImage,
  KernelPolicyChanged,
  MobilityStrategy,
  PolicyData,
  SecurityPolicy,
  StrategyContext,
} from '@mip6sec/core';
import { isHostPrefix, kernelImageOf, Mip6secError, policiesOfBinding } from '@mip6sec/core';
import type { Subscription } from 'rxjs';
import { MSRD_REF_TYPE_BINDING } from './constants.js';
import { InMemoryMsrd } from './in-memory-msrd.js';
import { type KernelApplyMode, MsrdKernelSync } from './kernel-sync.js';
import { IkeMsrdApi, KernelMsrdApi, Mip6MsrdApi } from './msrd-api.js';
import { PolicyRefImage } from './policy-ref-image.js';
import type { MsrdRecord } from './record.js';
import { MsrdResolver } from './resolver.js';
import { SerialQueue } from './serial-queue.js';
import type { MsrdStore } from './store.js';

export interface MsrdStrategyOptions {
  /** Where records live (default: a new {@link InMemoryMsrd} per host). */
  readonly store?: MsrdStore;
  /**
   * True: IKE stores the reference with each SA (the resolver returns it) and passes it back when
   * rekeying. False: IKE keeps nothing; a rekey finds the MPI through the policy's reference.
   * Default true.
   */
  readonly mpiInIke?: boolean;
  /** `sadb_ref_type` of the references this strategy writes (default MSRD_REF_TYPE_BINDING). */
  readonly refType?: number;
  /**
   * How the kernel side moves tunnel SPs/SAs to the record's CoA: 'migrate' (default; keeps SA
   * state, as a kernel reading the CoA through the reference would) or 'update' (SPDUPDATE and
   * SADB_UPDATE, which PF_KEY turns into delete + add). See {@link MsrdKernelSync}.
   */
  readonly kernelApply?: KernelApplyMode;
}

const COUNTERS = [
  'msrdWrites',
  'msrdCreates',
  'policiesBound',
  'policyUpdates',
  'saUpdates',
  'kernelMigrates',
  'ikeUpdates',
  'resolvedViaAcquire',
  'resolvedViaIke',
  'resolvedViaPolicy',
  'resolveMisses',
  'errors',
] as const;
type Counter = (typeof COUNTERS)[number];

export class MsrdStrategy implements MobilityStrategy {
  readonly name = 'msrd';
  readonly updatesInPlace = true;
  readonly resolver: AddressResolver;
  readonly store: MsrdStore;
  readonly mpiInIke: boolean;
  readonly refType: number;
  readonly kernelApply: KernelApplyMode;

  private readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  private readonly queue = new SerialQueue();
  private readonly mip6: Mip6MsrdApi;
  private readonly refs = new PolicyRefImage();
  private ctx?: StrategyContext;
  /** The host's SPD/SAD image (shared with its other daemons), read instead of dumping the kernel. */
  private image?: KernelImage;
  private sync?: MsrdKernelSync;
  private subs: Subscription[] = [];

  constructor(options: MsrdStrategyOptions = {}) {
    this.store = options.store ?? new InMemoryMsrd();
    this.mpiInIke = options.mpiInIke ?? true;
    this.refType = options.refType ?? MSRD_REF_TYPE_BINDING;
    this.kernelApply = options.kernelApply ?? 'migrate';
    this.mip6 = new Mip6MsrdApi(this.store);
    this.resolver = new MsrdResolver({
      msrd: new IkeMsrdApi(this.store, this.refType),
      mpiInIke: this.mpiInIke,
      refType: this.refType,
      counters: this.counters,
      refs: this.refs,
      context: () => (this.ctx && this.image ? { role: this.ctx.role, image: this.image } : undefined),
    });
  }

  start(ctx: StrategyContext): void {
    if (this.ctx) throw new Mip6secError('EBUSY', 'msrd strategy already started');
    this.ctx = ctx;
    this.image = kernelImageOf(ctx.kernel, ctx.bus);
    const sync = new MsrdKernelSync(
      ctx.kernel,
      this.image,
      new KernelMsrdApi(this.store),
      ctx.role,
      this.refType,
      () => this.ctx?.keyManager,
      this.counters,
      this.refs,
      this.kernelApply,
    );
    this.sync = sync;
    const { bus } = ctx;
    this.subs.push(
      // Records written by another process sharing the store reach the kernel the same way.
      this.store.changes.subscribe((c) => {
        if (c.op === 'delete') {
          sync.forget(c.record.mpi);
          return;
        }
        if (c.previous) sync.remember(c.record.mpi, c.previous.coa);
        const { mpi, version } = c.record;
        void this.queue
          .run(async () => {
            if (!sync.isApplied(mpi, version)) await sync.apply(mpi, version);
          })
          .catch(() => this.counters.errors++);
      }),
      bus.on('kernel.policy').subscribe((e) => {
        this.refs.learn(e);
        this.onPolicyChanged(e);
      }),
    );
    if (ctx.role === 'mn') {
      this.subs.push(
        bus
          .on('mip6.movement')
          .subscribe((e) => e.waitUntil(this.write(bus, e, e.hoa, e.ha, e.newCoa, e.oldCoa))),
        bus
          .on('mip6.binding-sending')
          .subscribe((e) => e.waitUntil(this.write(bus, e, e.hoa, e.ha, e.coa, e.previousCoa))),
      );
    } else if (ctx.role === 'ha') {
      this.subs.push(
        bus
          .on('mip6.binding-accepted')
          .subscribe((e) => e.waitUntil(this.write(bus, e, e.hoa, e.ha, e.coa, e.previousCoa))),
        // Held: the tunnel entries carrying the reference are removed only after the SAs followed
        // the record back to the HoA.
        bus
          .on('mip6.binding-deleted')
          .subscribe((e) => e.waitUntil(this.write(bus, e, e.hoa, e.ha, e.hoa, e.previousCoa))),
      );
    }
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    await this.queue.idle();
    this.ctx = undefined;
    this.image = undefined;
    this.sync = undefined;
  }

  metrics(): Readonly<Record<string, number>> {
    return { ...this.counters };
  }

  /** Resolves when every write and kernel update submitted so far has finished (for tests and the lab). */
  whenIdle(): Promise<void> {
    return this.queue.idle();
  }

  /** Writes the CoA of a binding (creating its record on bootstrap), binds its policies and applies it. */
  private write(bus: Bus, event: BusEvent, hoa: Ip, ha: Ip, coa: Ip, previous: Ip): Promise<void> {
    return this.queue
      .run(async () => {
        const sync = this.sync;
        if (!sync) return;
        const before = await this.store.findByBinding(hoa, ha);
        if (before) sync.remember(before.mpi, before.coa);
        const { record, created, moved } = await this.mip6.register(hoa, ha, coa);
        // Where the event says the SAs are bound now: on bootstrap the record has no earlier CoA.
        sync.remember(record.mpi, previous);
        if (created) this.counters.msrdCreates++;
        if (created || moved) this.counters.msrdWrites++;
        const bound = await this.bindPolicies(record);
        await sync.apply(bound.mpi, bound.version);
      })
      .catch((err: unknown) => {
        this.counters.errors++;
        bus.reportError(event, err);
      });
  }

  /**
   * Puts the MPI on every SPD entry of the binding that lacks it (SPDUPDATE with SADB_X_EXT_REF) and
   * records the entries and their reqids in the MSRD.
   */
  private async bindPolicies(record: MsrdRecord): Promise<MsrdRecord> {
    const kernel = this.kernel();
    const image = this.image!;
    await image.fresh();
    const mine = image.policiesOfBinding(record);
    for (const p of mine) await this.bindOne(kernel, p, record.mpi);
    const reqids = new Set<number>();
    for (const p of mine) for (const t of p.templates) reqids.add(t.reqid);
    return this.mip6.bindPolicies(
      record.mpi,
      mine.map((p) => ({ selector: p.selector, dir: p.dir })),
      [...reqids],
    );
  }

  private async bindOne(kernel: KernelBackend, p: SecurityPolicy, mpi: bigint): Promise<void> {
    const have = this.refs.refOf(p);
    if (have?.mpi === mpi && have.refType === this.refType) return;
    const data: PolicyData = {
      action: p.action,
      priority: p.priority,
      templates: p.templates,
      ref: { mpi, refType: this.refType },
    };
    const now = await kernel.updatePolicy({ selector: p.selector, dir: p.dir }, data);
    this.refs.set(p, now.ref ?? data.ref);
    this.counters.policiesBound++;
  }

  /**
   * An entry of a known binding added or rewritten without its reference (the MIPv6 daemon installs
   * tunnel entries when the MN leaves home, and re-installs entries as plain SPDUPDATEs): bind it
   * again and let the kernel side check its endpoints.
   */
  private onPolicyChanged(e: KernelPolicyChanged): void {
    const p = e.policy;
    if ((e.op !== 'add' && e.op !== 'update') || !p || p.action !== 'protect') return;
    if (p.ref?.refType === this.refType) return;
    void this.queue
      .run(async () => {
        const sync = this.sync;
        // A later broadcast (our own SPDUPDATE) may have put the reference back meanwhile.
        if (!sync || this.refs.refOf({ selector: p.selector, dir: p.dir })?.refType === this.refType) return;
        for (const record of await this.bindingsOf(p)) {
          if (policiesOfBinding([p], record).length === 0) continue;
          const bound = await this.bindPolicies(record);
          await sync.apply(bound.mpi, bound.version);
          return;
        }
      })
      .catch(() => this.counters.errors++);
  }

  /**
   * The records an entry may belong to: a binding's entries select on its HoA (a host prefix) and
   * name its HA in a template or the selector, so those few (HoA, HA) pairs are looked up rather
   * than every record listed.
   */
  private async bindingsOf(p: SecurityPolicy): Promise<MsrdRecord[]> {
    const s = p.selector;
    const hoas = [s.src, s.dst].filter((x) => isHostPrefix(x, x.addr)).map((x) => x.addr);
    const has = new Set([s.src.addr, s.dst.addr]);
    for (const t of p.templates) {
      if (t.src !== undefined) has.add(t.src);
      if (t.dst !== undefined) has.add(t.dst);
    }
    const out: MsrdRecord[] = [];
    for (const hoa of new Set(hoas)) {
      for (const ha of has) {
        if (ha === hoa) continue;
        const r = await this.store.findByBinding(hoa, ha);
        if (r) out.push(r);
      }
    }
    return out;
  }

  private kernel(): KernelBackend {
    if (!this.ctx) throw new Mip6secError('ESRCH', 'msrd strategy is not started');
    return this.ctx.kernel;
  }

  /** The role the strategy was started with (undefined before start). */
  get role(): HostRole | undefined {
    return this.ctx?.role;
  }
}
