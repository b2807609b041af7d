/**
 * An indexed image of one kernel's SPD and SAD, kept the way a PF_KEY or XFRM listener keeps one:
 * loaded by a single dump, then kept current from what the kernel broadcasts (`kernel.policy`,
 * `kernel.sa`, `kernel.expire`, `kernel.migrate` on the host bus), so that "the policies and SAs of
 * this binding" is a lookup of the size of the binding rather than a dump of the whole kernel.
 *
 * Lists come in a stable order: direction as a dump lists them (out, in, fwd), priority, index;
 * SAs in the order the image learnt them.
 *
 * What it holds:
 * - every policy, by (selector, direction), by kernel index, by reqid, by the addresses it names
 *   (selector addresses other than wildcards, template endpoints), where a PF_KEY MIGRATE
 *   broadcast's policy (named without ports or MH type) is looked up too;
 * - every SA the kernel announced (mature or dying), by (destination, SPI, protocol), by each of
 *   its addresses and by (protocol, mode, source, destination). Larval SAs are not announced by
 *   either interface (a GETSPI answer goes to its writer only) and are left out; broadcasts carry
 *   no keys, so the image holds none; counters are the kernel's and go stale.
 *
 * Ordering: a backend publishes the events a command caused before the command's promise settles
 * (kernel-sim queues them as a microtask ahead of the reply), so a caller that awaited a command
 * reads an image that already has its effect. Events from other writers arrive when the kernel
 * sends them, as they would to any listener.
 *
 * A MIGRATE broadcast names its policy without ports or MH type and does not say which SAs moved;
 * the image applies the kernel's rules (every SA with a bundle's old pair, protocol, mode and reqid
 * moves; templates with the old pair take the new one). When the policy it names is ambiguous or
 * unknown, or an event contradicts the image, the image marks itself suspect: {@link
 * KernelImage.fresh} then reloads it from a real dump, once. {@link KernelImage.resync} does so
 * unconditionally and reports how much had drifted, for a caller's slow consistency check.
 */
import type { Ip } from './address.js';
import { type BindingKey, policiesOfBinding } from './binding-policies.js';
import type { Bus, KernelExpire, KernelMigrate, KernelPolicyChanged, KernelSaChanged } from './events.js';
import type { KernelBackend } from './kernel.js';
import { MultiMap } from './multimap.js';
import type { Direction, PolicyId, SecurityPolicy } from './policy.js';
import { policyKey } from './policy.js';
import type { SaId, SecurityAssociation } from './sa.js';
import { saKey } from './sa.js';
import type { Selector } from './selector.js';
import { PROTO_ANY } from './selector.js';

/** Counters of an image, for metrics and tests. */
export interface KernelImageStats {
  /** Kernel events applied. */
  readonly events: number;
  /** Full loads from dumps (the first one included). */
  readonly loads: number;
  /** Times the image found itself possibly out of step with the kernel. */
  readonly suspicions: number;
  /** Policies and SAs that differed from the dump when the image was reloaded. */
  readonly drifted: number;
}

/** Policy key as a PF_KEY MIGRATE broadcast allows: direction, prefixes and protocol. */
export function migrateLooseKey(p: { readonly selector: Selector; readonly dir: Direction }): string {
  const s = p.selector;
  const proto = s.proto === 0 ? PROTO_ANY : s.proto;
  return `${p.dir} ${s.src.addr}/${s.src.len} ${s.dst.addr}/${s.dst.len} ${proto}`;
}

function pairKey(proto: string, mode: string, src: Ip, dst: Ip): string {
  return `${proto}|${mode}|${src}|${dst}`;
}

const DIR_ORDER: Readonly<Record<Direction, number>> = { out: 0, in: 1, fwd: 2 };

/**
 * A stable order for lists the image returns (direction as a dump lists them, then priority, then
 * kernel index), so a result does not depend on the order events arrived in.
 */
function spdOrder(a: SecurityPolicy, b: SecurityPolicy): number {
  return DIR_ORDER[a.dir] - DIR_ORDER[b.dir] || a.priority - b.priority || a.index - b.index;
}

