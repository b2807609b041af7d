/**
 * The Mobile IPv6 home agent (RFC 6275 §10) with IPsec-protected home registration
 * (RFC 3776/4877):
 *
 * - a BU counts only when it came through an SA (`InboundIpPacket.sa`) whose IKE identity the PAD
 *   (or a configuration-payload assignment) binds to the BU's home address; otherwise the answer
 *   is status 129 (identity not allowed that HoA) or 133 (no MN with that HoA here), and the
 *   cache is left alone. An unprotected BU is silently discarded (§9.5.1), or answered 129 when
 *   configured so;
 * - the Binding Cache with lifetimes on Clock timers, sequence numbers checked modulo 2^16
 *   (status 135 carries the last accepted number), deregistration (§10.3.2);
 * - the K bit set in the BA only when the BU had it and this HA supports it;
 * - `mip6.binding-accepted` is awaited (emitAndWait) BEFORE the BA leaves, so a strategy can
 *   MIGRATE the HA's SAs first; `mip6.binding-deleted` (deregistration and expiry) is awaited the
 *   same way BEFORE the binding's tunnel entries are removed, so the tunnel SAs can follow the MN
 *   back to its HoA (as the MN's own MIGRATE does) while their policies still exist;
 * - the BA goes to the CoA with a type 2 routing header carrying the HoA, through the transport SA.
 */
import {
  type Binding,
  type Bus,
  type Clock,
  canonicalIp,
  type HomeAddressAuthorization,
  type InboundIpPacket,
  IPPROTO_MH,
  type Ip,
  type IpLayer,
  type KernelBackend,
  networkOf,
  type Prefix,
  parsePrefix,
  prefixContains,
  type Startable,
} from '@mip6sec/core';
import type { Observable, Subscription } from 'rxjs';
import { BindingCache, type BindingCacheChange, type BindingCacheEntry } from './binding-cache.js';
import {
  type HomeAddressAuthorizer,
  IkeEventSaIdentities,
  PadAuthorizer,
  type SaIdentityLookup,
} from './lookups.js';
import { type BindingUpdate, decodeMh, encodeMh, type MhMessage } from './mh-codec.js';
import {
  IP6_MH_BAS_ACCEPTED,
  IP6_MH_BAS_NOT_HA,
  IP6_MH_BAS_NOT_HOME_SUBNET,
  IP6_MH_BAS_PROHIBIT,
  IP6_MH_BAS_SEQNO_BAD,
  IP6_MH_BES_UNKNOWN_MH,
  IPPROTO_NONE,
  MAX_BINDING_LIFETIME,
  MH_LIFETIME_UNIT_SECONDS,
} from './mh-constants.js';
import { findOption, type MobilityOption } from './mh-options.js';
import {
  haPolicies,
  kernelImageLookup,
  type Mip6Policy,
  type Mip6PolicyConfig,
  type PolicyManagement,
  syncPolicies,
} from './policies.js';
import { seqNewer } from './sequence.js';
import { WorkQueue } from './work-queue.js';

export interface HomeAgentConfig {
  /** This home agent's address. */
  readonly address: Ip;
  /** Home prefixes served (default: the /64 of `address`). */
  readonly homePrefixes?: readonly (string | Prefix)[];
  /** Largest lifetime granted, seconds (default 262 140, the field's maximum). */
  readonly maxLifetime?: number;
  /** Supports K: IKE SAs follow the CoA (default true). */
  readonly kBit?: boolean;
  /** PAD: which identity owns which home address, when no {@link HomeAddressAuthorizer} is injected. */
  readonly mobileNodes?: readonly HomeAddressAuthorization[];
  /** Send a Binding Refresh Advice with this interval, in seconds (default none). */
  readonly refreshAdvice?: number;
  /** What to do with a BU that did not come through IPsec (default 'discard', RFC 6275 §9.5.1). */
  readonly unprotectedBindingUpdates?: 'discard' | 'reject';
  /**
   * SPD upkeep (default 'create'): entries are added when a state needs them (tunnel entries on
   * leaving home) and removed when it no longer does (at home); moving existing tunnel endpoints
   * is left to the strategy, unless 'reconcile'. See {@link PolicyManagement}.
   */
  readonly policies?: PolicyManagement;
  /** Reqids and options of the SPD entries. */
  readonly policy?: Omit<Mip6PolicyConfig, 'hoa' | 'ha' | 'coa'>;
}

