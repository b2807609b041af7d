/**
 * The Mobile IPv6 mobile node (RFC 6275 §11) for home registration with an IPsec-protected home
 * agent (RFC 3776/4877):
 *
 * - movement from `IpLayer.attachments`: a new CoA registers; a CoA inside the home prefix means
 *   home, and deregisters (BU with lifetime 0 and H set, sent from the HoA; §11.5.4);
 * - the Binding Update List with modulo-2^16 sequence numbers, retransmission with exponential
 *   back-off (§11.8), refresh before expiry, MAX_UPDATE_RATE, every BA status and BE status;
 * - the K bit (§11.7.1/§11.7.3): agreed only when the BU and the BA both set it;
 * - BUs go out through the host IP layer from the CoA with a Home Address option (or from the
 *   HoA when home), so the kernel's transport-mode SA, keyed on the HoA, protects them;
 * - before each BU, `mip6.binding-sending` is awaited with `bus.emitAndWait`, so a strategy can
 *   MIGRATE first; `mip6.movement` is awaited the same way.
 */
import {
  type AttachmentEvent,
  type Binding,
  type Bus,
  type Clock,
  canonicalIp,
  type InboundIpPacket,
  IPPROTO_MH,
  type Ip,
  type IpLayer,
  type KernelBackend,
  Mip6secError,
  networkOf,
  type Prefix,
  prefixContains,
  type Startable,
} from '@mip6sec/core';
import type { Subscription } from 'rxjs';
import { BindingUpdateList, type BulEntry } from './binding-update-list.js';
import type { HomeAddressSource } from './lookups.js';
import { type BindingAck, type BindingError, decodeMh, encodeMh, type MhMessage } from './mh-codec.js';
import {
  baAccepted,
  baStatusText,
  INITIAL_BINDACK_TIMEOUT,
  INITIAL_BINDACK_TIMEOUT_FIRST_REG,
  IP6_MH_BAS_NOT_HA,
  IP6_MH_BAS_SEQNO_BAD,
  IP6_MH_BES_UNKNOWN_HAO,
  IP6_MH_BES_UNKNOWN_MH,
  IPPROTO_NONE,
  MAX_BINDACK_TIMEOUT,
  MAX_UPDATE_RATE,
  MH_LIFETIME_UNIT_SECONDS,
} from './mh-constants.js';
import { findOption } from './mh-options.js';
import {
  kernelImageLookup,
  type Mip6Policy,
  type Mip6PolicyConfig,
  mnPolicies,
  type PolicyManagement,
  syncPolicies,
} from './policies.js';
import { WorkQueue } from './work-queue.js';

export interface MobileNodeConfig {
  /** Home address; with `ha`, taken over any {@link HomeAddressSource}. */
  readonly hoa?: Ip;
  /** Home agent address. */
  readonly ha?: Ip;
  /** Length of the home prefix the HoA lies in (default 64). */
  readonly homePrefixLength?: number;
  /** A care-of address to start from, as if an attachment event had given it. */
  readonly coa?: Ip;
  /** Requested binding lifetime in seconds (default 3600; at most 262 140). */
  readonly lifetime?: number;
  /** Set K: our key management survives CoA changes (default true). */
  readonly kBit?: boolean;
  /** Set L: the link-local address shares the HoA's interface identifier (default false). */
  readonly linkLocalCompatibility?: boolean;
  /** Sequence number of the first BU (default 0). */
  readonly initialSeq?: number;
  /** INITIAL_BINDACK_TIMEOUT in ms (default 1000, RFC 6275 §12). */
  readonly initialBindackTimeoutMs?: number;
  /** InitialBindackTimeoutFirstReg in ms, for a registration with no binding at the HA (default 1500, §13). */
  readonly initialBindackTimeoutFirstRegMs?: number;
  /** MAX_BINDACK_TIMEOUT in ms (default 32 000, §12). */
  readonly maxBindackTimeoutMs?: number;
  /** MAX_UPDATE_RATE, BUs per second to the HA (default 3; 0 disables the limit). */
  readonly maxUpdateRate?: number;
  /** Refresh after this share of the granted lifetime, unless a Binding Refresh Advice says sooner (default 0.8). */
  readonly refreshRatio?: number;
  /** Consecutive status-135 answers tolerated before giving up (default 3). */
  readonly maxSequenceResyncs?: number;
  /** Accept a BA only when it came through an SA (default true; RFC 4877 requires ESP). */
  readonly requireIpsec?: boolean;
  /**
   * SPD upkeep (default 'create'): entries are added when a state needs them (tunnel entries on
   * leaving home) and removed when it no longer does (at home); moving existing tunnel endpoints
   * is left to the strategy, unless 'reconcile'. See {@link PolicyManagement}.
   */
  readonly policies?: PolicyManagement;
  /** Reqids and options of the SPD entries. */
  readonly policy?: Omit<Mip6PolicyConfig, 'hoa' | 'ha' | 'coa'>;
}

