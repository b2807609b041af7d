/**
 * IKE's image of the kernel SPD: loaded with dumpPolicies at start, kept current from
 * `kernel.policy` and `kernel.migrate` events, with a per-policy address hint (the addresses the
 * next negotiation for that policy uses: from the resolver, the template, a MIGRATE's
 * kmaddress or a MOBIKE move). A plain key manager reads templates from here; the responder
 * narrows traffic selectors against it when no child configuration matches.
 *
 * A home agent's SPD holds ten entries per mobile node, so nothing here walks the whole image per
 * request: policies are indexed by exact (selector, direction), by reqid, by their selector
 * addresses (where a MIGRATE broadcast's policy is looked up), and, for narrowing and pairing, by
 * direction and source or destination host address (entries whose side is not one host sit in a
 * per-direction list). Hints are indexed by their remote address, which is what a MOBIKE or
 * MIGRATE move looks them up by. Equal-priority entries keep the order they were first learnt in,
 * as a plain map would.
 */
import type {
  Direction,
  IpsecRequest,
  KernelMigrate,
  KernelPolicyChanged,
  MigrateBundle,
  PolicyId,
  ResolvedAddresses,
  SecurityPolicy,
} from '@mip6sec/core';
import { isHostPrefix, MultiMap, migrateLooseKey, policyKey } from '@mip6sec/core';
import { isSubset, narrow, rangeFromSelector, type TsRange } from './traffic-selectors.js';

interface Entry {
  readonly key: string;
  readonly policy: SecurityPolicy;
  /** When the key was first learnt: the tie-break between equal priorities. */
  readonly seq: number;
  /** `dir family start` of a single-host source of an ESP protect entry, its bySource key. */
  readonly source?: string;
  /** The same for a single-host destination, its byDest key. */
  readonly dest?: string;
}

const isEspProtect = (p: SecurityPolicy) =>
  p.action === 'protect' && p.templates.some((t) => t.proto === 'esp');
const bySpdOrder = (a: Entry, b: Entry) => a.policy.priority - b.policy.priority || a.seq - b.seq;

/** The kernel's template match of a MIGRATE bundle: protocol, mode, reqid (0 is any) and the old pair. */
function templateMatches(t: IpsecRequest, b: MigrateBundle): boolean {
  if (t.mode !== b.mode || t.proto !== b.proto) return false;
  if (b.reqid !== 0 && t.reqid !== b.reqid) return false;
  return t.src === b.oldSrc && t.dst === b.oldDst;
}

export class SpdImage {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  private readonly reqids = new MultiMap<number, Entry>();
  /** Every entry by its selector's non-wildcard addresses (a MIGRATE broadcast's policy is found here). */
  private readonly byAddress = new MultiMap<string, Entry>();
  /**
   * ESP protect entries by `dir src-host` and by `dir dst-host`; those without a single-host source
   * (destination) also in `wideSource` (`wideDest`) by direction.
   */
  private readonly bySource = new MultiMap<string, Entry>();
  private readonly byDest = new MultiMap<string, Entry>();
  private readonly wideSource = new MultiMap<Direction, Entry>();
  private readonly wideDest = new MultiMap<Direction, Entry>();
  private readonly byDir = new MultiMap<Direction, Entry>();
  private readonly hints = new Map<string, ResolvedAddresses>();
  private readonly hintsByRemote = new MultiMap<string, string>();

  load(policies: readonly SecurityPolicy[]): void {
    this.clearPolicies();
    for (const p of policies) this.put(p);
    for (const k of [...this.hints.keys()]) if (!this.entries.has(k)) this.setHintByKey(k, undefined);
  }

  apply(e: KernelPolicyChanged): void {
    if (e.op === 'flush') {
      this.clearPolicies();
      this.hints.clear();
      this.hintsByRemote.clear();
      return;
    }
    if (!e.policy) return;
    const key = policyKey(e.policy);
    if (e.op === 'delete') {
      const old = this.entries.get(key);
      if (old) this.unlink(old);
      this.setHintByKey(key, undefined);
    } else {
      this.put(e.policy);
    }
  }

