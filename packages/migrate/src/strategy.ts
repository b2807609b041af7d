/**
 * The MIGRATE interface design (draft-ebalard-mext-pfkey-enhanced-migrate): the MIPv6 side tells
 * the kernel, and through its broadcast the key manager, where the MN's SAs and IKE_SA now live.
 *
 * - MN: on movement (holding `mip6.movement`, before the MIPv6 daemon re-syncs its SPD and before
 *   the BU), one SADB_X_MIGRATE per policy of the binding with kmaddress (CoA, HA); holding
 *   `mip6.binding-sending` does the same if the BU's CoA is one no movement announced. The first
 *   BU from a foreign link is the bootstrap case (HoA -> CoA: the BU/BA transport policies carry
 *   the kmaddress IKE negotiates from), return home is CoA -> HoA; a refresh with the same CoA
 *   writes nothing. Tunnel entries the daemon only adds after leaving home get the HoA -> CoA
 *   MIGRATE of their SAs when they appear.
 * - HA: on accepting a BU that changes the CoA (holding `mip6.binding-accepted`) and on deleting a
 *   binding (holding `mip6.binding-deleted`, before the tunnel entries go: CoA -> HoA, as the MN
 *   did), the same for that MN's policies with kmaddress (HA, CoA).
 * - The resolver answers IKE from the kmaddress the kernel broadcast for the policy (or reqid).
 * - Beyond the draft: a reconciliation compares the binding list/cache with the SPD and SAD and
 *   re-issues what is missing, bounded and idempotent. It reads them, as the moves do, from the
 *   host's kernel image (core's KernelImage: one dump, then the kernel's broadcasts), so its cost is
 *   the binding's size, not the kernel's; the image is checked against a real dump when a repair
 *   does not take and on a slow timer.
 */
import type {
  AddressRequest,
  AddressResolver,
  Bus,
  BusEvent,
  HostRole,
  Ip,
  KernelBackend,
  KernelImage,
  KeyManager,
  MigrateRequest,
  MobilityStrategy,
  ResolvedAddresses,
  SecurityPolicy,
  StrategyContext,
  TimerHandle,
} from '@mip6sec/core';
import { KernelError, kernelImageOf, Mip6secError, policiesOfBinding } from '@mip6sec/core';
import type { Subscription } from 'rxjs';
import { KmaddressImage } from './kmaddress-image.js';
import {
  buildMigrates,
  type KmaddressLookup,
  kmaddressFor,
  planRepairs,
  type RepairScope,
} from './migrate-builder.js';
import { RetrySchedule } from './retry-schedule.js';
import { flowLookupSelector } from './selector-variants.js';
import { SerialQueue } from './serial-queue.js';

export interface MigrateStrategyOptions {
  /** Run the reconciliation after each binding event and periodically (default true). */
  readonly reconcile?: boolean;
  /** Period of the background reconciliation in ms; 0 turns the periodic pass off (default 10000). */
  readonly reconcileIntervalMs?: number;
  /**
   * How often the periodic pass first checks the kernel image against a real SPD/SAD dump, in ms;
   * 0 never (default 60000). Passes read the image, which the kernel's broadcasts keep current; the
   * check catches what a listener can miss (a full socket, a broadcast that names its policy
   * ambiguously) at the cost of one dump, amortised over the interval.
   */
  readonly imageCheckIntervalMs?: number;
  /** Failed passes in a row before a binding is left alone until its next event (default 5). */
  readonly maxAttempts?: number;
  /** Delay before the first retry of a failed pass, doubled each time (default 100 ms). */
  readonly backoffMs?: number;
  /** Upper bound of the retry delay (default 5000 ms). */
  readonly maxBackoffMs?: number;
  /**
   * Test seam: return true to lose this MIGRATE on its way to the kernel. A PF_KEY MIGRATE that
   * succeeds gets no reply, so the writer cannot tell a lost one from a successful one; the lab
   * uses this to show what reconciliation is for.
   */
  readonly dropMigrate?: (req: MigrateRequest) => boolean;
}

/** What happened to one MIGRATE. */
export type WriteOutcome = 'applied' | 'lost' | 'stale' | 'error';

interface TrackedBinding extends RepairScope {
  readonly previous: Set<Ip>;
}

const COUNTERS = [
  'migratesWritten',
  'migratesApplied',
  'migratesLost',
  'migratesStale',
  'migrateErrors',
  'reconciliations',
  'reconcileMigrates',
  'flowSelectorRetries',
  'reconcileGaveUp',
  'imageChecks',
  'errors',
] as const;
type Counter = (typeof COUNTERS)[number];