export interface MobileNodeStats {
  readonly movements: number;
  readonly bindingUpdatesSent: number;
  readonly retransmissions: number;
  readonly bindingAcksReceived: number;
  readonly bindingAcksAccepted: number;
  readonly bindingAcksRejected: number;
  readonly sequenceResyncs: number;
  readonly bindingErrorsReceived: number;
  readonly bindingErrorsSent: number;
  readonly returnsHome: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly malformedDropped: number;
  readonly unprotectedDropped: number;
  readonly staleDropped: number;
  readonly sendFailures: number;
  readonly errors: number;
}

type Counters = { -readonly [K in keyof MobileNodeStats]: number };

/** What the mobile node knows right now. */
export interface MobileNodeState {
  readonly hoa: Ip | undefined;
  readonly ha: Ip | undefined;
  /** Current CoA (the HoA when home); undefined before the first attachment. */
  readonly coa: Ip | undefined;
  readonly atHome: boolean;
  /** The binding the HA acknowledged and that has not lapsed. */
  readonly binding: Binding | undefined;
  /** Sequence number of the BU awaiting its BA. */
  readonly pendingSeq: number | undefined;
  /** Set after a rejection until the next movement. */
  readonly stopped: { readonly status: number; readonly reason: string } | undefined;
}

export class MobileNode implements Startable {
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly ipLayer: IpLayer;
  private readonly kernel: KernelBackend;
  private readonly config: MobileNodeConfig;
  private readonly source: HomeAddressSource | undefined;
  private readonly bul = new BindingUpdateList();
  private readonly queue: WorkQueue;
  private readonly counters: Counters = {
    movements: 0,
    bindingUpdatesSent: 0,
    retransmissions: 0,
    bindingAcksReceived: 0,
    bindingAcksAccepted: 0,
    bindingAcksRejected: 0,
    sequenceResyncs: 0,
    bindingErrorsReceived: 0,
    bindingErrorsSent: 0,
    returnsHome: 0,
    bytesSent: 0,
    bytesReceived: 0,
    malformedDropped: 0,
    unprotectedDropped: 0,
    staleDropped: 0,
    sendFailures: 0,
    errors: 0,
  };
  private subs: Subscription[] = [];
  private running = false;
  private hoa: Ip | undefined;
  private ha: Ip | undefined;
  private homePrefix: Prefix | undefined;
  private coa: Ip | undefined;
  private installed: Mip6Policy[] = [];
  private lastError: unknown;

  constructor(
    bus: Bus,
    clock: Clock,
    ipLayer: IpLayer,
    kernel: KernelBackend,
    config: MobileNodeConfig,
    homeAddressSource?: HomeAddressSource,
  ) {
    this.bus = bus;
    this.clock = clock;
    this.ipLayer = ipLayer;
    this.kernel = kernel;
    this.config = config;
    this.source = homeAddressSource;
    this.queue = new WorkQueue((err) => {
      this.counters.errors++;
      this.lastError = err;
    });
  }