export interface HomeAgentStats {
  readonly bindingUpdatesReceived: number;
  readonly bindingAcksSent: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections by BA status. */
  readonly rejectedByStatus: Readonly<Record<number, number>>;
  readonly deregistrations: number;
  readonly expirations: number;
  readonly bindingErrorsSent: number;
  readonly unprotectedDropped: number;
  readonly malformedDropped: number;
  readonly ignored: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly sendFailures: number;
  readonly errors: number;
}

type Counters = { -readonly [K in keyof Omit<HomeAgentStats, 'rejectedByStatus'>]: number };

export class HomeAgent implements Startable {
  private readonly bus: Bus;
  private readonly ipLayer: IpLayer;
  private readonly kernel: KernelBackend;
  private readonly config: HomeAgentConfig;
  private readonly identities: SaIdentityLookup;
  private readonly ownIdentities: IkeEventSaIdentities | undefined;
  private readonly authorizer: HomeAddressAuthorizer;
  private readonly cache: BindingCache;
  private readonly queue: WorkQueue;
  private readonly address: Ip;
  private readonly prefixes: Prefix[];
  private readonly installed = new Map<Ip, Mip6Policy[]>();
  private readonly counters: Counters = {
    bindingUpdatesReceived: 0,
    bindingAcksSent: 0,
    accepted: 0,
    rejected: 0,
    deregistrations: 0,
    expirations: 0,
    bindingErrorsSent: 0,
    unprotectedDropped: 0,
    malformedDropped: 0,
    ignored: 0,
    bytesSent: 0,
    bytesReceived: 0,
    sendFailures: 0,
    errors: 0,
  };
  private readonly byStatus: Record<number, number> = {};
  private subs: Subscription[] = [];
  private running = false;
  private lastError: unknown;

  /**
   * @param saIdentities names the IKE identity behind an SA; defaults to following `ike.*` bus events.
   * @param authorizer binds identities to home addresses; defaults to a PAD built from
   *   `config.mobileNodes` and `ike.home-address` assignments.
   */
  constructor(
    bus: Bus,
    clock: Clock,
    ipLayer: IpLayer,
    kernel: KernelBackend,
    config: HomeAgentConfig,
    saIdentities?: SaIdentityLookup,
    authorizer?: HomeAddressAuthorizer,
  ) {
    this.bus = bus;
    this.ipLayer = ipLayer;
    this.kernel = kernel;
    this.config = config;
    this.address = canonicalIp(config.address);
    this.prefixes = (config.homePrefixes ?? [{ addr: this.address, len: 64 }]).map((p) =>
      networkOf(typeof p === 'string' ? parsePrefix(p) : p),
    );
    this.ownIdentities = saIdentities ? undefined : new IkeEventSaIdentities(bus);
    this.identities = saIdentities ?? this.ownIdentities!;
    this.authorizer = authorizer ?? new PadAuthorizer(config.mobileNodes ?? []);
    this.queue = new WorkQueue((err) => {
      this.counters.errors++;
      this.lastError = err;
    });
    this.cache = new BindingCache(clock, (entry) => void this.queue.run(() => this.onExpired(entry)));
  }

  /** Every binding cache change (add, update, delete), for routing HoA traffic into the tunnel. */
  get changes(): Observable<BindingCacheChange> {
    return this.cache.changes;
  }

  /** The binding of a home address, if the HA holds one. */
  lookup(hoa: Ip): BindingCacheEntry | undefined {
    return this.cache.lookup(hoa);
  }

  bindings(): BindingCacheEntry[] {
    return this.cache.list();
  }

  /** The last error a handler hit (counted in `stats().errors`). */
  get error(): unknown {
    return this.lastError;
  }