/** The addresses a policy is filed under: non-wildcard selector addresses and template endpoints. */
function policyAddresses(p: SecurityPolicy): Set<Ip> {
  const out = new Set<Ip>();
  if (p.selector.src.len > 0) out.add(p.selector.src.addr);
  if (p.selector.dst.len > 0) out.add(p.selector.dst.addr);
  for (const t of p.templates) {
    if (t.src !== undefined) out.add(t.src);
    if (t.dst !== undefined) out.add(t.dst);
  }
  return out;
}

/** What a policy is compared by when the image is checked against a dump. */
export function policyFingerprint(p: SecurityPolicy): string {
  const t = p.templates
    .map((x) => `${x.proto}/${x.mode}/${x.level}/${x.reqid}/${x.src ?? ''}/${x.dst ?? ''}`)
    .join(',');
  const ref = p.ref ? ` ref ${p.ref.refType}:${p.ref.mpi}` : '';
  return `${policyKey(p)} #${p.index} ${p.action} ${p.priority} [${t}]${ref}`;
}

/** What an SA is compared by: identity, state and the data broadcasts carry (not keys or counters). */
export function saFingerprint(s: SecurityAssociation): string {
  const lt = (l: SecurityAssociation['soft']) => (l ? `${l.addSeconds}/${l.bytes}/${l.packets}` : '-');
  const encap = s.encap ? `${s.encap.sport}/${s.encap.dport}/${s.encap.oa ?? ''}` : '-';
  return [
    saKey(s),
    s.src,
    s.state,
    s.mode,
    s.reqid,
    s.enc.alg,
    s.integ?.alg ?? 'none',
    s.replayWindow,
    s.esn ?? false,
    lt(s.soft),
    lt(s.hard),
    encap,
  ].join(' ');
}

/** Larval SAs exist only between a GETSPI and its UPDATE and are announced by no interface. */
const announced = (s: SecurityAssociation) => s.state !== 'larval' && s.state !== 'dead';

export class KernelImage {
  private readonly spd = new Map<string, SecurityPolicy>();
  private readonly spdByIndex = new Map<number, SecurityPolicy>();
  private readonly spdByAddress = new MultiMap<Ip, SecurityPolicy>();
  private readonly spdByReqid = new MultiMap<number, SecurityPolicy>();
  private readonly sad = new Map<string, SecurityAssociation>();
  private readonly sadByAddress = new MultiMap<Ip, SecurityAssociation>();
  private readonly sadByPair = new MultiMap<string, SecurityAssociation>();
  private readonly counters = { events: 0, loads: 0, suspicions: 0, drifted: 0 };
  private readonly unsubscribe: () => void;
  private loading: Promise<void> | undefined;
  private loaded: Promise<void>;
  private suspect = false;
  private closed = false;
  /** The backend's overrun count when last looked at: a rise means broadcasts were lost. */
  private overruns = 0;

  /** Starts listening at once and loads from one dump of each database; see {@link ready}. */
  constructor(
    private readonly kernel: KernelBackend,
    bus: Bus,
  ) {
    // Listening starts before the dump, so nothing the kernel says after it is missed.
    const sub = bus.events.subscribe((e) => {
      switch (e.type) {
        case 'kernel.policy':
          return this.applyPolicy(e);
        case 'kernel.sa':
          return this.applySa(e);
        case 'kernel.expire':
          return this.applyExpire(e);
        case 'kernel.migrate':
          return this.applyMigrate(e);
        default:
          return;
      }
    });
    this.unsubscribe = () => sub.unsubscribe();
    this.loaded = this.reload();
    // A failed first load is reported to whoever waits on ready(); the image stays suspect.
    this.loaded.catch(() => undefined);
  }

  /** Resolves once the first load has finished (rejects with its error, after which fresh() retries). */
  ready(): Promise<void> {
    return this.loaded;
  }