class MigrateResolver implements AddressResolver {
  constructor(
    private readonly image: KmaddressImage,
    private readonly keyManager: () => KeyManager | undefined,
  ) {}

  resolve(req: AddressRequest): ResolvedAddresses | undefined {
    const policy = req.policy ?? req.acquire?.policy;
    const byPolicy = policy ? this.image.forPolicy(policy) : undefined;
    if (byPolicy) return { local: byPolicy.local, remote: byPolicy.remote };
    const reqids = [req.reqid, ...(req.templates ?? []), ...(req.acquire?.templates ?? [])].map((r) =>
      typeof r === 'object' ? r.reqid : r,
    );
    for (const reqid of reqids) {
      const km = reqid ? this.image.forReqid(reqid) : undefined;
      if (km) return { local: km.local, remote: km.remote };
    }
    // The IKE daemon keeps the same kmaddress image; ask it before falling back to the template.
    return policy ? this.keyManager()?.hintFor(policy) : undefined;
  }
}

export class MigrateStrategy implements MobilityStrategy {
  readonly name = 'migrate';
  readonly updatesInPlace = true;
  readonly resolver: AddressResolver;

  private readonly opts: Required<Omit<MigrateStrategyOptions, 'dropMigrate'>> &
    Pick<MigrateStrategyOptions, 'dropMigrate'>;
  private readonly image = new KmaddressImage();
  private readonly queue = new SerialQueue();
  private readonly bindings = new Map<Ip, TrackedBinding>();
  private readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  private ctx?: StrategyContext;
  /** The host's SPD/SAD image (shared with its other daemons), read instead of dumping the kernel. */
  private kimage?: KernelImage;
  private lastImageCheck = 0;
  private subs: Subscription[] = [];
  private retries?: RetrySchedule;
  private periodic?: TimerHandle;
  /** The kernel found type-specific policies only with the flow-lookup selector last time. */
  private flowFirst = false;

  constructor(options: MigrateStrategyOptions = {}) {
    this.opts = {
      reconcile: options.reconcile ?? true,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 10_000,
      imageCheckIntervalMs: options.imageCheckIntervalMs ?? 60_000,
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      backoffMs: Math.max(1, options.backoffMs ?? 100),
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
      dropMigrate: options.dropMigrate,
    };
    this.resolver = new MigrateResolver(this.image, () => this.ctx?.keyManager);
  }

  start(ctx: StrategyContext): void {
    if (this.ctx) throw new Mip6secError('EBUSY', 'migrate strategy already started');
    this.ctx = ctx;
    const { bus } = ctx;
    this.kimage = kernelImageOf(ctx.kernel, bus);
    this.lastImageCheck = ctx.clock.now();
    this.subs.push(
      bus.on('kernel.migrate').subscribe((e) => this.image.learn(e)),
      bus.on('kernel.policy').subscribe((e) => {
        this.image.policyChanged(e);
        if (e.op === 'add' && e.policy) this.onPolicyAdded(e.policy);
      }),
    );
    if (ctx.role === 'mn') {
      this.subs.push(
        bus.on('mip6.movement').subscribe((e) => {
          e.waitUntil(this.move(bus, e, e.hoa, e.ha, e.oldCoa, e.newCoa, false));
        }),
        bus.on('mip6.binding-sending').subscribe((e) => {
          e.waitUntil(this.move(bus, e, e.hoa, e.ha, e.previousCoa, e.coa));
        }),
        bus.on('mip6.binding-acknowledged').subscribe((e) => {
          if (this.bindings.has(e.hoa)) this.triggerReconcile(e.hoa);
        }),
      );
    } else if (ctx.role === 'ha') {
      this.subs.push(
        bus.on('mip6.binding-accepted').subscribe((e) => {
          e.waitUntil(this.move(bus, e, e.hoa, e.ha, e.previousCoa, e.coa));
        }),
        // Held: the HA removes the tunnel entries only after this, so their SAs can follow the MN
        // back to its HoA (the entries are what the kernel finds SAs to migrate through).
        bus.on('mip6.binding-deleted').subscribe((e) => {
          e.waitUntil(this.move(bus, e, e.hoa, e.ha, e.previousCoa, e.hoa));
        }),
      );
    }
    if (this.opts.reconcile) {
      this.retries = new RetrySchedule(ctx.clock, this.opts, (hoa) => this.triggerReconcile(hoa, false));
      this.schedulePeriodic();
    }
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.periodic?.cancel();
    this.periodic = undefined;
    this.retries?.cancelAll();
    await this.queue.idle();
    this.ctx = undefined;
  }

