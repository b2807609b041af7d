/**
 * The baseline without any interface between Mobile IPv6 and IKE (RFC 3776 4.4 steps 9-10 without
 * the K bit): after each movement the IKE_SA and CHILD_SAs bound to the old CoA are deleted and
 * negotiated again from the new CoA before the BU can be protected.
 *
 * - MN: holds `mip6.binding-sending` until KeyManager.reestablish(HA, CoA) has finished, whenever an
 *   IKE_SA with the HA runs from another address. A refresh from the same CoA, and a first BU with
 *   no IKE_SA yet (the BU's ACQUIRE negotiates from the CoA), hold nothing.
 * - HA: nothing special for IKE; its IKE answers the MN's new negotiation.
 * - Both: without an interface the MIPv6 side re-installs its own tunnel entries for the new CoA
 *   (SPDUPDATE, holding `mip6.movement` on the MN and `mip6.binding-accepted` on the HA; the mip6
 *   daemons leave moving existing entries to the strategy). SAs are not touched: the old ones die
 *   with the old IKE_SA and the new ones are negotiated on the new CoA.
 * - The resolver answers with the MN's current CoA, tracked from `mip6.movement` (and the binding
 *   events on the HA), so the re-negotiation and any ACQUIRE start from the right address.
 */
import type {
  AddressRequest,
  AddressResolver,
  HostRole,
  Ip,
  MobilityStrategy,
  PolicyData,
  ResolvedAddresses,
  StrategyContext,
} from '@mip6sec/core';
import { isHostPrefix, Mip6secError, mnEndpoint, policiesOfBinding, tunnelEndpoints } from '@mip6sec/core';
import type { Subscription } from 'rxjs';
import { SerialQueue } from './serial-queue.js';

export type RenegotiateStrategyOptions = Record<string, never>;

interface Tracked {
  readonly hoa: Ip;
  readonly ha: Ip;
  coa: Ip;
}

const COUNTERS = [
  'reestablishments',
  'reestablishErrors',
  'bindingHoldMs',
  'policyUpdates',
  'resolved',
  'resolveMisses',
  'errors',
] as const;
type Counter = (typeof COUNTERS)[number];

class RenegotiateResolver implements AddressResolver {
  constructor(
    private readonly bindings: ReadonlyMap<Ip, Tracked>,
    private readonly role: () => HostRole | undefined,
    private readonly counters: Record<Counter, number>,
  ) {}

  resolve(req: AddressRequest): ResolvedAddresses | undefined {
    const role = this.role();
    const b = role ? this.bindingFor(req) : undefined;
    if (!b) {
      this.counters.resolveMisses++;
      return undefined;
    }
    this.counters.resolved++;
    return role === 'ha' ? { local: b.ha, remote: b.coa } : { local: b.coa, remote: b.ha };
  }

  private bindingFor(req: AddressRequest): Tracked | undefined {
    const s = (req.policy ?? req.acquire?.policy)?.selector;
    if (s) {
      for (const b of this.bindings.values())
        if (isHostPrefix(s.src, b.hoa) || isHostPrefix(s.dst, b.hoa)) return b;
      return undefined;
    }
    // Without a selector only an unambiguous answer is safe: a single binding, or the one with this peer.
    const all = [...this.bindings.values()];
    const peer = req.peer;
    const matching = peer === undefined ? all : all.filter((b) => b.ha === peer || b.coa === peer);
    return matching.length === 1 ? matching[0] : undefined;
  }
}

export class RenegotiateStrategy implements MobilityStrategy {
  readonly name = 'renegotiate';
  readonly updatesInPlace = false;
  readonly resolver: AddressResolver;

  private readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  private readonly bindings = new Map<Ip, Tracked>();
  private readonly queue = new SerialQueue();
  private ctx?: StrategyContext;
  private subs: Subscription[] = [];

  constructor(_options: RenegotiateStrategyOptions = {}) {
    this.resolver = new RenegotiateResolver(this.bindings, () => this.ctx?.role, this.counters);
  }

