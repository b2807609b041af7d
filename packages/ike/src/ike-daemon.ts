/**
 * The IKEv2 daemon: what a host wires in (core's KeyManager and Startable), and the API a CLI or a
 * test drives (initiate, rekey, delete, liveness, MOBIKE moves, listings). Kernel broadcasts
 * arrive on the host bus: ACQUIRE starts a negotiation (addresses from the AddressResolver when
 * one is wired and answers, else from the template / ACQUIRE, as a plain key manager would),
 * soft EXPIRE rekeys, hard EXPIRE deletes, MIGRATE moves the SPD image, hints and IKE SA
 * (draft-ebalard-mext-pfkey-enhanced-migrate section 5.1.2 - 5.1.4), and SPD changes keep the image.
 */
import {
  ADDRESS_RESOLVER,
  type AddressResolver,
  BUS,
  type Bus,
  CLOCK,
  type Clock,
  CRYPTO_PROVIDER,
  type CryptoProvider,
  type Direction,
  formatEndpoint,
  type IkeSaInfo,
  type IkeSaMatch,
  type Ip,
  ipFamily,
  KERNEL_BACKEND,
  type KernelAcquire,
  type KernelBackend,
  type KernelExpire,
  type KernelMigrate,
  type KeyManager,
  type MsrdRef,
  policyKey,
  type ResolvedAddresses,
  type SecurityPolicy,
  type Selector,
  type Startable,
  TRANSPORT,
  type Transport,
} from '@mip6sec/core';
import { inject, injectable } from 'tsyringe';
import { spi32Hex, spiHex, toHex } from './bytes.js';
import type { ChildSa, ChildSpec } from './child-sa.js';
import {
  type ChildConfig,
  type IkeDaemonConfig,
  type PeerConfig,
  type ResolvedDaemonConfig,
  type ResolvedPeer,
  resolveChild,
  resolveConfig,
  resolvePeer,
} from './config.js';
import { EXCHANGE, PROTOCOL } from './constants.js';
import { preferredDh, suiteName } from './crypto/proposals.js';
import { IkeEngine, ikeSpiText } from './engine.js';
import { IkeError } from './errors.js';
import { specFromConfig } from './exchanges/child-negotiation.js';
import {
  type ChildOutcome,
  CreateChildTask,
  RekeyIkeTask,
  respondCreateChild,
} from './exchanges/create-child-sa.js';
import { AuthTask, type FirstChildResult, respondAuth } from './exchanges/ike-auth.js';
import { InitTask, respondInit } from './exchanges/ike-sa-init.js';
import { DeleteChildTask, DeleteIkeTask, DpdTask, respondInformational } from './exchanges/informational.js';
import { AddressListTask, UpdateAddressesTask } from './exchanges/mobike.js';
import type { HomeAddressAssignment } from './home-address-pool.js';
import { type HomeAddressBootstrap, homeAddressFromPrefix } from './home-address-source.js';
import { formatIdentity } from './identity.js';
import { IkeSa } from './ike-sa.js';
import { IKE_CONFIG } from './tokens.js';
import { formatTs, rangeFromSelector, type TsRange } from './traffic-selectors.js';

/** One CHILD_SA in a listing. */
export interface ChildSaListing {
  readonly name: string;
  readonly state: string;
  readonly mode: 'tunnel' | 'transport';
  readonly reqid: number;
  readonly reqidIn: number;
  readonly spiIn: string;
  readonly spiOut: string;
  readonly local: Ip;
  readonly remote: Ip;
  readonly encap: boolean;
  readonly algorithms: string;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly createdAt: number;
  readonly ref?: { readonly mpi: string; readonly refType: number };
  readonly keys?: {
    readonly encIn: string;
    readonly integIn: string;
    readonly encOut: string;
    readonly integOut: string;
  };
}

/** One IKE SA in a listing: JSON-able (SPIs and keys as hex). */
export interface IkeSaListing {
  readonly ikeSpi: string;
  readonly spiI: string;
  readonly spiR: string;
  readonly peer: string | undefined;
  readonly state: string;
  readonly initiator: boolean;
  readonly local: string;
  readonly remote: string;
  readonly localId: string;
  readonly remoteId: string;
  readonly algorithms: string | undefined;
  readonly natT: boolean;
  readonly natLocal: boolean;
  readonly natRemote: boolean;
  readonly mobike: boolean;
  readonly peerAdditionalAddresses: readonly string[];
  readonly establishedAt: number | undefined;
  readonly homeAddress?: { readonly address?: string; readonly prefix?: string; readonly prefixLen?: number };
  readonly assignedToPeer?: string;
  readonly ref?: { readonly mpi: string; readonly refType: number };
  readonly children: readonly ChildSaListing[];
  readonly keys?: Readonly<Record<'skD' | 'skAi' | 'skAr' | 'skEi' | 'skEr' | 'skPi' | 'skPr', string>>;
}

export interface InitiateResult {
  readonly ike: IkeSaListing;
  /** CHILD_SAs that could not be made, with the notify or error code. */
  readonly failures: readonly { readonly child: string; readonly code: string; readonly message: string }[];
}