  /**
   * Rewrites the templates a MIGRATE changed (draft-ebalard-mext-pfkey-enhanced-migrate 5.1.2),
   * and moves the policy's hint to the kmaddress, or to the new tunnel endpoints.
   */
  migrate(e: KernelMigrate): void {
    for (const key of this.migrateTargets(e)) this.migrateOne(key, e);
  }

  /**
   * The policies a MIGRATE names. A PF_KEY MIGRATE selector (sadb_address pair) has no room for
   * an MH or ICMPv6 type, so a broadcast that leaves ports and type open applies to every policy
   * of that direction with the same prefixes and protocol, as the kernel matched them.
   */
  private migrateTargets(e: KernelMigrate): string[] {
    const exact = policyKey(e);
    if (this.entries.has(exact)) return [exact];
    const s = e.selector;
    if (s.srcPort !== 0 || s.dstPort !== 0 || s.mhType !== undefined) return [exact];
    // Entries with the same prefixes are filed under each non-wildcard address: read the smaller list.
    const sides = [s.src, s.dst].filter((x) => x.len > 0).map((x) => x.addr);
    sides.sort((a, b) => this.byAddress.count(a) - this.byAddress.count(b));
    const pool = sides[0] === undefined ? this.entries.values() : this.byAddress.get(sides[0]);
    const loose = migrateLooseKey(e);
    const out = [...pool]
      .filter((x) => migrateLooseKey(x.policy) === loose)
      .sort((a, b) => a.seq - b.seq)
      .map((x) => x.key);
    return out.length > 0 ? out : [exact];
  }

  private migrateOne(key: string, e: KernelMigrate): void {
    const entry = this.entries.get(key);
    if (entry) {
      const p = entry.policy;
      const templates = p.templates.map((t): IpsecRequest => {
        // As the kernel does it: every bundle is matched against the template as it was.
        let out = t;
        for (const b of e.bundles) if (templateMatches(t, b)) out = { ...out, src: b.newSrc, dst: b.newDst };
        return out;
      });
      this.put({ ...p, templates });
    }
    const old = this.hints.get(key);
    if (e.kmaddress) {
      this.setHintByKey(key, { ...old, local: e.kmaddress.local, remote: e.kmaddress.remote });
      return;
    }
    const tunnel = e.bundles.find((b) => b.mode === 'tunnel');
    if (tunnel) {
      const local = e.dir === 'out' ? tunnel.newSrc : tunnel.newDst;
      const remote = e.dir === 'out' ? tunnel.newDst : tunnel.newSrc;
      this.setHintByKey(key, { ...old, local, remote });
    }
  }

  get(id: PolicyId): SecurityPolicy | undefined {
    return this.entries.get(policyKey(id))?.policy;
  }