  /** Bootstraps the home address if needed, installs the SPD and starts following attachments. */
  async start(): Promise<void> {
    if (this.running) return;
    let hoa = this.config.hoa;
    let ha = this.config.ha;
    let prefixLen = this.config.homePrefixLength ?? 64;
    if (hoa === undefined || ha === undefined) {
      if (!this.source) {
        throw new Mip6secError('EINVAL', 'mobile node needs hoa and ha configured, or a HomeAddressSource');
      }
      const a = await this.source.requestHomeAddress();
      hoa = hoa ?? a.hoa;
      ha = ha ?? a.ha;
      if (this.config.homePrefixLength === undefined) prefixLen = a.prefixLen;
    }
    this.hoa = canonicalIp(hoa);
    this.ha = canonicalIp(ha);
    this.homePrefix = networkOf({ addr: this.hoa, len: prefixLen });
    this.entry();
    await this.syncPolicies();
    this.running = true;
    this.subs.push(
      this.ipLayer.receive(IPPROTO_MH).subscribe((p) => void this.queue.run(() => this.onPacket(p))),
      this.ipLayer.attachments.subscribe((a) => void this.queue.run(() => this.onAttachment(a))),
    );
    if (this.config.coa !== undefined) {
      const coa = this.config.coa;
      void this.queue.run(() => this.onAttachment({ coa, link: 'configured', prefixLen: 64 }));
    }
  }

  /** Stops timers and subscriptions; the SPD entries stay (the kernel owns them). */
  stop(): void {
    this.running = false;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.bul.cancelTimers();
  }

  /** Settles when every queued packet, attachment and timer handler has run. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  stats(): MobileNodeStats {
    return { ...this.counters };
  }

  /** The last error a handler hit (counted in `stats().errors`). */
  get error(): unknown {
    return this.lastError;
  }

  state(): MobileNodeState {
    const e = this.hoa && this.ha ? this.entry() : undefined;
    const reg = e ? this.currentRegistration(e) : undefined;
    return {
      hoa: this.hoa,
      ha: this.ha,
      coa: this.coa,
      atHome: this.coa !== undefined && this.coa === this.hoa,
      binding:
        reg && this.hoa && this.ha
          ? {
              hoa: this.hoa,
              coa: reg.coa,
              ha: this.ha,
              lifetime: Math.max(0, Math.floor((reg.expiresAt - this.clock.now()) / 1000)),
              seq: reg.seq,
              kBit: reg.kBit,
            }
          : undefined,
      pendingSeq: e?.outstanding?.seq,
      stopped: e?.stopped,
    };
  }

  // ---- internals ----

  private get timeouts() {
    return {
      initial: this.config.initialBindackTimeoutMs ?? INITIAL_BINDACK_TIMEOUT,
      firstReg: this.config.initialBindackTimeoutFirstRegMs ?? INITIAL_BINDACK_TIMEOUT_FIRST_REG,
      max: this.config.maxBindackTimeoutMs ?? MAX_BINDACK_TIMEOUT,
    };
  }

  private entry(): BulEntry {
    return this.bul.entry(this.hoa!, this.ha!, this.config.initialSeq ?? 0, this.timeouts.initial);
  }

  private currentRegistration(e: BulEntry) {
    const r = e.registered;
    return r && r.expiresAt > this.clock.now() ? r : undefined;
  }