export interface InitiateOptions {
  /** Child config names to bring up (default: every child of the peer). */
  readonly children?: readonly string[];
  readonly local?: Ip;
  readonly remote?: Ip;
  readonly ref?: MsrdRef;
}

const refJson = (r: MsrdRef | undefined) => (r ? { ref: { mpi: r.mpi.toString(), refType: r.refType } } : {});

@injectable()
export class IkeDaemon implements KeyManager, Startable {
  private readonly engine: IkeEngine;
  private readonly cfg: ResolvedDaemonConfig;
  private readonly acquiring = new Set<string>();

  constructor(
    @inject(IKE_CONFIG) config: IkeDaemonConfig,
    @inject(BUS) bus: Bus,
    @inject(CLOCK) clock: Clock,
    @inject(KERNEL_BACKEND) kernel: KernelBackend,
    @inject(CRYPTO_PROVIDER) crypto: CryptoProvider,
    @inject(TRANSPORT) transport: Transport,
    @inject(ADDRESS_RESOLVER, { isOptional: true }) resolver?: AddressResolver,
  ) {
    this.cfg = resolveConfig(config);
    this.engine = new IkeEngine({ config: this.cfg, bus, clock, kernel, crypto, transport, resolver });
    this.engine.initResponder = (msg, raw, d, local) => respondInit(this.engine, msg, raw, d, local);
    this.engine.handlers.set(EXCHANGE.IKE_AUTH, (sa, p, d, l) => respondAuth(this.engine, sa, p, d, l));
    this.engine.handlers.set(EXCHANGE.CREATE_CHILD_SA, (sa, p, d, l) =>
      respondCreateChild(this.engine, sa, p, d, l),
    );
    this.engine.handlers.set(EXCHANGE.INFORMATIONAL, (sa, p, d, l) =>
      respondInformational(this.engine, sa, p, d, l),
    );
    this.engine.afterEstablished = (sa) => this.startTimers(sa);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Binds the sockets, loads the SPD image and starts listening to the kernel. */
  async start(): Promise<void> {
    const e = this.engine;
    if (e.running) return;
    await e.start();
    e.spd.load(await e.kernel.dumpPolicies());
    const guard =
      <T>(fn: (x: T) => Promise<void> | void) =>
      (x: T) => {
        try {
          void Promise.resolve(fn(x)).catch((err) => e.report(err));
        } catch (err) {
          e.report(err);
        }
      };
    e.subscriptions.push(
      e.bus.on('kernel.policy').subscribe(guard((ev) => e.spd.apply(ev))),
      e.bus.on('kernel.acquire').subscribe(guard((ev) => this.onAcquire(ev))),
      e.bus.on('kernel.expire').subscribe(guard((ev) => this.onExpire(ev))),
      e.bus.on('kernel.migrate').subscribe(guard((ev) => this.onMigrate(ev))),
    );
  }

  /**
   * Stops timers and sockets. With `deleteOnStop`, first deletes every IKE SA: a DELETE to each
   * peer (answers awaited up to `stopTimeout` on the Clock), CHILD_SAs out of the kernel, and
   * whatever did not answer or was not yet up ended locally. Otherwise IKE and kernel SAs are
   * left as they are (a restart would flush them).
   */
  async stop(): Promise<void> {
    const e = this.engine;
    if (e.running && this.cfg.deleteOnStop) await this.deleteAll('daemon stopped');
    await e.stop();
  }

  private async deleteAll(reason: string): Promise<void> {
    const e = this.engine;
    const answered: Promise<void>[] = [];
    for (const sa of [...e.sas.values()]) {
      if (sa.state !== 'established') continue;
      answered.push(
        new Promise<void>((resolve) => e.enqueue(sa, new DeleteIkeTask(e, { reason }, resolve), true)),
      );
    }
    if (answered.length) {
      let timer: { cancel(): void } | undefined;
      await Promise.race([
        Promise.all(answered),
        new Promise<void>((resolve) => {
          timer = e.clock.setTimeout(resolve, this.cfg.stopTimeout);
        }),
      ]);
      timer?.cancel();
    }
    for (const sa of [...e.sas.values()]) await sa.serial(() => e.destroy(sa, reason));
  }

  /** Errors raised outside any caller (kernel refusals during a rekey, a failed ACQUIRE), newest last. */
  get errors(): readonly { at: number; error: unknown }[] {
    return this.engine.errors;
  }

  // ---- API ------------------------------------------------------------------------------------

  private peer(ref: string | PeerConfig): ResolvedPeer {
    if (typeof ref !== 'string') return resolvePeer(ref);
    const p = this.cfg.peers.find((x) => x.name === ref);
    if (!p) throw new IkeError('ENOENT', `no peer named ${ref}`);
    return p;
  }

  /** The configured peer for an address pair: one naming that remote address, else one for any address. */
  private peerFor(remote: Ip, local?: Ip): ResolvedPeer | undefined {
    const localOk = (p: ResolvedPeer) =>
      local === undefined || p.config.local === undefined || p.config.local === local;
    return (
      this.cfg.peers.find((p) => p.config.remote === remote && localOk(p)) ??
      this.cfg.peers.find((p) => p.config.remote === undefined && localOk(p))
    );
  }

  private localFor(remote: Ip): Ip {
    const family = ipFamily(remote);
    const l = this.cfg.listen.find((a) => ipFamily(a) === family && a !== '0.0.0.0' && a !== '::');
    if (!l)
      throw new IkeError(
        'EINVAL',
        `no local address to reach ${remote} from: configure peer.local or listen addresses`,
      );
    return l;
  }

  /**
   * Brings up an IKE SA with a configured peer (or reuses the established one) and the named
   * CHILD_SAs: the first inside IKE_AUTH, the others with CREATE_CHILD_SA. Resolves once every
   * CHILD_SA was tried; rejects when the IKE SA cannot be established.
   */
  async initiate(peerRef: string | PeerConfig, opts: InitiateOptions = {}): Promise<InitiateResult> {
    const peer = this.peer(peerRef);
    const remote = opts.remote ?? peer.config.remote;
    if (!remote) throw new IkeError('EINVAL', `peer ${peer.name} has no remote address to initiate to`);
    const local = opts.local ?? peer.config.local ?? this.localFor(remote);
    const names = opts.children ?? peer.children.map((c) => c.name);
    const specs = names.map((n) => {
      const c = peer.children.find((x) => x.name === n);
      if (!c) throw new IkeError('ENOENT', `peer ${peer.name} has no child ${n}`);
      return { ...specFromConfig(c), ...(opts.ref && this.cfg.storeRef ? { ref: opts.ref } : {}) };
    });
    const existing = this.engine
      .sasWith(remote, local)
      .find((s) => s.peer?.name === peer.name && s.state === 'established');
    const { sa, outcomes } = existing
      ? { sa: existing, outcomes: specs.map((s) => this.addChild(existing, s)) }
      : this.startSa(peer, local, remote, specs, opts.ref);
    await this.engine.waitFor(sa);
    const results = await Promise.all(outcomes);
    const failures = results.flatMap((r, i) =>
      'error' in r ? [{ child: specs[i]!.name, code: r.error.code, message: r.error.message }] : [],
    );
    return { ike: this.listing(sa), failures };
  }

  /** Starts an IKE SA as initiator; one outcome per spec (the first inside IKE_AUTH). */
  private startSa(
    peer: ResolvedPeer,
    local: Ip,
    remote: Ip,
    specs: readonly ChildSpec[],
    ref?: MsrdRef,
  ): { sa: IkeSa; outcomes: Promise<ChildOutcome>[] } {
    const e = this.engine;
    const sa = new IkeSa({
      crypto: e.crypto,
      initiator: true,
      spiI: e.newSpi(),
      spiR: 0n,
      local: { ip: local, port: this.cfg.port },
      remote: { ip: remote, port: peer.config.remotePort ?? this.cfg.port },
      now: e.clock.now(),
    });
    sa.peer = peer;
    if (ref && this.cfg.storeRef) sa.ref = ref;
    e.register(sa);
    const [firstSpec, ...rest] = specs;
    const resolvers: ((o: ChildOutcome) => void)[] = [];
    const outcomes = specs.map((_, i) => new Promise<ChildOutcome>((res) => (resolvers[i] = res)));
    const cancelAll = (error: IkeError) => {
      for (const r of resolvers) r({ error });
    };
    void e
      .waitFor(sa)
      .catch((err: unknown) =>
        cancelAll(err instanceof IkeError ? err : new IkeError('ECANCELED', String(err))),
      );
    const afterAuth = (s: IkeSa, first: FirstChildResult) => {
      if (firstSpec)
        resolvers[0]!(
          first.child
            ? { child: first.child }
            : { error: first.error ?? new IkeError('ECANCELED', 'no CHILD_SA') },
        );
      rest.forEach((spec, i) => {
        e.enqueue(s, new CreateChildTask(e, spec, { done: (o) => resolvers[i + 1]!(o) }));
      });
    };
    e.enqueue(
      sa,
      new InitTask(e, preferredDh(peer.ike)!, (s) =>
        e.enqueue(s, new AuthTask(e, firstSpec, afterAuth), true),
      ),
    );
    return { sa, outcomes };
  }

  private addChild(sa: IkeSa, spec: ChildSpec): Promise<ChildOutcome> {
    return new Promise((resolve) =>
      this.engine.enqueue(sa, new CreateChildTask(this.engine, spec, { done: resolve })),
    );
  }

  private sa(ikeSpi: string): IkeSa {
    const sa = this.engine.find(ikeSpi);
    if (!sa || sa.state === 'dead') throw new IkeError('ENOENT', `no IKE SA ${ikeSpi}`);
    return sa;
  }

  /** Adds a CHILD_SA to an established IKE SA (a child config of its peer, by name, or a new one). */
  async createChild(ikeSpi: string, child: string | ChildConfig): Promise<ChildSaListing> {
    const sa = this.sa(ikeSpi);
    const c =
      typeof child === 'string'
        ? sa.peer?.children.find((x) => x.name === child)
        : resolveChild(child, 'child');
    if (!c) throw new IkeError('ENOENT', `no child ${String(child)}`);
    const o = await this.addChild(sa, specFromConfig(c));
    if ('error' in o) throw o.error;
    return this.childListing(o.child);
  }

  private child(ikeSpi: string, spi: number): { sa: IkeSa; child: ChildSa } {
    const sa = this.sa(ikeSpi);
    const child = sa.liveChildren().find((c) => c.spiIn === spi || c.spiOut === spi);
    if (!child) throw new IkeError('ENOENT', `no CHILD_SA with SPI ${spi32Hex(spi)} in ${ikeSpi}`);
    return { sa, child };
  }

  /** Rekeys a CHILD_SA (named by either SPI) now. */
  async rekeyChild(ikeSpi: string, spi: number): Promise<ChildSaListing> {
    const { sa, child } = this.child(ikeSpi, spi);
    const o = await new Promise<ChildOutcome>((resolve) =>
      this.engine.enqueue(
        sa,
        new CreateChildTask(this.engine, child.spec, { rekeyOf: child, done: resolve }),
      ),
    );
    if ('error' in o) throw o.error;
    return this.childListing(o.child);
  }

  /** Rekeys the IKE SA now; resolves with the new one. */
  async rekeyIke(ikeSpi: string): Promise<IkeSaListing> {
    const sa = this.sa(ikeSpi);
    const o = await new Promise<{ sa: IkeSa } | { error: IkeError }>((resolve) =>
      this.engine.enqueue(sa, new RekeyIkeTask(this.engine, { done: resolve })),
    );
    if ('error' in o) throw o.error;
    return this.listing(o.sa);
  }

  /** Deletes one CHILD_SA, telling the peer. */
  async deleteChild(ikeSpi: string, spi: number): Promise<void> {
    const { sa, child } = this.child(ikeSpi, spi);
    await new Promise<void>((resolve) =>
      this.engine.enqueue(sa, new DeleteChildTask(this.engine, child, resolve)),
    );
  }

  /** Deletes an IKE SA and its CHILD_SAs, telling the peer. */
  async terminate(ikeSpi: string): Promise<void> {
    const sa = this.sa(ikeSpi);
    // The task reports done also when another path ends the SA first (it is then cancelled).
    await new Promise<void>((resolve) =>
      this.engine.enqueue(sa, new DeleteIkeTask(this.engine, { reason: 'deleted' }, resolve)),
    );
  }

  /** Runs a liveness check now; false when the peer did not answer (the IKE SA is then gone). */
  async liveness(ikeSpi: string): Promise<boolean> {
    const sa = this.sa(ikeSpi);
    return new Promise((resolve) => this.engine.enqueue(sa, new DpdTask(resolve)));
  }

  /**
   * MOBIKE (RFC 4555): as original initiator, moves the IKE SA and its CHILD_SAs to a new local
   * (and optionally remote) address with UPDATE_SA_ADDRESSES, without rekeying; as responder,
   * announces the new address list so the initiator may move.
   */
  async roam(ikeSpi: string, to: { local?: Ip; remote?: Ip; additional?: readonly Ip[] }): Promise<void> {
    const sa = this.sa(ikeSpi);
    if (!sa.mobike) throw new IkeError('EINVAL', 'MOBIKE was not negotiated on this IKE SA');
    if (!sa.initiator) {
      await new Promise<void>((resolve, reject) => {
        const t = new AddressListTask([...(to.local ? [to.local] : []), ...(to.additional ?? [])]);
        this.engine.enqueue(sa, {
          exchange: t.exchange,
          build: () => t.build(),
          handle: async () => {
            resolve();
            return undefined;
          },
          fail: (_s, err) => reject(err),
        });
      });
      return;
    }
    const old = { local: sa.local.ip, remote: sa.remote.ip };
    const nattPort = this.cfg.nattPort;
    sa.local = { ip: to.local ?? sa.local.ip, port: sa.natT ? sa.local.port : nattPort };
    sa.remote = { ip: to.remote ?? sa.remote.ip, port: sa.natT ? sa.remote.port : nattPort };
    sa.natT = true;
    // RFC 4555 section 3.5: what is in flight goes again from the new address.
    this.engine.resendInflight(sa);
    await new Promise<void>((resolve, reject) =>
      this.engine.enqueue(
        sa,
        new UpdateAddressesTask(this.engine, old, (err) => (err ? reject(err) : resolve())),
        true,
      ),
    );
  }

  /** Every IKE SA with its CHILD_SAs, JSON-able; `keys` adds the key material in hex. */
  listSas(opts: { keys?: boolean } = {}): IkeSaListing[] {
    return [...this.engine.sas.values()]
      .filter((s) => s.state !== 'dead')
      .map((s) => this.listing(s, opts.keys));
  }

  /**
   * RFC 5026 bootstrapping as the mobile node: the home address the home agent `peerRef` assigned
   * in IKE_AUTH (INTERNAL_IP6_ADDRESS, or a HoA formed from MIP6_HOME_PREFIX and `interfaceId`,
   * random by default), with the IKE SA's remote address as the home agent. Reuses an
   * established IKE SA that got one, else initiates (the peer must set `requestHomeAddress`).
   * Rejects with INTERNAL_ADDRESS_FAILURE when the home agent assigned nothing.
   */
  async requestHomeAddress(
    peerRef: string,
    opts: { interfaceId?: Ip | Uint8Array; children?: readonly string[] } = {},
  ): Promise<HomeAddressBootstrap> {
    const peer = this.peer(peerRef);
    if (!peer.homeAddress)
      throw new IkeError('EINVAL', `peer ${peer.name} does not request a home address (requestHomeAddress)`);
    await this.start();
    const has = (s: IkeSa) => s.state === 'established' && s.peer?.name === peer.name && s.assignedHome;
    let sa = [...this.engine.sas.values()].find(has);
    if (!sa) {
      const r = await this.initiate(peerRef, opts.children ? { children: opts.children } : {});
      sa = this.engine.find(r.ike.ikeSpi);
    }
    const home = sa?.assignedHome;
    if (!sa || !home || (!home.address && !home.prefix))
      throw new IkeError('INTERNAL_ADDRESS_FAILURE', `home agent ${peer.name} assigned no home address`);
    const prefixLen = home.prefixLen ?? 64;
    const hoa =
      home.address ??
      homeAddressFromPrefix(home.prefix!, prefixLen, opts.interfaceId ?? this.engine.crypto.randomBytes(16));
    return {
      hoa,
      prefixLen,
      ha: sa.remote.ip,
      ikeSpi: ikeSpiText(sa),
      ...(home.prefix ? { prefix: home.prefix } : {}),
      ...(home.prefixLifetime !== undefined ? { prefixLifetime: home.prefixLifetime } : {}),
    };
  }

  /** The home address table of every pool the peers use (RFC 5026 assignments). */
  homeAddresses(): HomeAddressAssignment[] {
    const pools = new Set(this.cfg.peers.flatMap((p) => (p.pool ? [p.pool] : [])));
    return [...pools].flatMap((p) => p.assignments());
  }

  /** The SPD image, for the lab's "IKE's SPD image equals the kernel SPD" invariant. */
  spdImage(): SecurityPolicy[] {
    return this.engine.spd.all();
  }

  private childListing(c: ChildSa, keys = false): ChildSaListing {
    return {
      name: c.name,
      state: c.state,
      mode: c.spec.mode,
      reqid: c.reqid,
      reqidIn: c.reqidIn,
      spiIn: spi32Hex(c.spiIn),
      spiOut: spi32Hex(c.spiOut),
      local: c.local,
      remote: c.remote,
      encap: c.encap !== undefined,
      algorithms: suiteName(c.suite),
      localTs: c.localTs.map(formatTs),
      remoteTs: c.remoteTs.map(formatTs),
      createdAt: c.createdAt,
      ...refJson(c.spec.ref),
      ...(keys
        ? {
            keys: {
              encIn: toHex(c.keys.encIn),
              integIn: toHex(c.keys.integIn),
              encOut: toHex(c.keys.encOut),
              integOut: toHex(c.keys.integOut),
            },
          }
        : {}),
    };
  }

  private listing(sa: IkeSa, keys = false): IkeSaListing {
    const k = sa.keys;
    return {
      ikeSpi: ikeSpiText(sa),
      spiI: spiHex(sa.spiI),
      spiR: spiHex(sa.spiR),
      peer: sa.peer?.name,
      state: sa.state,
      initiator: sa.initiator,
      local: formatEndpoint(sa.local),
      remote: formatEndpoint(sa.remote),
      localId: sa.localId ? formatIdentity(sa.localId) : '',
      remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '',
      algorithms: sa.suite ? suiteName(sa.suite) : undefined,
      natT: sa.natT,
      natLocal: sa.natLocal,
      natRemote: sa.natRemote,
      mobike: sa.mobike,
      peerAdditionalAddresses: sa.peerAdditionalAddresses,
      establishedAt: sa.establishedAt,
      ...(sa.assignedHome
        ? {
            homeAddress: {
              ...(sa.assignedHome.address ? { address: sa.assignedHome.address } : {}),
              ...(sa.assignedHome.prefix ? { prefix: sa.assignedHome.prefix } : {}),
              ...(sa.assignedHome.prefixLen !== undefined ? { prefixLen: sa.assignedHome.prefixLen } : {}),
            },
          }
        : {}),
      ...(sa.peerHome ? { assignedToPeer: sa.peerHome } : {}),
      ...refJson(sa.ref),
      children: sa.liveChildren().map((c) => this.childListing(c, keys)),
      ...(keys && k
        ? {
            keys: {
              skD: toHex(k.skD),
              skAi: toHex(k.skAi),
              skAr: toHex(k.skAr),
              skEi: toHex(k.skEi),
              skEr: toHex(k.skEr),
              skPi: toHex(k.skPi),
              skPr: toHex(k.skPr),
            },
          }
        : {}),
    };
  }

  // ---- KeyManager -----------------------------------------------------------------------------

  ikeSas(match?: IkeSaMatch): readonly IkeSaInfo[] {
    let listed: IkeSa[];
    if (match && match.mpi === undefined) {
      // Peers by address come from the engine's index, in registration order as the table has them.
      const seen = new Set<IkeSa>();
      for (const r of match.remotes ?? []) for (const s of this.engine.sasWith(r)) seen.add(s);
      listed = this.engine.inRegistrationOrder(seen);
    } else {
      // An MPI is only found by looking at every SA (a cheap test; nothing is built for the others).
      const remotes = new Set(match?.remotes ?? []);
      listed = [];
      for (const s of this.engine.sas.values()) {
        if (!match || remotes.has(s.remote.ip) || s.ref?.mpi === match.mpi) listed.push(s);
      }
    }
    return listed
      .filter((s) => s.state !== 'dead')
      .map((s) => ({
        ikeSpi: ikeSpiText(s),
        local: s.local,
        remote: s.remote,
        localId: s.localId ? formatIdentity(s.localId) : '',
        remoteId: s.remoteId ? formatIdentity(s.remoteId) : '',
        state: s.state,
        childReqids: s.liveChildren().map((c) => c.reqid),
        ...(s.ref ? { ref: s.ref } : {}),
      }));
  }

  /**
   * Moves IKE SAs (and IKE's record of the CHILD_SAs that sat on the same addresses) without an
   * exchange; the kernel SAs are the strategy's to move (MIGRATE, MSRD).
   */
  async updateAddresses(
    match: { local?: Ip; remote: Ip },
    to: { local: Ip; remote: Ip },
    cause: 'migrate' | 'msrd',
  ): Promise<number> {
    let n = 0;
    for (const sa of this.engine.sasWith(match.remote, match.local)) {
      if (
        sa.state === 'dead' ||
        sa.remote.ip !== match.remote ||
        (match.local !== undefined && sa.local.ip !== match.local)
      )
        continue;
      this.moveIkeSa(sa, to, cause);
      n++;
    }
    return n;
  }

  private moveIkeSa(
    sa: IkeSa,
    to: { local: Ip; remote: Ip },
    cause: 'migrate' | 'msrd' | 'configuration',
  ): void {
    const old = { local: sa.local.ip, remote: sa.remote.ip };
    if (old.local === to.local && old.remote === to.remote) return;
    sa.local = { ip: to.local, port: sa.local.port };
    sa.remote = { ip: to.remote, port: sa.remote.port };
    for (const c of sa.liveChildren()) {
      if (c.local === old.local && c.remote === old.remote) {
        c.local = to.local;
        c.remote = to.remote;
      }
    }
    this.engine.spd.moveHints(old, to);
    // A request in flight (a CHILD_SA rekey, say) went from or to the old address: send it again
    // now from the new one rather than wait for its retransmission timer.
    this.engine.resendInflight(sa);
    this.engine.bus.emit({
      type: 'ike.addresses-updated',
      ikeSpi: ikeSpiText(sa),
      local: sa.local,
      remote: sa.remote,
      cause,
    });
  }

  /**
   * The renegotiate baseline: deletes every IKE SA (and CHILD_SA) with `peer`, telling it once
   * without waiting, then negotiates them again from `local` with the same selectors and reqids.
   * A CHILD_SA whose policy is gone (the MIPv6 daemon removes its tunnel entries at home) is not
   * negotiated again: an ACQUIRE brings it back when its policy does. While the others are being
   * negotiated, ACQUIREs for their policies are theirs, so a packet meeting the torn-down SAs
   * does not start a second CHILD_SA for the same policy.
   */
  async reestablish(peer: Ip, local: Ip): Promise<void> {
    const e = this.engine;
    const old = e.sasWith(peer);
    const specs = new Map<number, ChildSpec>();
    let config: ResolvedPeer | undefined;
    let ref: MsrdRef | undefined;
    for (const sa of old) {
      config ??= sa.peer;
      ref ??= sa.ref;
      for (const c of sa.liveChildren()) {
        if (c.spec.policy && !e.spd.get(c.spec.policy)) continue;
        specs.set(c.reqid, {
          ...c.spec,
          localTs: c.localTs,
          remoteTs: c.remoteTs,
          reqid: c.reqid,
          reqidIn: c.reqidIn,
        });
      }
      if (sa.state === 'established')
        e.sendOnce(sa, EXCHANGE.INFORMATIONAL, [{ kind: 'D', protocol: PROTOCOL.IKE, spiSize: 0, spis: [] }]);
      await sa.serial(() => e.destroy(sa, 'reestablish'));
    }
    config ??= this.peerFor(peer, local);
    if (!config) throw new IkeError('ENOENT', `no peer configuration for ${peer}`);
    const claimed: string[] = [];
    for (const spec of specs.values()) {
      const key = spec.policy ? `${spec.reqid}|${policyKey(spec.policy)}` : undefined;
      if (key === undefined || this.acquiring.has(key)) continue;
      this.acquiring.add(key);
      claimed.push(key);
    }
    try {
      const { sa, outcomes } = this.startSa(config, local, peer, [...specs.values()], ref);
      await e.waitFor(sa);
      await Promise.all(outcomes);
    } finally {
      for (const key of claimed) this.acquiring.delete(key);
    }
  }

  /**
   * Ends the IKE SAs with `match.remote` (from `match.local`), established or still connecting,
   * and their CHILD_SAs, without telling the peer: it is no longer at that address. A half-open
   * negotiation toward it would otherwise retransmit for minutes, and could even complete with
   * whichever node holds the address later.
   */
  async discard(match: { local?: Ip; remote: Ip }, reason: string): Promise<number> {
    const e = this.engine;
    const gone = e.sasWith(match.remote, match.local);
    for (const sa of gone) await sa.serial(() => e.destroy(sa, reason));
    return gone.length;
  }

  hintFor(policy: { selector: Selector; dir: Direction }): ResolvedAddresses | undefined {
    return this.engine.spd.hintFor(policy);
  }

  // ---- timers ---------------------------------------------------------------------------------

  private startTimers(sa: IkeSa): void {
    const e = this.engine;
    const dpd = sa.peer?.config.dpdDelay ?? this.cfg.dpdDelay;
    if (dpd > 0) {
      // Checks when `dpd` ms may have passed since the peer was last heard from.
      const check = () => {
        if (sa.state === 'dead') return;
        const idle = e.clock.now() - sa.lastHeard;
        if (idle >= dpd && !sa.pending && sa.queue.length === 0 && sa.state === 'established') {
          e.enqueue(sa, new DpdTask(() => undefined));
        }
        sa.setTimer('dpd', e.clock.setTimeout(check, idle >= dpd ? dpd : dpd - idle));
      };
      sa.setTimer('dpd', e.clock.setTimeout(check, dpd));
    }
    const rekey = sa.peer?.config.rekeySeconds ?? 0;
    if (rekey > 0) {
      sa.setTimer(
        'ike-rekey',
        e.clock.setTimeout(() => {
          if (sa.state === 'established') e.enqueue(sa, new RekeyIkeTask(e));
        }, e.softSeconds(rekey) * 1000),
      );
    }
  }

  // ---- kernel events --------------------------------------------------------------------------

  /**
   * ACQUIRE: negotiate a CHILD_SA for the policy. Addresses come from the AddressResolver (given
   * the policy, templates, ACQUIRE and MSRD reference), else from the tunnel template, else from
   * the ACQUIRE itself.
   */
  private async onAcquire(ev: KernelAcquire): Promise<void> {
    const e = this.engine;
    const tmpl = ev.templates.find((t) => t.proto === 'esp');
    if (!tmpl) return;
    const key = `${tmpl.reqid}|${policyKey(ev.policy)}`;
    if (this.acquiring.has(key)) return;
    // A CHILD_SA already serving this policy: same reqid and selectors covering the policy's
    // (reqids are per policy class, so on a home agent other MNs' CHILD_SAs share them).
    const covers = childCovers(ev.policy.selector, ev.policy.dir);
    const live = holdersOf(e, ev.policy.selector, ev.policy.dir).some(
      (sa) =>
        sa.state !== 'dead' &&
        sa.liveChildren().some((c) => c.reqid === tmpl.reqid && c.state === 'installed' && covers(c)),
    );
    if (live) return;
    this.acquiring.add(key);
    try {
      const out = ev.policy.dir === 'out';
      // The configured peer for the kernel's destination, when one names it.
      const configured0 = this.peerFor(out ? (tmpl.dst ?? ev.dst) : (tmpl.src ?? ev.src))?.config.remote;
      const resolved = await e.resolver?.resolve({
        policy: ev.policy,
        templates: ev.templates,
        acquire: ev,
        reqid: tmpl.reqid,
        ...(ev.ref ? { ref: ev.ref } : {}),
        ...(configured0 ? { peer: configured0 } : {}),
      });
      const local = resolved?.local ?? (out ? tmpl.src : tmpl.dst) ?? (out ? ev.src : ev.dst);
      const remote = resolved?.remote ?? (out ? tmpl.dst : tmpl.src) ?? (out ? ev.dst : ev.src);
      const ref = resolved?.ref ?? ev.ref;
      const policyId = { selector: ev.policy.selector, dir: ev.policy.dir };
      e.spd.setHint(policyId, { local, remote, ...(ref ? { ref } : {}) });
      const peer = this.peerFor(remote, local);
      if (!peer) throw new IkeError('ENOENT', `ACQUIRE for ${remote}: no peer configuration`);
      const localTs = rangeFromSelector(ev.policy.selector, out ? 'src' : 'dst');
      const remoteTs = rangeFromSelector(ev.policy.selector, out ? 'dst' : 'src');
      const configured = peer.children.find((c) => c.reqid === tmpl.reqid);
      const reverse = e.spd.findPair(localTs, remoteTs).in;
      const reqidIn = reverse?.templates.find((t) => t.proto === 'esp')?.reqid ?? tmpl.reqid;
      const spec: ChildSpec = {
        name: configured?.name ?? `acquire-${tmpl.reqid}`,
        mode: tmpl.mode,
        esp: configured?.esp ?? peer.esp,
        localTs: [localTs],
        remoteTs: [remoteTs],
        reqid: tmpl.reqid,
        reqidIn,
        rekeySeconds: configured?.rekeySeconds ?? this.cfg.childRekeySeconds,
        lifetimeSeconds: configured?.lifetimeSeconds ?? this.cfg.childLifetimeSeconds,
        replayWindow: configured?.replayWindow ?? 32,
        ...(ref && this.cfg.storeRef ? { ref } : {}),
        policy: policyId,
      };
      const existing = e.sasWith(remote, local).filter((s) => s.peer === peer);
      const up = existing.find((s) => s.state === 'established');
      let outcome: ChildOutcome;
      if (up) outcome = await this.addChild(up, spec);
      else {
        const connecting = existing.find((s) => s.state === 'connecting' || s.state === 'authenticating');
        if (connecting) {
          await e.waitFor(connecting);
          outcome = await this.addChild(connecting, spec);
        } else {
          const { sa, outcomes } = this.startSa(peer, local, remote, [spec], ref);
          await e.waitFor(sa);
          outcome = await outcomes[0]!;
        }
      }
      if ('error' in outcome) throw outcome.error;
    } finally {
      this.acquiring.delete(key);
    }
  }

  private findChild(id: { src: Ip; dst: Ip; spi: number }): { sa: IkeSa; child: ChildSa } | undefined {
    for (const sa of this.engine.sas.values()) {
      if (sa.state === 'dead') continue;
      for (const child of sa.liveChildren()) {
        if (
          (child.spiIn === id.spi && child.local === id.dst) ||
          (child.spiOut === id.spi && child.remote === id.dst)
        ) {
          return { sa, child };
        }
      }
    }
    return undefined;
  }

  /** Soft EXPIRE rekeys the CHILD_SA before the hard one hits, so traffic keeps flowing; hard deletes it. */
  private onExpire(ev: KernelExpire): void {
    const e = this.engine;
    const found = this.findChild(ev.sa);
    if (!found) return;
    const { sa, child } = found;
    if (ev.hard) {
      if (sa.state === 'established') e.enqueue(sa, new DeleteChildTask(e, child));
      else void e.removeChild(child);
      return;
    }
    if (child.state === 'installed' && sa.state === 'established') {
      e.enqueue(
        sa,
        new CreateChildTask(e, child.spec, {
          rekeyOf: child,
          done: (o) => ('error' in o ? e.report(o.error) : undefined),
        }),
      );
    }
  }

  /**
   * MIGRATE the kernel applied: the SPD image and hints follow; CHILD_SAs whose endpoints were
   * the bundle's old ones take the new ones; the IKE SA that owns a migrated reqid moves to the
   * kmaddress, or, without one, to a tunnel bundle's new endpoints when it sat on the old ones.
   */
  private onMigrate(ev: KernelMigrate): void {
    const e = this.engine;
    e.spd.migrate(ev);
    const owners = new Set<IkeSa>();
    // Reqids are per policy class, not per peer (a home agent shares them among its mobile nodes):
    // only CHILD_SAs whose selectors cover the migrated policy's addresses belong to this MIGRATE.
    const out = ev.dir === 'out';
    const covers = childCovers(ev.selector, ev.dir);
    const holders = holdersOf(e, ev.selector, ev.dir);
    for (const b of ev.bundles) {
      const oldLocal = out ? b.oldSrc : b.oldDst;
      const oldRemote = out ? b.oldDst : b.oldSrc;
      const newLocal = out ? b.newSrc : b.newDst;
      const newRemote = out ? b.newDst : b.newSrc;
      for (const sa of holders) {
        if (sa.state === 'dead') continue;
        for (const c of sa.liveChildren()) {
          if ((c.reqid !== b.reqid && c.reqidIn !== b.reqid) || !covers(c)) continue;
          owners.add(sa);
          if (c.local === oldLocal && c.remote === oldRemote) {
            c.local = newLocal;
            c.remote = newRemote;
          }
        }
      }
      if (!ev.kmaddress && b.mode === 'tunnel') {
        for (const sa of e.sasWith(oldRemote, oldLocal)) {
          if (sa.state !== 'dead' && sa.local.ip === oldLocal && sa.remote.ip === oldRemote) {
            this.moveIkeSa(sa, { local: newLocal, remote: newRemote }, 'migrate');
          }
        }
      }
    }
    if (ev.kmaddress) {
      for (const sa of owners)
        this.moveIkeSa(sa, { local: ev.kmaddress.local, remote: ev.kmaddress.remote }, 'migrate');
    }
  }
}

/** The IKE SAs that may hold CHILD_SAs covering a policy (a superset, see ChildSaIndex). */
function holdersOf(e: IkeEngine, selector: Selector, dir: Direction): IkeSa[] {
  const out = dir === 'out';
  const found = e.childIndex.candidates(
    rangeFromSelector(selector, out ? 'src' : 'dst'),
    rangeFromSelector(selector, out ? 'dst' : 'src'),
  );
  return found ?? [...e.sas.values()];
}

function addressesOverlap(a: TsRange, b: TsRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/** Whether a CHILD_SA's traffic selectors overlap a policy's addresses (ports and protocol aside). */
function childCovers(selector: Selector, dir: Direction): (c: ChildSa) => boolean {
  const out = dir === 'out';
  const local = rangeFromSelector(selector, out ? 'src' : 'dst');
  const remote = rangeFromSelector(selector, out ? 'dst' : 'src');
  return (c) =>
    c.localTs.some((t) => addressesOverlap(t, local)) && c.remoteTs.some((t) => addressesOverlap(t, remote));
}
