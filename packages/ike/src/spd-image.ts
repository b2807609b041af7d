/**
 * IKE's image of the kernel SPD: loaded with dumpPolicies at start, kept current from
 * `kernel.policy` and `kernel.migrate` events, with a per-policy address hint (the addresses the
 * next negotiation for that policy uses: from the resolver, the template, a MIGRATE's
 * kmaddress or a MOBIKE move). A plain key manager reads templates from here; the responder
 * narrows traffic selectors against it when no child configuration matches.
 */
import type {
  Direction,
  IpsecRequest,
  KernelMigrate,
  KernelPolicyChanged,
  PolicyId,
  ResolvedAddresses,
  SecurityPolicy,
} from '@mip6sec/core';
import { policyKey } from '@mip6sec/core';
import { isSubset, narrow, rangeFromSelector, type TsRange } from './traffic-selectors.js';

export class SpdImage {
  private readonly policies = new Map<string, SecurityPolicy>();
  private readonly hints = new Map<string, ResolvedAddresses>();

  load(policies: readonly SecurityPolicy[]): void {
    this.policies.clear();
    for (const p of policies) this.policies.set(policyKey(p), p);
    for (const k of [...this.hints.keys()]) if (!this.policies.has(k)) this.hints.delete(k);
  }

  apply(e: KernelPolicyChanged): void {
    if (e.op === 'flush') {
      this.policies.clear();
      this.hints.clear();
      return;
    }
    if (!e.policy) return;
    const key = policyKey(e.policy);
    if (e.op === 'delete') {
      this.policies.delete(key);
      this.hints.delete(key);
    } else {
      this.policies.set(key, e.policy);
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
    if (this.policies.has(exact)) return [exact];
    const s = e.selector;
    if (s.srcPort !== 0 || s.dstPort !== 0 || s.mhType !== undefined) return [exact];
    const out: string[] = [];
    for (const [key, p] of this.policies) {
      const q = p.selector;
      if (
        p.dir === e.dir &&
        q.proto === s.proto &&
        q.src.addr === s.src.addr &&
        q.src.len === s.src.len &&
        q.dst.addr === s.dst.addr &&
        q.dst.len === s.dst.len
      ) {
        out.push(key);
      }
    }
    return out.length > 0 ? out : [exact];
  }

  private migrateOne(key: string, e: KernelMigrate): void {
    const p = this.policies.get(key);
    if (p) {
      const templates = p.templates.map((t): IpsecRequest => {
        const b = e.bundles.find(
          (b) =>
            b.proto === t.proto &&
            b.mode === t.mode &&
            b.reqid === t.reqid &&
            t.src === b.oldSrc &&
            t.dst === b.oldDst,
        );
        return b ? { ...t, src: b.newSrc, dst: b.newDst } : t;
      });
      this.policies.set(key, { ...p, templates });
    }
    const old = this.hints.get(key);
    if (e.kmaddress) {
      this.hints.set(key, { ...old, local: e.kmaddress.local, remote: e.kmaddress.remote });
      return;
    }
    const tunnel = e.bundles.find((b) => b.mode === 'tunnel');
    if (tunnel) {
      const local = e.dir === 'out' ? tunnel.newSrc : tunnel.newDst;
      const remote = e.dir === 'out' ? tunnel.newDst : tunnel.newSrc;
      this.hints.set(key, { ...old, local, remote });
    }
  }

  get(id: PolicyId): SecurityPolicy | undefined {
    return this.policies.get(policyKey(id));
  }

  all(): SecurityPolicy[] {
    return [...this.policies.values()];
  }

  get size(): number {
    return this.policies.size;
  }

  setHint(id: PolicyId, hint: ResolvedAddresses): void {
    this.hints.set(policyKey(id), hint);
  }

  /** The stored hint, else the template's endpoints seen from this host. */
  hintFor(id: PolicyId): ResolvedAddresses | undefined {
    const key = policyKey(id);
    const h = this.hints.get(key);
    if (h) return h;
    const p = this.policies.get(key);
    const t = p?.templates.find((t) => t.src !== undefined && t.dst !== undefined);
    if (!p || !t?.src || !t.dst) return undefined;
    return p.dir === 'in' ? { local: t.dst, remote: t.src } : { local: t.src, remote: t.dst };
  }

  /** Moves every hint from one address pair to another (after MOBIKE or an explicit update). */
  moveHints(from: { local?: string; remote: string }, to: { local: string; remote: string }): void {
    for (const [k, h] of this.hints) {
      if (h.remote === from.remote && (from.local === undefined || h.local === from.local)) {
        this.hints.set(k, { ...h, local: to.local, remote: to.remote });
      }
    }
  }

  /** Protect policies whose first ESP template has this reqid. */
  byReqid(reqid: number): SecurityPolicy[] {
    return this.all().filter((p) => p.action === 'protect' && p.templates.some((t) => t.reqid === reqid));
  }

  /**
   * The protect policy pair covering traffic between `local` and `remote` ranges: the outbound
   * one (src = local side) and the inbound one (src = remote side), each the first in SPD order
   * (priority) whose selector holds the given ranges.
   */
  findPair(local: TsRange, remote: TsRange): { out?: SecurityPolicy; in?: SecurityPolicy } {
    const covering = (dir: Direction, src: TsRange, dst: TsRange) =>
      this.all()
        .filter((p) => p.dir === dir && p.action === 'protect' && p.templates.some((t) => t.proto === 'esp'))
        .filter(
          (p) =>
            isSubset(src, rangeFromSelector(p.selector, 'src')) &&
            isSubset(dst, rangeFromSelector(p.selector, 'dst')),
        )
        .sort((a, b) => a.priority - b.priority)[0];
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
    const inbound = this.all()
      .filter(
        (p) =>
          p.dir === 'in' &&
          p.action === 'protect' &&
          p.templates.some((t) => t.proto === 'esp' && (mode === undefined || t.mode === mode)),
      )
      .sort((a, b) => a.priority - b.priority);
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
}