  /**
   * The image, reloaded first when something made it suspect (including broadcasts the backend
   * could not queue for it). Call before acting on it.
   */
  async fresh(): Promise<void> {
    try {
      await this.loaded;
    } catch {
      this.suspect = true;
    }
    const overruns = this.kernel.stats().overruns ?? 0;
    if (overruns !== this.overruns) {
      this.overruns = overruns;
      this.markSuspect();
    }
    if (this.suspect) await this.reload();
  }

  /** Records that the image may be out of step (a command failed in a way it did not predict). */
  markSuspect(): void {
    if (!this.suspect) this.counters.suspicions++;
    this.suspect = true;
  }

  get isSuspect(): boolean {
    return this.suspect;
  }

  /** Reloads from a dump now; resolves with the number of entries that had drifted. */
  async resync(): Promise<number> {
    await this.loaded.catch(() => undefined);
    const before = this.counters.drifted;
    await this.reload();
    return this.counters.drifted - before;
  }

  stats(): KernelImageStats {
    return { ...this.counters };
  }

  /** Stops listening; lookups keep answering from the last state. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- lookups ----

  policy(id: PolicyId): SecurityPolicy | undefined {
    return this.spd.get(policyKey(id));
  }

  policyByIndex(index: number): SecurityPolicy | undefined {
    return this.spdByIndex.get(index);
  }

  /** Every policy, in {@link spdOrder}. */
  policies(): SecurityPolicy[] {
    return [...this.spd.values()].sort(spdOrder);
  }

  get policyCount(): number {
    return this.spd.size;
  }

  /** Policies whose selector (a non-wildcard side) or a template endpoint is `ip`. */
  policiesAt(ip: Ip): SecurityPolicy[] {
    return [...this.spdByAddress.get(ip)].sort(spdOrder);
  }

  /** Policies with a template of this reqid. */
  policiesWithReqid(reqid: number): SecurityPolicy[] {
    return [...this.spdByReqid.get(reqid)].sort(spdOrder);
  }

  /** The protect policies of one binding (see core's policiesOfBinding), from the HoA's entries only. */
  policiesOfBinding(b: BindingKey): SecurityPolicy[] {
    return policiesOfBinding(this.policiesAt(b.hoa), b);
  }

  sa(id: Pick<SaId, 'dst' | 'spi' | 'proto'>): SecurityAssociation | undefined {
    return this.sad.get(saKey({ ...id, src: '' }));
  }

  sas(): SecurityAssociation[] {
    return [...this.sad.values()];
  }

  get saCount(): number {
    return this.sad.size;
  }

  /** SAs with `ip` as source or destination. */
  sasAt(ip: Ip): SecurityAssociation[] {
    return [...this.sadByAddress.get(ip)];
  }

  /** SAs with any of these addresses as an endpoint, each once. */
  sasAtAny(ips: Iterable<Ip>): SecurityAssociation[] {
    const out = new Set<SecurityAssociation>();
    for (const ip of ips) for (const s of this.sadByAddress.get(ip)) out.add(s);
    return [...out];
  }