  private setTimer(e: BulEntry, ms: number, fn: () => void | Promise<void>): void {
    e.timer?.cancel();
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      if (this.running) void this.queue.run(fn);
    }, ms);
  }

  private clearTimer(e: BulEntry): void {
    e.timer?.cancel();
    e.timer = undefined;
  }

  private async syncPolicies(): Promise<void> {
    const mode = this.config.policies ?? 'create';
    if (mode === 'none') return;
    const desired = mnPolicies({ ...this.config.policy, hoa: this.hoa!, ha: this.ha!, coa: this.coa });
    // Entries that exist are found in the host's kernel image rather than written again for EEXIST.
    const lookup = mode === 'create' ? await kernelImageLookup(this.kernel, this.bus) : undefined;
    await syncPolicies(this.kernel, this.installed, desired, {
      update: mode === 'reconcile',
      ...(lookup ? { lookup } : {}),
    });
    this.installed = desired;
  }

  /** A kernel refusing an SPD change must not keep the BU from leaving; the error is counted. */
  private async syncPoliciesQuietly(): Promise<void> {
    try {
      await this.syncPolicies();
    } catch (err) {
      this.counters.errors++;
      this.lastError = err;
    }
  }

  private async onAttachment(a: AttachmentEvent): Promise<void> {
    if (!this.running) return;
    const hoa = this.hoa!;
    const ha = this.ha!;
    let seen: Ip;
    try {
      seen = canonicalIp(a.coa);
    } catch {
      this.counters.malformedDropped++;
      return;
    }
    const atHome = prefixContains(this.homePrefix!, seen);
    // At home the MN uses its home address (§11.5.4), whatever address the link gave it.
    const newCoa = atHome ? hoa : seen;
    if (newCoa === this.coa) return;
    const oldCoa = this.coa ?? hoa;
    this.coa = newCoa;
    this.counters.movements++;
    await this.bus.emitAndWait({ type: 'mip6.movement', hoa, ha, oldCoa, newCoa, atHome });
    if (!this.running) return;
    await this.syncPoliciesQuietly();
    const e = this.entry();
    // A new attachment gives a registration the HA refused another try.
    e.stopped = undefined;
    if (atHome && !e.mayHaveBinding) {
      this.clearTimer(e);
      e.outstanding = undefined;
      return;
    }
    await this.beginRegistration(e);
  }

  /** Starts a fresh registration (or deregistration) from the current CoA. */
  private async beginRegistration(e: BulEntry): Promise<void> {
    const t = this.timeouts;
    e.timeoutMs = this.currentRegistration(e) ? t.initial : t.firstReg;
    e.retransmissions = 0;
    e.resyncs = 0;
    e.outstanding = undefined;
    this.clearTimer(e);
    await this.sendBu(e);
  }

  private async sendBu(e: BulEntry): Promise<void> {
    if (!this.running || e.stopped || this.coa === undefined) return;
    const rate = this.config.maxUpdateRate ?? MAX_UPDATE_RATE;
    if (rate > 0 && e.lastSentAt !== undefined) {
      const wait = e.lastSentAt + 1000 / rate - this.clock.now();
      if (wait > 0) {
        this.setTimer(e, wait, () => this.sendBu(e));
        return;
      }
    }
    const hoa = this.hoa!;
    const ha = this.ha!;
    const coa = this.coa;
    const deregistration = coa === hoa;
    const kBit = this.config.kBit ?? true;
    const lifetimeSeconds = Math.max(0, this.config.lifetime ?? 3600);
    const lifetimeUnits = deregistration
      ? 0
      : Math.min(0xffff, Math.max(1, Math.ceil(lifetimeSeconds / MH_LIFETIME_UNIT_SECONDS)));
    const previousCoa = this.currentRegistration(e)?.coa ?? hoa;
    const seq = this.bul.takeSeq(e);
    await this.bus.emitAndWait({
      type: 'mip6.binding-sending',
      hoa,
      ha,
      coa,
      previousCoa,
      seq,
      kBit,
      deregistration,
      changesCoa: coa !== previousCoa,
    });
    if (!this.running || this.coa !== coa) return;
    // RFC 3776 §3: the CoA travels inside the ESP-protected MH as an Alternate Care-of Address.
    const payload = encodeMh(
      {
        type: 'BU',
        seq,
        a: true,
        h: true,
        l: this.config.linkLocalCompatibility ?? false,
        k: kBit,
        lifetime: lifetimeUnits,
        options: [{ type: 'alternateCareOfAddress', address: coa }],
      },
      { src: hoa, dst: ha },
    );
    const now = this.clock.now();
    e.outstanding = { seq, coa, lifetimeUnits, deregistration, kBit, sentAt: now };
    e.lastSentAt = now;
    e.mayHaveBinding = true;
    this.counters.bindingUpdatesSent++;
    this.counters.bytesSent += payload.length;
    const packet = deregistration
      ? { src: hoa, dst: ha, proto: IPPROTO_MH, payload }
      : { src: coa, dst: ha, proto: IPPROTO_MH, payload, homeAddressOption: hoa };
    this.ipLayer.send(packet).catch(() => {
      this.counters.sendFailures++;
    });
    this.setTimer(e, e.timeoutMs, () => this.retransmit(e, seq));
  }

  private async retransmit(e: BulEntry, seq: number): Promise<void> {
    if (e.outstanding?.seq !== seq) return;
    e.timeoutMs = Math.min(e.timeoutMs * 2, this.timeouts.max);
    e.retransmissions++;
    this.counters.retransmissions++;
    await this.sendBu(e);
  }

  private async onPacket(p: InboundIpPacket): Promise<void> {
    if (!this.running) return;
    this.counters.bytesReceived += p.payload.length;
    let m: MhMessage;
    try {
      // Checksum over the logical addresses: the RH2's home address is the final destination.
      m = decodeMh(p.payload, {
        src: p.homeAddressOption ?? p.src,
        dst: p.routingHeader2 ?? p.dst,
        strictAlignment: false,
      });
    } catch {
      this.counters.malformedDropped++;
      return;
    }
    if ((m.payloadProto ?? IPPROTO_NONE) !== IPPROTO_NONE) {
      // RFC 6275 §9.2: the Payload Proto must be 59.
      this.counters.malformedDropped++;
      return;
    }
    switch (m.type) {
      case 'BA':
        return this.onBindingAck(m, p);
      case 'BE':
        return this.onBindingError(m, p);
      case 'BRR':
        return this.onRefreshRequest(p);
      case 'unknown':
        return this.sendBindingError(p, IP6_MH_BES_UNKNOWN_MH);
      default:
        this.counters.staleDropped++;
    }
  }

  private async onBindingAck(m: BindingAck, p: InboundIpPacket): Promise<void> {
    const e = this.entry();
    if (p.src !== this.ha) {
      this.counters.staleDropped++;
      return;
    }
    if ((this.config.requireIpsec ?? true) && !p.sa) {
      this.counters.unprotectedDropped++;
      return;
    }
    const o = e.outstanding;
    // §11.7.3: a BA must match the outstanding BU's sequence number, except status 135.
    if (!o || (m.status !== IP6_MH_BAS_SEQNO_BAD && m.seq !== o.seq)) {
      this.counters.staleDropped++;
      return;
    }
    this.counters.bindingAcksReceived++;
    this.clearTimer(e);
    e.outstanding = undefined;
    const hoa = this.hoa!;
    const ha = this.ha!;
    if (m.status === IP6_MH_BAS_SEQNO_BAD) {
      this.counters.sequenceResyncs++;
      e.resyncs++;
      if (e.resyncs > (this.config.maxSequenceResyncs ?? 3)) return this.reject(e, o.coa, m.status);
      // The BA carries the HA's last accepted number; the next BU goes one past it.
      e.lastSeq = m.seq;
      e.lastSentAt = undefined;
      return this.sendBu(e);
    }
    const deregisteredAlready = o.deregistration && m.status === IP6_MH_BAS_NOT_HA;
    if (!baAccepted(m.status) && !deregisteredAlready) return this.reject(e, o.coa, m.status);
    this.counters.bindingAcksAccepted++;
    e.resyncs = 0;
    const kBit = o.kBit && m.k === true;
    if (o.deregistration) {
      const oldCoa = e.registered?.coa ?? hoa;
      e.registered = undefined;
      e.mayHaveBinding = false;
      this.counters.returnsHome++;
      this.bus.emit({
        type: 'mip6.binding-acknowledged',
        hoa,
        ha,
        coa: hoa,
        seq: m.seq,
        status: m.status,
        lifetime: 0,
        kBit,
      });
      this.bus.emit({ type: 'mip6.returned-home', hoa, ha, oldCoa });
      return;
    }
    const granted = Math.min(m.lifetime, o.lifetimeUnits) * MH_LIFETIME_UNIT_SECONDS;
    e.registered = { coa: o.coa, seq: m.seq, lifetime: granted, kBit, expiresAt: o.sentAt + granted * 1000 };
    // Refresh ahead of expiry, or when the HA's Binding Refresh Advice says (§6.2.4, §11.7.3).
    const advice = findOption(m.options ?? [], 'bindingRefreshAdvice');
    const refreshIn =
      advice && advice.refreshInterval > 0
        ? Math.min(advice.refreshInterval * MH_LIFETIME_UNIT_SECONDS, granted) * 1000
        : granted * 1000 * (this.config.refreshRatio ?? 0.8);
    const delay = Math.max(this.timeouts.initial, o.sentAt + refreshIn - this.clock.now());
    this.setTimer(e, delay, () => this.beginRegistration(e));
    this.bus.emit({
      type: 'mip6.binding-acknowledged',
      hoa,
      ha,
      coa: o.coa,
      seq: m.seq,
      status: m.status,
      lifetime: granted,
      kBit,
    });
  }

  private reject(e: BulEntry, coa: Ip, status: number, reason = baStatusText(status)): void {
    this.counters.bindingAcksRejected++;
    this.clearTimer(e);
    e.outstanding = undefined;
    e.stopped = { status, reason };
    this.bus.emit({ type: 'mip6.binding-rejected', hoa: this.hoa!, coa, status, reason });
  }

  private async onBindingError(m: BindingError, p: InboundIpPacket): Promise<void> {
    if (p.src !== this.ha) {
      this.counters.staleDropped++;
      return;
    }
    this.counters.bindingErrorsReceived++;
    const e = this.entry();
    if (m.status === IP6_MH_BES_UNKNOWN_HAO) {
      // §11.3.6: the HA has no binding for a HAO we used; register again unless a BU is already out.
      if (
        m.homeAddress === this.hoa &&
        this.coa !== undefined &&
        this.coa !== this.hoa &&
        !e.outstanding &&
        !e.stopped
      ) {
        e.registered = undefined;
        await this.beginRegistration(e);
      }
      return;
    }
    if (m.status === IP6_MH_BES_UNKNOWN_MH) {
      // §11.3.6: the HA does not understand the BU; sending more is pointless.
      this.counters.bindingAcksRejected++;
      this.clearTimer(e);
      e.outstanding = undefined;
      const reason = 'Binding Error: unrecognized MH Type (the home agent does not support Mobile IPv6)';
      e.stopped = { status: m.status, reason };
      this.bus.emit({
        type: 'mip6.binding-rejected',
        hoa: this.hoa!,
        coa: this.coa ?? this.hoa!,
        status: m.status,
        reason,
      });
    }
  }

  private async onRefreshRequest(p: InboundIpPacket): Promise<void> {
    const e = this.entry();
    if (
      p.src !== this.ha ||
      e.outstanding ||
      e.stopped ||
      !this.currentRegistration(e) ||
      this.coa === this.hoa
    ) {
      this.counters.staleDropped++;
      return;
    }
    await this.beginRegistration(e);
  }

  private sendBindingError(p: InboundIpPacket, status: number): void {
    const src = this.coa ?? this.hoa!;
    const payload = encodeMh(
      { type: 'BE', status, homeAddress: p.homeAddressOption ?? '::' },
      { src, dst: p.src },
    );
    this.counters.bindingErrorsSent++;
    this.counters.bytesSent += payload.length;
    this.ipLayer.send({ src, dst: p.src, proto: IPPROTO_MH, payload }).catch(() => {
      this.counters.sendFailures++;
    });
  }
}