  metrics(): Readonly<Record<string, number>> {
    return { ...this.counters, bindings: this.bindings.size, kmaddressHints: this.image.size };
  }

  /** Resolves when every MIGRATE and reconciliation pass submitted so far has finished (for tests and the lab). */
  whenIdle(): Promise<void> {
    return this.queue.idle();
  }

  /** One reconciliation pass over every tracked binding, now; resolves true when all are consistent. */
  async reconcileNow(): Promise<boolean> {
    const results = await Promise.all([...this.bindings.keys()].map((hoa) => this.enqueuePass(hoa)));
    return results.every(Boolean);
  }

  // ---- binding events ----

  private move(
    bus: Bus,
    event: BusEvent,
    hoa: Ip,
    ha: Ip,
    previous: Ip,
    to: Ip,
    bindingEvent = true,
  ): Promise<void> {
    const work = this.queue
      .run(async () => {
        const known = this.bindings.get(hoa);
        // The daemon's own belief of where the SAs are, as UMIP keeps it; the event's view otherwise.
        const from = known?.coa ?? previous;
        const prev = known?.previous ?? new Set<Ip>([hoa]);
        remember(prev, from, hoa);
        this.bindings.set(hoa, { hoa, ha, coa: to, previous: prev });
        if (from === to) return;
        const kimage = await this.freshImage();
        const reqs = buildMigrates(kimage.policiesOfBinding({ hoa, ha }), {
          role: this.role(),
          hoa,
          ha,
          from,
          to,
        });
        for (const req of reqs) await this.write(req);
      })
      .catch((err: unknown) => {
        this.counters.errors++;
        bus.reportError(event, err);
      });
    // Reconciliation follows binding events (BU, BA, deletion), not bare movements.
    if (this.opts.reconcile && bindingEvent) void work.then(() => this.triggerReconcile(hoa));
    return work;
  }

  /** Hands one MIGRATE to the kernel (in the selector form it last found policies with); never throws. */
  private async write(req: MigrateRequest): Promise<WriteOutcome> {
    const flow = flowLookupSelector(req.selector);
    const forms = flow ? (this.flowFirst ? [flow, req.selector] : [req.selector, flow]) : [req.selector];
    for (const [i, selector] of forms.entries()) {
      if (i > 0) this.counters.flowSelectorRetries++;
      const outcome = await this.writeOnce({ ...req, selector });
      if (outcome !== 'not-found') {
        if (flow && outcome === 'applied') this.flowFirst = selector === flow;
        return outcome;
      }
    }
    // ENOENT in every form: the policy is gone, nothing is left to move (UMIP ignores it too).
    this.counters.migratesStale++;
    return 'stale';
  }

  private async writeOnce(req: MigrateRequest): Promise<WriteOutcome | 'not-found'> {
    this.counters.migratesWritten++;
    if (this.opts.dropMigrate?.(req)) {
      this.counters.migratesLost++;
      return 'lost';
    }
    try {
      await this.kernel().migrate(req);
      this.counters.migratesApplied++;
      return 'applied';
    } catch (err) {
      if (err instanceof KernelError && err.code === 'ENOENT') return 'not-found';
      // ENODATA: no template has the old pair any more, i.e. this MIGRATE already happened.
      if (err instanceof KernelError && err.code === 'ENODATA') {
        this.counters.migratesStale++;
        return 'stale';
      }
      this.counters.migrateErrors++;
      return 'error';
    }
  }