  // ---- loading ----

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    // What was lost before this dump is in it.
    this.overruns = this.kernel.stats().overruns ?? 0;
    // Each database is replaced as soon as its dump is in: events published after the dump then
    // apply to it, and those published before it (kernel-sim publishes them ahead of the answer)
    // applied to the old image, which the dump replaces.
    const policies = await this.kernel.dumpPolicies();
    const policyDrift = this.replacePolicies(policies);
    const sas = this.kernel.features().espStates ? (await this.kernel.dumpSas()).filter(announced) : [];
    const saDrift = this.replaceSas(sas);
    if (this.counters.loads > 0) this.counters.drifted += policyDrift + saDrift;
    this.counters.loads++;
    this.suspect = false;
  }

  private replacePolicies(policies: readonly SecurityPolicy[]): number {
    const old = new Set([...this.spd.values()].map(policyFingerprint));
    let drift = 0;
    this.spd.clear();
    this.spdByIndex.clear();
    this.spdByAddress.clear();
    this.spdByReqid.clear();
    for (const p of policies) {
      if (!old.delete(policyFingerprint(p))) drift++;
      this.linkPolicy(p);
    }
    return drift + old.size;
  }

  private replaceSas(sas: readonly SecurityAssociation[]): number {
    const old = new Set([...this.sad.values()].map(saFingerprint));
    let drift = 0;
    this.sad.clear();
    this.sadByAddress.clear();
    this.sadByPair.clear();
    for (const s of sas) {
      if (!old.delete(saFingerprint(s))) drift++;
      this.linkSa(s);
    }
    return drift + old.size;
  }

  // ---- events ----

  private applyPolicy(e: KernelPolicyChanged): void {
    this.counters.events++;
    if (e.op === 'flush') {
      this.spd.clear();
      this.spdByIndex.clear();
      this.spdByAddress.clear();
      this.spdByReqid.clear();
      return;
    }
    const p = e.policy;
    if (!p) return;
    if (e.op === 'delete') {
      const have = this.spd.get(policyKey(p)) ?? this.spdByIndex.get(p.index);
      if (have) this.unlinkPolicy(have);
      return;
    }
    const have = this.spd.get(policyKey(p));
    if (have) this.unlinkPolicy(have);
    // An index names one policy: another entry holding it belongs to a life the image missed.
    const sameIndex = this.spdByIndex.get(p.index);
    if (sameIndex) {
      this.unlinkPolicy(sameIndex);
      this.markSuspect();
    }
    this.linkPolicy(p);
  }

  private applySa(e: KernelSaChanged): void {
    this.counters.events++;
    if (e.op === 'flush') {
      // A flush event does not say which SA type went: every SA of the image is dropped, and the
      // image reloads when it held more than one type (the others may still be in the kernel).
      if (new Set([...this.sad.values()].map((s) => s.proto)).size > 1) this.markSuspect();
      this.sad.clear();
      this.sadByAddress.clear();
      this.sadByPair.clear();
      return;
    }
    const s = e.sa;
    if (!s) return;
    const have = this.sad.get(saKey(s));
    if (e.op === 'delete') {
      if (have) this.unlinkSa(have);
      return;
    }
    if (e.op === 'expire') {
      this.expire(s, s.state === 'dead');
      return;
    }
    if (have) this.unlinkSa(have);
    if (announced(s)) this.linkSa(s);
  }

  private applyExpire(e: KernelExpire): void {
    this.counters.events++;
    this.expire(e.sa, e.hard);
  }

  /** A hard expiry removes the SA; a soft one makes a mature SA dying (Linux and kernel-sim alike). */
  private expire(id: SaId, hard: boolean): void {
    const have = this.sad.get(saKey(id));
    if (!have) return;
    this.unlinkSa(have);
    if (!hard) this.linkSa(have.state === 'mature' ? { ...have, state: 'dying' } : have);
  }

  private applyMigrate(e: KernelMigrate): void {
    this.counters.events++;
    // The SAs: every one with a bundle's old pair, protocol, mode and (unless 0) reqid, each once.
    const moves: { sa: SecurityAssociation; src: Ip; dst: Ip }[] = [];
    const taken = new Set<SecurityAssociation>();
    for (const b of e.bundles) {
      if (b.proto === 'ipcomp') continue;
      for (const sa of this.sadByPair.get(pairKey(b.proto, b.mode, b.oldSrc, b.oldDst))) {
        if ((b.reqid !== 0 && sa.reqid !== b.reqid) || taken.has(sa)) continue;
        taken.add(sa);
        moves.push({ sa, src: b.newSrc, dst: b.newDst });
      }
    }
    for (const m of moves) this.unlinkSa(m.sa);
    for (const m of moves) {
      const next = { ...m.sa, src: m.src, dst: m.dst };
      const clash = this.sad.get(saKey(next));
      if (clash) {
        // The kernel refuses a move onto an SA it holds, so the image held one the kernel did not.
        this.unlinkSa(clash);
        this.markSuspect();
      }
      this.linkSa(next);
    }
    // The policy: the one the broadcast names whose templates the bundles match (the kernel
    // answers ENODATA, and broadcasts nothing, when none matches).
    const targets = this.migrateTargets(e).filter((p) =>
      p.templates.some((t) => e.bundles.some((b) => templateMatches(t, b))),
    );
    if (targets.length !== 1) {
      this.markSuspect();
      return;
    }
    const p = targets[0]!;
    const templates = p.templates.map((t) => {
      let out = t;
      for (const b of e.bundles) {
        if (templateMatches(t, b) && t.mode === 'tunnel') out = { ...out, src: b.newSrc, dst: b.newDst };
      }
      return out;
    });
    this.unlinkPolicy(p);
    this.linkPolicy({ ...p, templates });
  }

  /** The policies a MIGRATE broadcast may name: exactly, when it kept ports, else by its loose key. */
  private migrateTargets(e: KernelMigrate): SecurityPolicy[] {
    const s = e.selector;
    if (s.srcPort !== 0 || s.dstPort !== 0 || s.mhType !== undefined) {
      const exact = this.spd.get(policyKey(e));
      return exact ? [exact] : [];
    }
    // Policies with the same prefixes are filed under each non-wildcard one: read the smaller list.
    const sides = [s.src, s.dst].filter((x) => x.len > 0).map((x) => x.addr);
    sides.sort((a, b) => this.spdByAddress.count(a) - this.spdByAddress.count(b));
    const pool = sides[0] === undefined ? this.spd.values() : this.spdByAddress.get(sides[0]);
    const key = migrateLooseKey(e);
    return [...pool].filter((p) => migrateLooseKey(p) === key);
  }

  // ---- indexes ----

  private linkPolicy(p: SecurityPolicy): void {
    this.spd.set(policyKey(p), p);
    this.spdByIndex.set(p.index, p);
    for (const ip of policyAddresses(p)) this.spdByAddress.add(ip, p);
    for (const t of p.templates) this.spdByReqid.add(t.reqid, p);
  }

  private unlinkPolicy(p: SecurityPolicy): void {
    const key = policyKey(p);
    if (this.spd.get(key) === p) this.spd.delete(key);
    if (this.spdByIndex.get(p.index) === p) this.spdByIndex.delete(p.index);
    for (const ip of policyAddresses(p)) this.spdByAddress.delete(ip, p);
    for (const t of p.templates) this.spdByReqid.delete(t.reqid, p);
  }

  private linkSa(s: SecurityAssociation): void {
    this.sad.set(saKey(s), s);
    this.sadByAddress.add(s.src, s);
    this.sadByAddress.add(s.dst, s);
    this.sadByPair.add(pairKey(s.proto, s.mode, s.src, s.dst), s);
  }

  private unlinkSa(s: SecurityAssociation): void {
    const key = saKey(s);
    if (this.sad.get(key) === s) this.sad.delete(key);
    this.sadByAddress.delete(s.src, s);
    this.sadByAddress.delete(s.dst, s);
    this.sadByPair.delete(pairKey(s.proto, s.mode, s.src, s.dst), s);
  }
}

/** The kernel's template match of a MIGRATE bundle (transport templates carry no endpoints). */
function templateMatches(
  t: SecurityPolicy['templates'][number],
  b: KernelMigrate['bundles'][number],
): boolean {
  if (t.mode !== b.mode || t.proto !== b.proto) return false;
  if (b.reqid !== 0 && t.reqid !== b.reqid) return false;
  return t.mode === 'transport' || (t.src === b.oldSrc && t.dst === b.oldDst);
}

const shared = new WeakMap<KernelBackend, KernelImage>();

/**
 * The image of `kernel`, one per backend, shared by every daemon and strategy of its host: the
 * first caller starts it (listening on `bus`, the bus the backend publishes on, then one dump).
 */
export function kernelImageOf(kernel: KernelBackend, bus: Bus): KernelImage {
  let image = shared.get(kernel);
  if (!image || image.isClosed) {
    image = new KernelImage(kernel, bus);
    shared.set(kernel, image);
  }
  return image;
}