  all(): SecurityPolicy[] {
    return [...this.entries.values()].map((e) => e.policy);
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when some template of some policy carries this reqid. */
  hasReqid(reqid: number): boolean {
    return this.reqids.has(reqid);
  }

  setHint(id: PolicyId, hint: ResolvedAddresses): void {
    this.setHintByKey(policyKey(id), hint);
  }

  /** The stored hint, else the template's endpoints seen from this host. */
  hintFor(id: PolicyId): ResolvedAddresses | undefined {
    const key = policyKey(id);
    const h = this.hints.get(key);
    if (h) return h;
    const p = this.entries.get(key)?.policy;
    const t = p?.templates.find((t) => t.src !== undefined && t.dst !== undefined);
    if (!p || !t?.src || !t.dst) return undefined;
    return p.dir === 'in' ? { local: t.dst, remote: t.src } : { local: t.src, remote: t.dst };
  }

  /** Moves every hint from one address pair to another (after MOBIKE or an explicit update). */
  moveHints(from: { local?: string; remote: string }, to: { local: string; remote: string }): void {
    for (const k of [...this.hintsByRemote.get(from.remote)]) {
      const h = this.hints.get(k);
      if (h && (from.local === undefined || h.local === from.local)) {
        this.setHintByKey(k, { ...h, local: to.local, remote: to.remote });
      }
    }
  }

  /** Protect policies whose first ESP template has this reqid. */
  byReqid(reqid: number): SecurityPolicy[] {
    return [...this.byReqidEntries(reqid)].map((e) => e.policy);
  }

  private byReqidEntries(reqid: number): Entry[] {
    return [...this.reqids.get(reqid)]
      .filter((e) => e.policy.action === 'protect')
      .sort((a, b) => a.seq - b.seq);
  }

  /**
   * The protect policy pair covering traffic between `local` and `remote` ranges: the outbound
   * one (src = local side) and the inbound one (src = remote side), each the first in SPD order
   * (priority) whose selector holds the given ranges.
   */
  findPair(local: TsRange, remote: TsRange): { out?: SecurityPolicy; in?: SecurityPolicy } {
    const covering = (dir: Direction, src: TsRange, dst: TsRange) =>
      this.candidates(dir, [src], [dst])
        .filter(
          (e) =>
            isSubset(src, rangeFromSelector(e.policy.selector, 'src')) &&
            isSubset(dst, rangeFromSelector(e.policy.selector, 'dst')),
        )
        .sort(bySpdOrder)[0]?.policy;
    const out = covering('out', local, remote);
    const inbound = covering('in', remote, local);
    return { ...(out ? { out } : {}), ...(inbound ? { in: inbound } : {}) };
  }

  /**
   * Responder narrowing against the SPD: the first inbound protect policy (in priority order)
   * whose selector overlaps what the peer offered, the offer cut down to it, and the outbound
   * policy of the reverse direction when there is one.
   */
  narrowOffer(
    offeredLocal: readonly TsRange[],
    offeredRemote: readonly TsRange[],
    mode?: 'tunnel' | 'transport',
  ): { in: SecurityPolicy; out?: SecurityPolicy; local: TsRange[]; remote: TsRange[] } | undefined {
    // Only policies of the mode asked for: a transport-mode MH policy of higher priority that
    // overlaps a tunnel offer (RFC 4877 sets have both) must not shadow the tunnel policy.
    const inbound = this.candidates('in', offeredRemote, offeredLocal)
      .filter((e) =>
        e.policy.templates.some((t) => t.proto === 'esp' && (mode === undefined || t.mode === mode)),
      )
      .sort(bySpdOrder)
      .map((e) => e.policy);
    // A policy that holds the whole offer wins over one that only overlaps it: narrowing a
    // proto-any tunnel offer to the HoTI/HoT entry (MH types 1/3) would put the payload SA under
    // the wrong reqid, and the peer's payload would then fail the inbound policy check.
    const covers = (p: SecurityPolicy) =>
      offeredRemote.every((r) => isSubset(r, rangeFromSelector(p.selector, 'src'))) &&
      offeredLocal.every((l) => isSubset(l, rangeFromSelector(p.selector, 'dst')));
    const ordered = [...inbound.filter(covers), ...inbound.filter((p) => !covers(p))];
    for (const p of ordered) {
      const remote = narrow(offeredRemote, [rangeFromSelector(p.selector, 'src')]);
      const local = narrow(offeredLocal, [rangeFromSelector(p.selector, 'dst')]);
      if (remote.length === 0 || local.length === 0) continue;
      const out = this.findPair(local[0]!, remote[0]!).out;
      return { in: p, ...(out ? { out } : {}), local, remote };
    }
    return undefined;
  }

  /**
   * ESP protect entries of a direction that may overlap all of `sources` and all of `dests`. When
   * every source is a single address, the entries with one of those source hosts plus those whose
   * source is not one host (an entry whose source is another host overlaps none of them); the same
   * by destination; whichever of the two is smaller, else every entry of the direction.
   */
  private candidates(dir: Direction, sources: readonly TsRange[], dests: readonly TsRange[]): Entry[] {
    const by = (hosts: MultiMap<string, Entry>, wide: MultiMap<Direction, Entry>, rs: readonly TsRange[]) => {
      if (rs.length === 0 || rs.some((r) => r.start !== r.end)) return undefined;
      const keys = rs.map((r) => hostKey(dir, r));
      const sets = [wide.get(dir), ...keys.map((k) => hosts.get(k))];
      return { sets, size: wide.count(dir) + keys.reduce((n, k) => n + hosts.count(k), 0) };
    };
    const src = by(this.bySource, this.wideSource, sources);
    const dst = by(this.byDest, this.wideDest, dests);
    const best = src && dst ? (dst.size < src.size ? dst : src) : (src ?? dst);
    if (!best) return [...this.byDir.get(dir)];
    const out = new Set<Entry>();
    for (const set of best.sets) for (const e of set) out.add(e);
    return [...out];
  }

  // ---- indexes ----

  private put(p: SecurityPolicy): void {
    const key = policyKey(p);
    const old = this.entries.get(key);
    // An entry replaced in place keeps its place in the map (all() lists in first-learnt order).
    if (old) this.unindex(old);
    const esp = isEspProtect(p);
    const { src, dst } = p.selector;
    const entry: Entry = {
      key,
      policy: p,
      seq: old?.seq ?? ++this.seq,
      ...(esp && isHostPrefix(src, src.addr)
        ? { source: hostKey(p.dir, rangeFromSelector(p.selector, 'src')) }
        : {}),
      ...(esp && isHostPrefix(dst, dst.addr)
        ? { dest: hostKey(p.dir, rangeFromSelector(p.selector, 'dst')) }
        : {}),
    };
    this.entries.set(key, entry);
    for (const t of p.templates) this.reqids.add(t.reqid, entry);
    for (const side of [src, dst]) if (side.len > 0) this.byAddress.add(side.addr, entry);
    if (!esp) return;
    this.byDir.add(p.dir, entry);
    if (entry.source !== undefined) this.bySource.add(entry.source, entry);
    else this.wideSource.add(p.dir, entry);
    if (entry.dest !== undefined) this.byDest.add(entry.dest, entry);
    else this.wideDest.add(p.dir, entry);
  }

  private unlink(e: Entry): void {
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    this.unindex(e);
  }

  private unindex(e: Entry): void {
    const p = e.policy;
    for (const t of p.templates) this.reqids.delete(t.reqid, e);
    for (const side of [p.selector.src, p.selector.dst])
      if (side.len > 0) this.byAddress.delete(side.addr, e);
    this.byDir.delete(p.dir, e);
    this.wideSource.delete(p.dir, e);
    this.wideDest.delete(p.dir, e);
    if (e.source !== undefined) this.bySource.delete(e.source, e);
    if (e.dest !== undefined) this.byDest.delete(e.dest, e);
  }

  private clearPolicies(): void {
    this.entries.clear();
    this.reqids.clear();
    this.byAddress.clear();
    this.bySource.clear();
    this.byDest.clear();
    this.wideSource.clear();
    this.wideDest.clear();
    this.byDir.clear();
  }

  private setHintByKey(key: string, hint: ResolvedAddresses | undefined): void {
    const old = this.hints.get(key);
    if (old) this.hintsByRemote.delete(old.remote, key);
    if (!hint) {
      this.hints.delete(key);
      return;
    }
    this.hints.set(key, hint);
    this.hintsByRemote.add(hint.remote, key);
  }
}

/** The bySource / byDest key of a single-address range in one direction. */
function hostKey(dir: Direction, r: TsRange): string {
  return `${dir} ${r.family} ${r.start}`;
}
