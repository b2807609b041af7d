/**
 * The baseline without any interface between Mobile IPv6 and IKE (RFC 3776 4.4 steps 9-10 without
 * the K bit): after each movement the IKE_SA and CHILD_SAs bound to the old CoA are deleted and
 * negotiated again from the new CoA before the BU can be protected.
 *
 * - MN: holds `mip6.binding-sending` until KeyManager.reestablish(HA, CoA) has finished, whenever an
 *   IKE_SA with the HA runs from another address. A refresh from the same CoA, and a first BU with
 *   no IKE_SA yet (the BU's ACQUIRE negotiates from the CoA), hold nothing.
 * - HA: its IKE answers the MN's new negotiation. Once the binding moves (a BU from another CoA,
 *   or the deregistration), whatever IKE state is still bound to the previous address is
 *   discarded, as RFC 6275 10.3.1 has a home agent do when keys do not follow the CoA: the MN
 *   left that address. Typically a negotiation the HA's IKE began there itself, when downlink
 *   payload raised an ACQUIRE after the MN's INITIAL_CONTACT had removed the old SAs but before
 *   the BU re-pointed the tunnel; left alone it would retransmit toward the old CoA for minutes.
 * - Both: without an interface the MIPv6 side re-installs its own tunnel entries for the new CoA
 *   (SPDUPDATE, holding `mip6.movement` on the MN and `mip6.binding-accepted` on the HA; the mip6
 *   daemons leave moving existing entries to the strategy). The old SAs die with the old IKE_SA
 *   and the new ones are negotiated on the new CoA; on the HA, the binding's SAs still bound to
 *   the old CoA once it moved (an IKE daemon that restarted no longer knows them) are deleted.
 * - The resolver answers with the MN's current CoA, tracked from `mip6.movement` (and the binding
 *   events on the HA), so the re-negotiation and any ACQUIRE start from the right address.
 */
import type {
  AddressRequest,
  AddressResolver,
  HostRole,
  Ip,
  KernelImage,
  MobilityStrategy,
  PolicyData,
  ResolvedAddresses,
  StrategyContext,
} from '@mip6sec/core';
import {
  isHostPrefix,
  KernelError,
  kernelImageOf,
  Mip6secError,
  mnEndpoint,
  tunnelEndpoints,
} from '@mip6sec/core';
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
  'staleIkeSasDiscarded',
  'orphanSasDeleted',
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
      // Bindings are keyed by HoA and a binding's entries select on it (a host prefix): look the two
      // selector addresses up; only a selector with a HoA on both sides needs the first-tracked one.
      const src = this.bindings.get(s.src.addr);
      const dst = this.bindings.get(s.dst.addr);
      const bySrc = src && isHostPrefix(s.src, src.hoa) ? src : undefined;
      const byDst = dst && isHostPrefix(s.dst, dst.hoa) ? dst : undefined;
      if (!bySrc || !byDst || bySrc === byDst) return bySrc ?? byDst;
      for (const b of this.bindings.values()) if (b === bySrc || b === byDst) return b;
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
  /** The host's SPD/SAD image (shared with its other daemons). */
  private image?: KernelImage;
  private subs: Subscription[] = [];

  constructor(_options: RenegotiateStrategyOptions = {}) {
    this.resolver = new RenegotiateResolver(this.bindings, () => this.ctx?.role, this.counters);
  }

  start(ctx: StrategyContext): void {
    if (this.ctx) throw new Mip6secError('EBUSY', 'renegotiate strategy already started');
    this.ctx = ctx;
    this.image = kernelImageOf(ctx.kernel, ctx.bus);
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
          e.waitUntil(
            this.repoint(e.hoa, e.ha, e.coa).then(() => this.discardStale(e.hoa, e.ha, e.previousCoa, e.coa)),
          );
        }),
        bus.on('mip6.binding-deleted').subscribe((e) => {
          this.track(e.hoa, e.ha, e.hoa);
          // A deregistration says the MN re-negotiated from home; an expiry says nothing of where it is.
          const from = e.reason === 'deregistration' ? e.previousCoa : e.hoa;
          e.waitUntil(
            this.repoint(e.hoa, e.ha, e.hoa).then(() => this.discardStale(e.hoa, e.ha, from, e.hoa)),
          );
        }),
      );
    }
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    await this.queue.idle();
    this.ctx = undefined;
    this.image = undefined;
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
        if (!kernel || !this.image || coa === hoa) return;
        // The binding's entries from the host's kernel image, not a dump of the whole SPD.
        await this.image.fresh();
        for (const p of this.image.policiesOfBinding({ hoa, ha })) {
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

  /**
   * The HA's IKE state bound to the address the MN registered from before (`previous`) goes, once
   * the binding has moved to `now`: after the tunnel entries were re-pointed, so no new ACQUIRE
   * can aim at the old address again. Then the binding's CHILD_SAs still bound to that address
   * go from the kernel too: the baseline deletes what is bound to the old CoA, and SAs that no
   * IKE_SA owns any more (those of an IKE daemon that restarted) would otherwise stay until their
   * hard lifetime, since nothing else knows them. Never throws.
   */
  private discardStale(hoa: Ip, ha: Ip, previous: Ip, now: Ip): Promise<void> {
    // At home the MN's transport SAs run between HoA and HA: only a CoA it left is stale.
    if (previous === now || previous === hoa) return Promise.resolve();
    return this.queue
      .run(async () => {
        const km = this.ctx?.keyManager;
        if (km) {
          this.counters.staleIkeSasDiscarded += await km.discard(
            { local: ha, remote: previous },
            'binding moved',
          );
        }
        await this.deleteSasAt(hoa, ha, previous);
      })
      .catch(() => {
        this.counters.errors++;
      });
  }

  /**
   * Deletes the SAs between `ha` and `old` that carry one of the binding's reqids (so an SA of
   * another MN that has since been given the same address is left alone). ESRCH (IKE deleted it
   * meanwhile) is fine.
   */
  private async deleteSasAt(hoa: Ip, ha: Ip, old: Ip): Promise<void> {
    const kernel = this.ctx?.kernel;
    const image = this.image;
    if (!kernel || !image) return;
    await image.fresh();
    const reqids = new Set<number>();
    for (const p of image.policiesOfBinding({ hoa, ha })) for (const t of p.templates) reqids.add(t.reqid);
    const stale = image
      .sasAt(old)
      .filter(
        (sa) =>
          ((sa.src === old && sa.dst === ha) || (sa.src === ha && sa.dst === old)) && reqids.has(sa.reqid),
      );
    for (const sa of stale) {
      try {
        await kernel.delSa({ src: sa.src, dst: sa.dst, spi: sa.spi, proto: sa.proto });
        this.counters.orphanSasDeleted++;
      } catch (err) {
        if (!(err instanceof KernelError && err.code === 'ESRCH')) throw err;
      }
    }
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