  start(ctx: StrategyContext): void {
    if (this.ctx) throw new Mip6secError('EBUSY', 'renegotiate strategy already started');
    this.ctx = ctx;
    const { bus } = ctx;
    if (ctx.role === 'mn') {
      this.subs.push(
        bus.on('mip6.movement').subscribe((e) => {
          this.track(e.hoa, e.ha, e.newCoa);
          e.waitUntil(this.repoint(e.hoa, e.ha, e.newCoa));
        }),
        bus.on('mip6.binding-sending').subscribe((e) => {
          this.track(e.hoa, e.ha, e.coa);
          e.waitUntil(
            this.repoint(e.hoa, e.ha, e.coa).then(() =>
              this.reestablish(e.ha, e.coa).catch((err: unknown) => {
                this.counters.reestablishErrors++;
                bus.reportError(e, err);
              }),
            ),
          );
        }),
      );
    } else if (ctx.role === 'ha') {
      this.subs.push(
        bus.on('mip6.binding-accepted').subscribe((e) => {
          this.track(e.hoa, e.ha, e.coa);
          e.waitUntil(this.repoint(e.hoa, e.ha, e.coa));
        }),
        bus.on('mip6.binding-deleted').subscribe((e) => {
          this.track(e.hoa, e.ha, e.hoa);
          void this.repoint(e.hoa, e.ha, e.hoa);
        }),
      );
    }
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    await this.queue.idle();
    this.ctx = undefined;
  }

  metrics(): Readonly<Record<string, number>> {
    return { ...this.counters };
  }

  /** Resolves when every re-negotiation started so far has finished. */
  whenIdle(): Promise<void> {
    return this.queue.idle();
  }

  private track(hoa: Ip, ha: Ip, coa: Ip): void {
    const b = this.bindings.get(hoa);
    if (b && b.ha === ha) b.coa = coa;
    else this.bindings.set(hoa, { hoa, ha, coa });
  }

  /** Re-installs the binding's tunnel entries with `coa` as the MN end (SPDUPDATE); never throws. */
  private repoint(hoa: Ip, ha: Ip, coa: Ip): Promise<void> {
    return this.queue
      .run(async () => {
        const kernel = this.ctx?.kernel;
        // At home nothing is tunnelled: the MIPv6 daemon removes its tunnel entries, and an
        // SPDUPDATE racing that removal would put them back (SPDUPDATE adds what is missing).
        if (!kernel || coa === hoa) return;
        for (const p of policiesOfBinding(await kernel.dumpPolicies(), { hoa, ha })) {
          if (!p.templates.some((t) => mnEndpoint(t, ha) !== undefined && mnEndpoint(t, ha) !== coa))
            continue;
          const templates = p.templates.map((t) =>
            mnEndpoint(t, ha) === undefined ? t : { ...t, ...tunnelEndpoints(t, ha, coa) },
          );
          const data: PolicyData = {
            action: p.action,
            priority: p.priority,
            templates,
            ...(p.ref ? { ref: p.ref } : {}),
          };
          await kernel.updatePolicy({ selector: p.selector, dir: p.dir }, data);
          this.counters.policyUpdates++;
        }
      })
      .catch(() => {
        this.counters.errors++;
      });
  }

  /** Tears down and re-runs IKE with the HA from `coa` if any IKE_SA with it runs from elsewhere. */
  private reestablish(ha: Ip, coa: Ip): Promise<void> {
    return this.queue.run(async () => {
      const ctx = this.ctx;
      const km = ctx?.keyManager;
      if (!ctx || !km) return;
      const stale = km.ikeSas().some((sa) => sa.remote.ip === ha && sa.local.ip !== coa);
      if (!stale) return;
      const started = ctx.clock.now();
      try {
        await km.reestablish(ha, coa);
        this.counters.reestablishments++;
      } finally {
        this.counters.bindingHoldMs += ctx.clock.now() - started;
      }
    });
  }
}