  async start(): Promise<void> {
    if (this.running) return;
    for (const m of this.config.mobileNodes ?? []) await this.syncPoliciesFor(canonicalIp(m.hoa), undefined);
    this.running = true;
    this.subs.push(
      this.ipLayer.receive(IPPROTO_MH).subscribe((p) => void this.queue.run(() => this.onPacket(p))),
      // RFC 5026: a home address handed out by IKE's configuration payload binds it to the identity.
      this.bus.on('ike.home-address').subscribe((a) => {
        if (this.authorizer instanceof PadAuthorizer)
          this.authorizer.add({ identity: a.identity, hoa: a.hoa });
        void this.queue.run(() =>
          this.syncPoliciesFor(canonicalIp(a.hoa), this.cache.lookup(canonicalIp(a.hoa))?.coa),
        );
      }),
    );
  }

  stop(): void {
    this.running = false;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.cache.clear();
    this.ownIdentities?.dispose();
  }

  /** Settles when every queued packet and timer handler has run. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  stats(): HomeAgentStats {
    return { ...this.counters, rejectedByStatus: { ...this.byStatus } };
  }

  // ---- internals ----

  private async syncPoliciesFor(hoa: Ip, coa: Ip | undefined): Promise<void> {
    const mode = this.config.policies ?? 'create';
    if (mode === 'none') return;
    const desired = haPolicies({ ...this.config.policy, hoa, ha: this.address, coa });
    // Entries that exist are found in the host's kernel image rather than written again for EEXIST.
    const lookup = mode === 'create' ? await kernelImageLookup(this.kernel, this.bus) : undefined;
    await syncPolicies(this.kernel, this.installed.get(hoa) ?? [], desired, {
      update: mode === 'reconcile',
      ...(lookup ? { lookup } : {}),
    });
    this.installed.set(hoa, desired);
  }

  /** A kernel refusing an SPD change must not keep the BA from leaving; the error is counted. */
  private async syncPoliciesQuietly(hoa: Ip, coa: Ip | undefined): Promise<void> {
    try {
      await this.syncPoliciesFor(hoa, coa);
    } catch (err) {
      this.counters.errors++;
      this.lastError = err;
    }
  }

  private async onPacket(p: InboundIpPacket): Promise<void> {
    if (!this.running) return;
    this.counters.bytesReceived += p.payload.length;
    // The home address: from the HAO when the MN is away, the source when it is home.
    const hoa = p.homeAddressOption ?? p.src;
    let m: MhMessage;
    try {
      m = decodeMh(p.payload, { src: hoa, dst: p.routingHeader2 ?? p.dst, strictAlignment: false });
    } catch {
      this.counters.malformedDropped++;
      return;
    }
    if ((m.payloadProto ?? IPPROTO_NONE) !== IPPROTO_NONE) {
      this.counters.malformedDropped++;
      return;
    }
    if (m.type === 'unknown') return this.sendBindingError(p, IP6_MH_BES_UNKNOWN_MH);
    if (m.type !== 'BU') {
      this.counters.ignored++;
      return;
    }
    return this.onBindingUpdate(m, p, hoa);
  }