  /**
   * Leaving home, the second half: the MIPv6 daemon removes its tunnel entries at home and adds
   * them again, already on the CoA, after the movement, so the HoA -> CoA MIGRATE of their SAs can
   * only be written once they exist. Only SAs on the HoA are moved here; anything else left behind
   * is the reconciliation's.
   */
  private onPolicyAdded(p: SecurityPolicy): void {
    // A binding's policies select on its HoA (a host prefix), so only those two bindings can own it.
    for (const hoa of new Set([p.selector.src.addr, p.selector.dst.addr])) {
      const b = this.bindings.get(hoa);
      if (!b || b.coa === b.hoa || policiesOfBinding([p], b).length === 0) continue;
      void this.queue
        .run(async () => {
          const current = this.bindings.get(b.hoa);
          if (!current || current.coa === current.hoa) return;
          const kimage = await this.freshImage();
          const now = kimage.policy(p);
          const trusted: KmaddressLookup = {
            forPolicy: () => kmaddressFor(this.role(), current.ha, current.coa),
          };
          const scope = { ...current, previous: new Set([current.hoa]) };
          const sas = kimage.sasAt(current.hoa);
          for (const req of planRepairs(now ? [now] : [], sas, trusted, scope, this.role())) {
            await this.write(req);
          }
        })
        .catch(() => this.counters.errors++);
    }
  }

  // ---- reconciliation ----

  private triggerReconcile(hoa: Ip, fresh = true): void {
    if (!this.opts.reconcile || !this.ctx) return;
    if (fresh) this.retries?.reset(hoa);
    void this.enqueuePass(hoa);
  }

  private enqueuePass(hoa: Ip): Promise<boolean> {
    return this.queue.run(async () => {
      const b = this.bindings.get(hoa);
      if (!b || !this.ctx) return true;
      let ok: boolean;
      try {
        ok = await this.reconcileBinding(b);
      } catch {
        this.counters.errors++;
        ok = false;
      }
      if (ok) this.retries?.succeeded(hoa);
      else if (this.retries?.failed(hoa) === 'gave-up') this.counters.reconcileGaveUp++;
      return ok;
    });
  }

  /** Brings one binding's SPD entries, SAs and kmaddress hints to its CoA; true when nothing is left. */
  private async reconcileBinding(b: TrackedBinding): Promise<boolean> {
    this.counters.reconciliations++;
    const role = this.role();
    const kimage = await this.freshImage();
    // The binding's entries and the SAs on its addresses: what a dump filtered to it would give.
    const plan = () =>
      planRepairs(kimage.policiesOfBinding(b), kimage.sasAtAny([...b.previous, b.coa]), this.image, b, role);
    const repairs = plan();
    if (repairs.length === 0) return true;
    for (const req of repairs) {
      this.counters.reconcileMigrates++;
      await this.write(req);
    }
    // Let the kernel's MIGRATE broadcasts reach the images before checking the result.
    await yieldToEventLoop();
    if (plan().length === 0) return true;
    // Repairs planned from the image that did not take: the image may be what is wrong, so the
    // next pass (the retry) reads it again from a dump first.
    kimage.markSuspect();
    return false;
  }

  /** The kernel image, reloaded first when suspect or when its periodic check against a dump is due. */
  private async freshImage(): Promise<KernelImage> {
    const kimage = this.kimage;
    if (!kimage) throw new Mip6secError('ESRCH', 'migrate strategy is not started');
    await kimage.fresh();
    return kimage;
  }

  /** Checks the image against a dump when the interval has passed (from the periodic pass). */
  private async checkImage(): Promise<void> {
    const ctx = this.ctx;
    const every = this.opts.imageCheckIntervalMs;
    if (!ctx || !this.kimage || every <= 0 || ctx.clock.now() - this.lastImageCheck < every) return;
    this.lastImageCheck = ctx.clock.now();
    this.counters.imageChecks++;
    await this.kimage.resync();
  }

  private schedulePeriodic(): void {
    const ctx = this.ctx;
    if (!ctx || this.opts.reconcileIntervalMs <= 0) return;
    this.periodic = ctx.clock.setTimeout(() => {
      void this.queue.run(() => this.checkImage()).catch(() => this.counters.errors++);
      for (const hoa of this.bindings.keys()) if (!this.retries?.busy(hoa)) void this.enqueuePass(hoa);
      this.schedulePeriodic();
    }, this.opts.reconcileIntervalMs);
  }

  private kernel(): KernelBackend {
    if (!this.ctx) throw new Mip6secError('ESRCH', 'migrate strategy is not started');
    return this.ctx.kernel;
  }

  private role(): HostRole {
    return this.ctx?.role ?? 'mn';
  }
}

/** Earlier addresses kept per binding: enough to catch SAs a late install left behind, bounded. */
const PREVIOUS_KEPT = 16;

function remember(set: Set<Ip>, ip: Ip, hoa: Ip): void {
  set.delete(ip);
  set.add(ip);
  for (const old of set) {
    if (set.size <= PREVIOUS_KEPT) break;
    if (old !== hoa) set.delete(old);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