  private async onBindingUpdate(bu: BindingUpdate, p: InboundIpPacket, hoa: Ip): Promise<void> {
    this.counters.bindingUpdatesReceived++;
    if (!bu.h) {
      // A correspondent registration needs return routability, which this node does not offer.
      this.counters.ignored++;
      return;
    }
    const altCoa = findOption(bu.options ?? [], 'alternateCareOfAddress');
    const coa = altCoa?.address ?? p.src;
    const reply = (status: number, seq = bu.seq, lifetimeUnits = 0, kBit = false) =>
      this.sendBindingAck(hoa, coa, status, seq, lifetimeUnits, kBit);
    if (!p.sa) {
      if ((this.config.unprotectedBindingUpdates ?? 'discard') === 'discard') {
        this.counters.unprotectedDropped++;
        return;
      }
      return reply(IP6_MH_BAS_PROHIBIT);
    }
    const identity = this.identities.identityForSa(p.sa);
    if (identity === undefined) return reply(IP6_MH_BAS_PROHIBIT);
    if (!this.authorizer.servesHomeAddress(hoa)) return reply(IP6_MH_BAS_NOT_HA);
    if (!this.authorizer.isAuthorized(identity, hoa)) return reply(IP6_MH_BAS_PROHIBIT);
    if (!this.prefixes.some((pf) => prefixContains(pf, hoa))) return reply(IP6_MH_BAS_NOT_HOME_SUBNET);
    const existing = this.cache.lookup(hoa);
    if (existing && !seqNewer(bu.seq, existing.seq)) return reply(IP6_MH_BAS_SEQNO_BAD, existing.seq);
    const previousCoa = existing?.coa ?? hoa;
    if (bu.lifetime === 0 || coa === hoa) {
      // §10.3.2: deregistering a binding the HA does not hold is answered 133.
      if (!existing) return reply(IP6_MH_BAS_NOT_HA);
      this.cache.delete(hoa, 'deregistration');
      this.counters.deregistrations++;
      await this.bus.emitAndWait({
        type: 'mip6.binding-deleted',
        hoa,
        ha: this.address,
        previousCoa,
        reason: 'deregistration',
      });
      if (!this.running) return;
      await this.syncPoliciesQuietly(hoa, undefined);
      this.counters.accepted++;
      return reply(IP6_MH_BAS_ACCEPTED, bu.seq, 0, false);
    }
    const maxLifetime = Math.min(this.config.maxLifetime ?? MAX_BINDING_LIFETIME, MAX_BINDING_LIFETIME);
    const lifetimeUnits = Math.min(bu.lifetime, Math.floor(maxLifetime / MH_LIFETIME_UNIT_SECONDS));
    const lifetime = lifetimeUnits * MH_LIFETIME_UNIT_SECONDS;
    const kBit = bu.k === true && (this.config.kBit ?? true);
    const binding: Binding = { hoa, coa, ha: this.address, lifetime, seq: bu.seq, kBit };
    this.cache.upsert({ ...binding, identity });
    await this.bus.emitAndWait({
      type: 'mip6.binding-accepted',
      hoa,
      ha: this.address,
      previousCoa,
      coa,
      identity,
      seq: bu.seq,
      kBit,
      lifetime,
    });
    if (!this.running) return;
    await this.syncPoliciesQuietly(hoa, coa);
    this.counters.accepted++;
    return reply(IP6_MH_BAS_ACCEPTED, bu.seq, lifetimeUnits, kBit);
  }

  private async onExpired(entry: BindingCacheEntry): Promise<void> {
    this.counters.expirations++;
    await this.bus.emitAndWait({
      type: 'mip6.binding-deleted',
      hoa: entry.hoa,
      ha: this.address,
      previousCoa: entry.coa,
      reason: 'expired',
    });
    if (!this.running) return;
    await this.syncPoliciesFor(entry.hoa, undefined);
  }

  private sendBindingAck(
    hoa: Ip,
    coa: Ip,
    status: number,
    seq: number,
    lifetimeUnits: number,
    kBit: boolean,
  ): void {
    if (status >= 128) {
      this.counters.rejected++;
      this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    }
    const options: MobilityOption[] = [];
    if (status < 128 && lifetimeUnits > 0 && this.config.refreshAdvice !== undefined) {
      const units = Math.min(
        lifetimeUnits,
        Math.max(1, Math.floor(this.config.refreshAdvice / MH_LIFETIME_UNIT_SECONDS)),
      );
      options.push({ type: 'bindingRefreshAdvice', refreshInterval: units });
    }
    // The checksum covers the final destination, the HoA in the type 2 routing header (§6.1.1).
    const payload = encodeMh(
      { type: 'BA', status, k: kBit, seq, lifetime: lifetimeUnits, options },
      { src: this.address, dst: hoa },
    );
    this.counters.bindingAcksSent++;
    this.counters.bytesSent += payload.length;
    const packet =
      coa === hoa
        ? { src: this.address, dst: hoa, proto: IPPROTO_MH, payload }
        : { src: this.address, dst: coa, proto: IPPROTO_MH, payload, routingHeader2: hoa };
    this.ipLayer.send(packet).catch(() => {
      this.counters.sendFailures++;
    });
  }

  private sendBindingError(p: InboundIpPacket, status: number): void {
    const payload = encodeMh(
      { type: 'BE', status, homeAddress: p.homeAddressOption ?? '::' },
      { src: this.address, dst: p.src },
    );
    this.counters.bindingErrorsSent++;
    this.counters.bytesSent += payload.length;
    this.ipLayer.send({ src: this.address, dst: p.src, proto: IPPROTO_MH, payload }).catch(() => {
      this.counters.sendFailures++;
    });
  }
}
